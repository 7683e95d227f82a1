using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// Turns an <see cref="EhrAggregate"/> into the two documents stores keep (the FHIR Bundle, and a JSON
/// document with lineage, conflicts, issues and record rules) and back. Store implementations use it so
/// every store keeps the same thing.
/// </summary>
public static class EhrAggregateSerializer
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Serialises the aggregate.</summary>
    /// <param name="aggregate">The aggregate.</param>
    /// <returns>The bundle JSON, the details JSON, and a content hash over both.</returns>
    public static SerializedEhr Serialize(EhrAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        var bundle = Fhir.FhirJson.SerializeToUtf8(EhrBundleBuilder.Build(aggregate));
        var details = JsonSerializer.SerializeToUtf8Bytes(new Details(
            aggregate.PersonId,
            aggregate.Sources,
            aggregate.AsOf,
            aggregate.LinkedPatients,
            aggregate.Records.Select(r => new RecordDetails($"{r.Resource.TypeName}/{r.Resource.Id}", r.Sources, r.Rule)).ToList(),
            aggregate.Lineage,
            aggregate.Conflicts,
            aggregate.Issues), JsonOptions);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(bundle);
        sha.AppendData(details);
        return new SerializedEhr(bundle, details, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    /// <summary>Rebuilds an aggregate from what <see cref="Serialize"/> wrote.</summary>
    /// <param name="bundleJson">The bundle JSON.</param>
    /// <param name="detailsJson">The details JSON.</param>
    /// <param name="version">The version to stamp.</param>
    /// <returns>The aggregate.</returns>
    /// <exception cref="Errors.EhrStoreException">The stored documents are damaged.</exception>
    public static EhrAggregate Deserialize(ReadOnlySpan<byte> bundleJson, ReadOnlySpan<byte> detailsJson, int version)
    {
        try
        {
            var reader = new Utf8JsonReader(bundleJson);
            var bundle = (Bundle)Fhir.FhirJson.Deserializer.DeserializeResource(ref reader);
            var details = JsonSerializer.Deserialize<Details>(detailsJson, JsonOptions)
                ?? throw new Errors.EhrStoreException("The stored EHR details are empty.");
            var resources = bundle.Entry.Select(e => e.Resource).OfType<Resource>().ToList();
            var patient = resources.OfType<Patient>().Single(p => p.Id == details.PersonId);
            var byRef = resources.Where(r => r is not Hl7.Fhir.Model.Provenance && !ReferenceEquals(r, patient))
                .ToDictionary(r => $"{r.TypeName}/{r.Id}", StringComparer.Ordinal);
            var records = details.Records.Select(d => new EhrRecord(byRef[d.Reference], d.Sources, d.Rule)).ToList();
            return new EhrAggregate
            {
                PersonId = details.PersonId,
                Patient = patient,
                Records = records,
                Provenance = resources.OfType<Provenance>().ToList(),
                Lineage = details.Lineage,
                Conflicts = details.Conflicts,
                Issues = details.Issues,
                Sources = details.Sources,
                LinkedPatients = details.LinkedPatients,
                AsOf = details.AsOf,
                Version = version,
            };
        }
        catch (Exception ex) when (ex is JsonException or Hl7.Fhir.Serialization.DeserializationFailedException or InvalidOperationException or KeyNotFoundException)
        {
            throw new Errors.EhrStoreException($"The stored EHR version {version} could not be read back: {ex.Message}", ex);
        }
    }

    private sealed record Details(
        string PersonId,
        IReadOnlyList<string> Sources,
        DateTimeOffset? AsOf,
        IReadOnlyList<SourceRecordRef> LinkedPatients,
        IReadOnlyList<RecordDetails> Records,
        IReadOnlyList<LineageEntry> Lineage,
        IReadOnlyList<EhrConflict> Conflicts,
        IReadOnlyList<EhrIssue> Issues);

    private sealed record RecordDetails(string Reference, IReadOnlyList<SourceRecordRef> Sources, string Rule);
}

/// <summary>What a store keeps for one version.</summary>
/// <param name="BundleJson">The EHR as a FHIR R4 collection Bundle (UTF-8 JSON).</param>
/// <param name="DetailsJson">Lineage, conflicts, issues and record rules (UTF-8 JSON).</param>
/// <param name="ContentHash">A SHA-256 over both, hex.</param>
public sealed record SerializedEhr(byte[] BundleJson, byte[] DetailsJson, string ContentHash);
