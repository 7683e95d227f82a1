using System.Text;
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
        // The scan's records copy what they keep and its JsonDocuments are disposed before it returns: the buffer goes back then.
        using var rented = await document.RentAllBytesAsync(_options.MaxDocumentBytes, cancellationToken).ConfigureAwait(false);
        var content = rented.Memory;
        var text = SkipBomAndWhitespace(content.Span);
        if (text.IsEmpty)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, document.SourceName, document.DocumentId, "The document is empty.");
        }

        if (!IsNdjsonByName(document.DocumentId) && ScanQuickly(document, content, cancellationToken) is { } quick)
        {
            return quick;
        }

        return ScanParsed(document, content, text, cancellationToken);
    }

    // The scan by the rules of a full read, over a parsed document: the reference the quick scan falls back to.
    internal PatientScan ScanParsed(SourceDocument document, ReadOnlyMemory<byte> content, ReadOnlySpan<byte> text, CancellationToken cancellationToken)
    {
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

    /// <summary>
    /// The scan of the common document, a Bundle (or another resource) that is one well-formed JSON object, in one pass of a
    /// <see cref="Utf8JsonReader"/>: no <see cref="JsonDocument"/> of the whole file, no second tokenisation to tell NDJSON, and
    /// only the Patient entries parsed (each on its own, then read by the full read's own code).
    /// </summary>
    /// <returns>The scan, or <see langword="null"/> for anything out of the ordinary (malformed JSON, a second top-level value,
    /// a byte order mark, a duplicated property the rules look at, a shape on which the full read's JSON lookups would throw,
    /// a declared FHIR version, a Patient that is the root): <see cref="ScanParsed"/> then decides, as a full read does.</returns>
    internal PatientScan? ScanQuickly(SourceDocument document, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (content.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            return null;
        }

        var reader = new Utf8JsonReader(content.Span, new JsonReaderOptions { MaxDepth = _options.MaxJsonDepth });
        var patientEntries = new List<(int Index, int Start, int End)>();
        var records = 0;
        var type = Entry.None; // of the root: Patient, Other, or None until "resourceType" is met; Bundle is told apart below
        bool bundle = false, sawEntry = false, sawMeta = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("resourceType"u8))
                {
                    if (type != Entry.None || !reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return null;
                    }

                    bundle = reader.ValueTextEquals("Bundle"u8);
                    type = reader.ValueTextEquals("Patient"u8) ? Entry.Patient : Entry.Other;
                }
                else if (reader.ValueTextEquals("entry"u8))
                {
                    if (sawEntry)
                    {
                        return null;
                    }

                    sawEntry = true;
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        continue;
                    }

                    for (var index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var start = (int)reader.TokenStartIndex;
                        switch (EntryKind(ref reader))
                        {
                            case Entry.Patient:
                                records++;
                                patientEntries.Add((index, start, (int)reader.BytesConsumed));
                                break;
                            case Entry.Other:
                                records++;
                                break;
                            case Entry.Unsure:
                                return null;
                        }
                    }
                }
                else if (reader.ValueTextEquals("meta"u8))
                {
                    // A bundle's declared version is checked by the full read's code (the fallback); other meta is skipped.
                    if (sawMeta || !reader.Read() || reader.TokenType != JsonTokenType.StartObject || HasProperty(ref reader, "fhirVersion"u8))
                    {
                        return null;
                    }

                    sawMeta = true;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // The root object has ended; with one value allowed, anything but whitespace after it throws (NDJSON or not JSON).
            if (reader.Read())
            {
                return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        if (type == Entry.None || type == Entry.Patient)
        {
            return null;
        }

        if (!bundle)
        {
            return new PatientScan([], 1);
        }

        var patients = new List<SourceRecord>(patientEntries.Count);
        foreach (var (index, start, end) in patientEntries)
        {
            using var entry = JsonDocument.Parse(content[start..end], new JsonDocumentOptions { MaxDepth = _options.MaxJsonDepth });
            if (ReadEntry(document, entry.RootElement, $"{document.DocumentId}#entry[{index}]", Deserializer) is { } patient)
            {
                patients.Add(patient);
            }
        }

        return new PatientScan(patients, records);
    }

    // EntryKind below, on a reader at an entry's first token, which it leaves at the entry's last token. Unsure where the
    // JsonElement lookups of the full read would see a duplicated property or throw (a "search" or "mode" of another kind).
    private static Entry EntryKind(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return Entry.Other;
        }

        bool sawResource = false, resourceIsObject = false, patient = false, requestOrResponse = false, sawSearch = false, outcome = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("resource"u8))
            {
                if (sawResource)
                {
                    return Entry.Unsure;
                }

                sawResource = true;
                reader.Read();
                resourceIsObject = reader.TokenType == JsonTokenType.StartObject;
                if (!resourceIsObject)
                {
                    reader.Skip();
                    continue;
                }

                var sawType = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isType = reader.ValueTextEquals("resourceType"u8);
                    if (isType && sawType)
                    {
                        return Entry.Unsure;
                    }

                    sawType |= isType;
                    reader.Read();
                    if (isType)
                    {
                        patient = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("Patient"u8);
                    }

                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("search"u8))
            {
                if (sawSearch || !reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return Entry.Unsure;
                }

                sawSearch = true;
                var sawMode = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isMode = reader.ValueTextEquals("mode"u8);
                    reader.Read();
                    if (isMode)
                    {
                        if (sawMode || reader.TokenType != JsonTokenType.String)
                        {
                            return Entry.Unsure;
                        }

                        sawMode = true;
                        outcome = reader.ValueTextEquals("outcome"u8);
                    }

                    reader.Skip();
                }
            }
            else
            {
                requestOrResponse |= reader.ValueTextEquals("request"u8) || reader.ValueTextEquals("response"u8);
                reader.Read();
                reader.Skip();
            }
        }

        if (!resourceIsObject)
        {
            return requestOrResponse ? Entry.None : Entry.Other;
        }

        return outcome ? Entry.None : patient ? Entry.Patient : Entry.Other;
    }

    // Whether an object (the reader at its start) has the property at its top level; the reader is left at its end.
    private static bool HasProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            found |= reader.ValueTextEquals(name);
            reader.Read();
            reader.Skip();
        }

        return found;
    }

    private enum Entry
    {
        None,
        Patient,
        Other,
        Unsure,
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
