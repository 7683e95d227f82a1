using System.Text.Json;
using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Sources;

/// <summary>The Patient scan of FHIR JSON (<see cref="IPatientScanningReader"/>).</summary>
internal sealed partial class FhirJsonDocumentReader : IPatientScanningReader
{
    /// <inheritdoc />
    /// <remarks>
    /// The JSON is parsed (as a full read parses it, so a malformed document fails the same way), but only
    /// entries whose resource says <c>"resourceType": "Patient"</c> are deserialised, by the same code as a full
    /// read; the others are counted by the rules the full read applies to entries.
    /// </remarks>
    public async Task<PatientScan> ScanPatientsAsync(SourceDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.EnsureWithin(_options.MaxDocumentBytes);
        var content = await document.ReadAllBytesAsync(_options.MaxDocumentBytes, cancellationToken).ConfigureAwait(false);
        var text = SkipBomAndWhitespace(content.Span);
        if (text.IsEmpty)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, document.SourceName, document.DocumentId, "The document is empty.");
        }

        var patients = new List<SourceRecord>();
        var records = 0;
        if (IsNdjson(document.DocumentId, text))
        {
            var lineNumber = 0;
            foreach (var line in SplitLines(content))
            {
                cancellationToken.ThrowIfCancellationRequested();
                lineNumber++;
                if (SkipBomAndWhitespace(line.Span).IsEmpty)
                {
                    continue;
                }

                records++;
                if (NamesPatient(line.Span) && ReadNdjsonLine(document, line, lineNumber, Deserializer) is { ResourceType: "Patient" } record)
                {
                    patients.Add(record);
                }
            }

            return new PatientScan(patients, records);
        }

        using (var json = ParseResource(document, content))
        {
            var root = json.RootElement;
            var rt = root.GetProperty("resourceType");

            if (!rt.ValueEquals("Bundle"u8))
            {
                records = 1;
                if (rt.ValueEquals("Patient"u8))
                {
                    patients.Add(ReadResource(document, root, document.DocumentId, fullUrl: null, Deserializer));
                }

                return new PatientScan(patients, records);
            }

            CheckBundleVersion(document, root);
            if (root.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var entry in entries.EnumerateArray())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var location = $"{document.DocumentId}#entry[{index}]";
                    index++;
                    switch (EntryKind(entry))
                    {
                        case Entry.Patient:
                            records++;
                            if (ReadEntry(document, entry, location, Deserializer) is { } patient)
                            {
                                patients.Add(patient);
                            }

                            break;
                        case Entry.Other:
                            records++;
                            break;
                    }
                }
            }
        }

        return new PatientScan(patients, records);
    }

    private enum Entry
    {
        None,
        Patient,
        Other,
    }

    // The rules of ReadEntry, without deserialising: whether the entry gives a record, and whether it is a Patient.
    private static Entry EntryKind(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return Entry.Other;
        }

        if (!entry.TryGetProperty("resource", out var resource) || resource.ValueKind != JsonValueKind.Object)
        {
            return entry.TryGetProperty("request", out _) || entry.TryGetProperty("response", out _) ? Entry.None : Entry.Other;
        }

        if (entry.TryGetProperty("search", out var search) && search.TryGetProperty("mode", out var mode) && mode.ValueEquals("outcome"u8))
        {
            return Entry.None;
        }

        return resource.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("Patient"u8) ? Entry.Patient : Entry.Other;
    }

    // Whether an NDJSON line's top-level "resourceType" is "Patient" (escapes honoured); a line that is not
    // well-formed is not (a full read rejects it as an "Unknown" record).
    private static bool NamesPatient(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("resourceType"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("Patient"u8);
                }

                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return false;
    }
}
