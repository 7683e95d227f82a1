using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Configuration;
using HealthRecord.Sdk.FhirServer.Http;
using HealthRecord.Sdk.FhirServer.Telemetry;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.FhirServer.Rest;

/// <summary>
/// Reads one patient over the FHIR REST API: the CapabilityStatement decides between <c>Patient/{id}/$everything</c>
/// and a search of each patient-compartment type (<c>?patient=</c> with <c>_count</c>, <c>_include</c> of referenced
/// Practitioners, Organizations and Medications); <c>next</c> links are followed until done. Each page is one
/// document, handed on as soon as it is read; a resource met twice (an included Practitioner) is handed on once.
/// </summary>
internal sealed class FhirRestReader(FhirServerConnection connection, FhirServerSourceOptions options, ISourceDocumentReader reader, long maxBytes, ILogger logger)
{
    private const string FhirJson = "application/fhir+json";

    /// <summary>The patient compartment's clinical types (FHIR R4 CompartmentDefinition "patient"), searched with <c>?patient=</c>.</summary>
    internal static readonly string[] CompartmentTypes =
    [
        "AllergyIntolerance", "CarePlan", "CareTeam", "Claim", "Condition", "Coverage", "Device", "DiagnosticReport", "DocumentReference",
        "Encounter", "ExplanationOfBenefit", "FamilyMemberHistory", "Goal", "ImagingStudy", "Immunization", "MedicationAdministration",
        "MedicationDispense", "MedicationRequest", "MedicationStatement", "Observation", "Procedure", "ServiceRequest", "Specimen",
    ];

