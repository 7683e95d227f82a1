using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// Turns an <see cref="EhrAggregate"/> into the documents stores keep (the FHIR Bundle; a JSON document with
/// lineage, conflicts, issues and record rules; and the person's source records as read, so the person can be
/// re-aggregated without re-reading the sources) and back. Store implementations use it so every store keeps
/// the same thing.
/// </summary>
public static partial class EhrAggregateSerializer
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
        var sourceRecords = aggregate.SourceRecords.Count == 0 ? [] : SourceRecordJson.Write(aggregate.SourceRecords);
        return new SerializedEhr(bundle, details, Hash(bundle, details, sourceRecords)) { SourceRecordsJson = sourceRecords };
    }

    /// <summary>Rebuilds an aggregate from what <see cref="Serialize"/> wrote, its source records included.</summary>
    /// <param name="data">The stored documents.</param>
    /// <param name="version">The version to stamp.</param>
    /// <returns>The aggregate.</returns>
    /// <exception cref="Errors.EhrStoreException">The stored documents are damaged.</exception>
    public static EhrAggregate Deserialize(SerializedEhr data, int version)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Deserialize(data.BundleJson, data.DetailsJson, data.SourceRecordsJson, version);
    }

    /// <summary>Rebuilds an aggregate from what <see cref="Serialize"/> wrote, its source records included.</summary>
    /// <param name="bundleJson">The bundle JSON.</param>
    /// <param name="detailsJson">The details JSON.</param>
    /// <param name="sourceRecordsJson">The source records JSON (empty when none were kept).</param>
    /// <param name="version">The version to stamp.</param>
    /// <returns>The aggregate.</returns>
    /// <exception cref="Errors.EhrStoreException">The stored documents are damaged.</exception>
    public static EhrAggregate Deserialize(ReadOnlySpan<byte> bundleJson, ReadOnlySpan<byte> detailsJson, ReadOnlySpan<byte> sourceRecordsJson, int version)
    {
        var aggregate = Deserialize(bundleJson, detailsJson, version);
        if (sourceRecordsJson.IsEmpty)
        {
            return aggregate;
        }

        try
        {
            return aggregate with { SourceRecords = SourceRecordJson.Read(sourceRecordsJson) };
        }
        catch (Exception ex) when (ex is JsonException or Hl7.Fhir.Serialization.DeserializationFailedException or InvalidOperationException or FormatException)
        {
            throw new Errors.EhrStoreException(EhrStoreErrorKind.Damaged, $"The source records kept with EHR version {version} could not be read back: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The same documents for another person id: the person id, and every EHR id derived from it (records and
    /// their Provenance, named as <see cref="EhrIds"/> names them), are replaced. Stores use it when a save finds
    /// that another writer already claimed the person's linked patients.
    /// </summary>
    /// <param name="aggregate">The aggregate as built.</param>
    /// <param name="data">What <see cref="Serialize"/> wrote for it.</param>
    /// <param name="personId">The person id that wins.</param>
    /// <returns>The documents under <paramref name="personId"/>, with their new hash.</returns>
    public static SerializedEhr Rebase(EhrAggregate aggregate, SerializedEhr data, string personId)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(personId);
        if (aggregate.PersonId == personId)
        {
            return data;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal) { [aggregate.PersonId] = personId };
        map[EhrIds.From("provenance", "Patient", aggregate.PersonId)] = EhrIds.From("provenance", "Patient", personId);
        foreach (var record in aggregate.Records)
        {
            var type = record.Resource.TypeName;
            var id = record.Resource.Id;
            if (id is null || record.Sources.Count == 0 || EhrIds.From(aggregate.PersonId, type, record.Sources[0].ToString()) != id)
            {
                continue; // not an id derived from the person: it stays
            }

            var newId = EhrIds.From(personId, type, record.Sources[0].ToString());
            map[id] = newId;
            map[EhrIds.From("provenance", type, id)] = EhrIds.From("provenance", type, newId);
        }

        var moved = Deserialize(ReplaceIds(data.BundleJson, map), ReplaceIds(data.DetailsJson, map), data.SourceRecordsJson, 0);

        // The new ids sort differently: put everything back in the order the aggregator writes (type then id).
        moved = moved with
        {
            Records = [.. moved.Records.OrderBy(r => r.Resource.TypeName, StringComparer.Ordinal).ThenBy(r => r.Resource.Id, StringComparer.Ordinal)],
            Provenance = [.. moved.Provenance.OrderBy(p => p.Id, StringComparer.Ordinal)],
            Conflicts = [.. moved.Conflicts.OrderBy(c => c.EhrResource, StringComparer.Ordinal).ThenBy(c => c.Element, StringComparer.Ordinal)],
            Lineage = [.. moved.Lineage.OrderBy(l => l.SourceName, StringComparer.Ordinal).ThenBy(l => l.SourceResource, StringComparer.Ordinal).ThenBy(l => l.EhrResource ?? "", StringComparer.Ordinal)],
        };
        var rebased = Serialize(moved);
        return rebased with { SourceRecordsJson = data.SourceRecordsJson, ContentHash = Hash(rebased.BundleJson, rebased.DetailsJson, data.SourceRecordsJson) };
    }

    [System.Text.RegularExpressions.GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Uuid();

    // EHR ids are lowercase UUIDs (EhrIds), so a textual replacement of whole UUIDs cannot touch anything else.
    private static byte[] ReplaceIds(byte[] json, Dictionary<string, string> map)
    {
        var text = System.Text.Encoding.UTF8.GetString(json);
        var replaced = Uuid().Replace(text, m => map.TryGetValue(m.Value, out var to) ? to : m.Value);
        return System.Text.Encoding.UTF8.GetBytes(replaced);
    }

    /// <summary>The content hash of stored documents, as <see cref="SerializedEhr.ContentHash"/> names it; stores use it to check what they hold.</summary>
    /// <param name="bundle">The bundle JSON.</param>
    /// <param name="details">The details JSON.</param>
    /// <param name="sourceRecords">The source records JSON (empty when none).</param>
    /// <returns>The SHA-256, lowercase hex.</returns>
    public static string Hash(byte[] bundle, byte[] details, byte[] sourceRecords)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(details);
        ArgumentNullException.ThrowIfNull(sourceRecords);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(bundle);
        sha.AppendData(details);
        sha.AppendData(sourceRecords);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
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
                ?? throw new Errors.EhrStoreException(EhrStoreErrorKind.Damaged, "The stored EHR details are empty.");
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
            throw new Errors.EhrStoreException(EhrStoreErrorKind.Damaged, $"The stored EHR version {version} could not be read back: {ex.Message}", ex);
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
/// <param name="ContentHash">A SHA-256 over the documents, hex.</param>
public sealed record SerializedEhr(byte[] BundleJson, byte[] DetailsJson, string ContentHash)
{
    /// <summary>The person's source records as read (UTF-8 JSON array); empty when the aggregate kept none.</summary>
    public byte[] SourceRecordsJson { get; init; } = [];
}