    /// <summary>What each search includes: the Practitioners, Organizations and Medications its records reference.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> Includes = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["MedicationRequest"] = ["MedicationRequest:medication", "MedicationRequest:requester"],
        ["MedicationAdministration"] = ["MedicationAdministration:medication"],
        ["MedicationDispense"] = ["MedicationDispense:medication"],
        ["MedicationStatement"] = ["MedicationStatement:medication"],
        ["Encounter"] = ["Encounter:practitioner", "Encounter:service-provider"],
        ["Observation"] = ["Observation:performer"],
        ["DiagnosticReport"] = ["DiagnosticReport:performer"],
        ["Immunization"] = ["Immunization:performer"],
        ["Procedure"] = ["Procedure:performer"],
        ["CareTeam"] = ["CareTeam:participant"],
    };

    public async IAsyncEnumerable<SourceDocumentResult> ReadPatientAsync(FhirSourceLocation location, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var patientId = location.PatientId!;
        var capability = await ReadCapabilityAsync(cancellationToken).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sinceText = since?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var useEverything = options.UseEverything ?? capability.SupportsEverything;
        if (useEverything)
        {
            var query = $"_count={options.PageSize}" + (sinceText is null ? "" : $"&_since={Uri.EscapeDataString(sinceText)}")
                + (location.Types.Count == 0 ? "" : $"&_type={string.Join(',', location.Types)}");
            var first = connection.Resolve($"Patient/{Uri.EscapeDataString(patientId)}/$everything?{query}");
            await foreach (var page in ReadPagesAsync(first, $"Patient/{patientId}/$everything", seen, cancellationToken).ConfigureAwait(false))
            {
                yield return page;
            }

            yield break;
        }

        // No $everything: the Patient, then each compartment type the server searches by patient.
        var patientUri = connection.Resolve($"Patient/{Uri.EscapeDataString(patientId)}");
        yield return await ReadSingleAsync(patientUri, $"Patient/{patientId}", seen, cancellationToken).ConfigureAwait(false);
        IEnumerable<string> types = location.Types.Count > 0 ? location.Types : options.ResourceTypes.Count > 0 ? options.ResourceTypes : CompartmentTypes;
        foreach (var type in types.Where(t => t != "Patient" && capability.Searchable(t)))
        {
            var query = $"patient={Uri.EscapeDataString(patientId)}&_count={options.PageSize}"
                + (sinceText is null ? "" : $"&_lastUpdated=ge{Uri.EscapeDataString(sinceText)}")
                + (options.IncludeReferenced && Includes.TryGetValue(type, out var includes) ? string.Concat(includes.Select(i => "&_include=" + i)) : "");
            await foreach (var page in ReadPagesAsync(connection.Resolve($"{type}?{query}"), $"{type}?patient={patientId}", seen, cancellationToken).ConfigureAwait(false))
            {
                yield return page;
            }
        }
    }

    private async IAsyncEnumerable<SourceDocumentResult> ReadPagesAsync(Uri first, string label, HashSet<string> seen, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        Uri? next = first;
        var page = 0;
        while (next is not null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!visited.Add(next.AbsoluteUri))
            {
                throw new SourceReadException(HealthRecordErrorCode.MalformedContent, connection.SourceName, FhirServerConnection.Describe(next), "The server's next link leads back to a page already read.");
            }

            page++;
            var (result, link) = await ReadPageAsync(next, $"{label} page {page}", seen, cancellationToken).ConfigureAwait(false);
            Log.PageRead(logger, connection.SourceName, page, result.Records.Count);
            yield return result;
            next = link;
        }
    }

    private async Task<SourceDocumentResult> ReadSingleAsync(Uri uri, string documentId, HashSet<string> seen, CancellationToken cancellationToken) =>
        (await ReadPageAsync(uri, documentId, seen, cancellationToken).ConfigureAwait(false)).Result;

    private async Task<(SourceDocumentResult Result, Uri? Next)> ReadPageAsync(Uri uri, string documentId, HashSet<string> seen, CancellationToken cancellationToken)
    {
        byte[] body;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await connection.SendSuccessAsync(HttpMethod.Get, uri, FhirJson, cancellationToken).ConfigureAwait(false);
                body = await connection.ReadBodyAsync(response, uri, maxBytes, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (SourceReadException ex) when (FhirServerConnection.IsCutOff(ex) && attempt <= options.MaxRetryAttempts)
            {
                // The headers came but the page stopped half-way: the HTTP pipeline cannot retry that, so ask again here.
            }
        }

        var next = NextLink(body, uri);
        var document = SourceDocument.FromBytes(connection.SourceName, documentId, body);
        var records = new List<SourceRecord>();
        await foreach (var record in reader.ReadAsync(document, cancellationToken).ConfigureAwait(false))
        {
            // An included Practitioner or Organization comes with many pages: hand it on once.
            if (record.Resource is null || seen.Add(record.SourceReference))
            {
                records.Add(record);
            }
        }

        return (new SourceDocumentResult { SourceName = connection.SourceName, DocumentId = documentId, Format = reader.Format, Records = records }, next);
    }

    private Uri? NextLink(byte[] body, Uri current)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("link", out var links) || links.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            foreach (var link in links.EnumerateArray())
            {
                if (link.TryGetProperty("relation", out var relation) && relation.ValueEquals("next"u8) && link.TryGetProperty("url", out var url) && url.GetString() is { Length: > 0 } text)
                {
                    return Uri.TryCreate(current, text, out var resolved) ? resolved
                        : throw new SourceReadException(HealthRecordErrorCode.MalformedContent, connection.SourceName, FhirServerConnection.Describe(current), "The next link is not a URL.");
                }
            }

            return null;
        }
        catch (JsonException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, connection.SourceName, FhirServerConnection.Describe(current), "The page is not well-formed JSON.", ex);
        }
    }

    private async Task<Capability> ReadCapabilityAsync(CancellationToken cancellationToken)
    {
        var uri = connection.Resolve("metadata");
        byte[] body;
        using (var response = await connection.SendSuccessAsync(HttpMethod.Get, uri, FhirJson, cancellationToken).ConfigureAwait(false))
        {
            body = await connection.ReadBodyAsync(response, uri, maxBytes, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return Capability.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, connection.SourceName, FhirServerConnection.Describe(uri), "The CapabilityStatement is not well-formed JSON.", ex);
        }
    }

    /// <summary>What the CapabilityStatement says the server does.</summary>
    internal sealed class Capability
    {
        private readonly Dictionary<string, bool> _searchByPatient = new(StringComparer.Ordinal);

        public bool SupportsEverything { get; private set; }

        /// <summary>Whether a type can be searched by patient (types the statement does not list are not searched; a statement listing none allows all).</summary>
        public bool Searchable(string type) => _searchByPatient.Count == 0 || _searchByPatient.GetValueOrDefault(type);

        public static Capability Parse(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var capability = new Capability();
            if (!document.RootElement.TryGetProperty("rest", out var rest) || rest.ValueKind != JsonValueKind.Array)
            {
                return capability;
            }

            foreach (var r in rest.EnumerateArray())
            {
                if (!r.TryGetProperty("resource", out var resources) || resources.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                foreach (var resource in resources.EnumerateArray())
                {
                    var type = resource.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
                    var byPatient = resource.TryGetProperty("searchParam", out var parameters) && parameters.ValueKind == JsonValueKind.Array
                        ? parameters.EnumerateArray().Any(p => p.TryGetProperty("name", out var n) && (n.ValueEquals("patient"u8) || n.ValueEquals("subject"u8)))
                        : !resource.TryGetProperty("searchParam", out _);
                    capability._searchByPatient[type] = byPatient;
                    if (type == "Patient" && resource.TryGetProperty("operation", out var operations) && operations.ValueKind == JsonValueKind.Array)
                    {
                        capability.SupportsEverything |= operations.EnumerateArray().Any(o =>
                            (o.TryGetProperty("name", out var n) && n.ValueEquals("everything"u8))
                            || (o.TryGetProperty("definition", out var d) && (d.GetString() ?? "").EndsWith("Patient-everything", StringComparison.Ordinal)));
                    }
                }
            }

            return capability;
        }
    }
}
