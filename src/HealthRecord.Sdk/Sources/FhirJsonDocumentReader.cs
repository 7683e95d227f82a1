using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// Reads FHIR R4 JSON: a Bundle of any type (its entries become records; the bundle itself does not),
/// a single resource, or NDJSON (one resource a line, as Bulk Data exports write it).
/// </summary>
/// <remarks>
/// Each resource is deserialised on its own, so one bad entry is rejected with its reason while the rest
/// of the document is read. A document that is not well-formed JSON fails as a whole. NDJSON is streamed
/// line by line; a malformed line rejects that line only. Thread-safe.
/// </remarks>
internal sealed partial class FhirJsonDocumentReader : ISourceDocumentReader
{
    /// <summary>The format name.</summary>
    public const string FormatName = "fhir-json";

    private readonly HealthRecordOptions _options;

    /// <summary>Creates the reader.</summary>
    /// <param name="options">Limits (maximum document size).</param>
    public FhirJsonDocumentReader(IOptions<HealthRecordOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <summary>Creates the reader with default options.</summary>
    public FhirJsonDocumentReader()
        : this(Options.Create(new HealthRecordOptions()))
    {
    }

    /// <inheritdoc />
    public string Format => FormatName;

    /// <inheritdoc />
    public bool CanRead(ReadOnlySpan<byte> head)
    {
        var text = SkipBomAndWhitespace(head);
        if (text.IsEmpty || text[0] != (byte)'{')
        {
            return false;
        }

        // A FHIR resource names its type; look for the property in the first bytes.
        return head.IndexOf("\"resourceType\""u8) >= 0;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<SourceRecord> ReadAsync(SourceDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.EnsureWithin(_options.MaxDocumentBytes);
        return ReadCoreAsync(document, cancellationToken);
    }

    private async IAsyncEnumerable<SourceRecord> ReadCoreAsync(SourceDocument document, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Records copy what they keep (Firely's values, ids, warnings), and every JsonDocument over the content is disposed
        // before the iterator ends: the buffer goes back to the pool then.
        using var rented = await document.RentAllBytesAsync(_options.MaxDocumentBytes, cancellationToken).ConfigureAwait(false);
        var content = rented.Memory;
        var text = SkipBomAndWhitespace(content.Span);
        if (text.IsEmpty)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, document.SourceName, document.DocumentId, "The document is empty.");
        }

        // Parsed first: a document that is one well-formed JSON value is no NDJSON, so the NDJSON check (a tokenisation of
        // the whole document) is needed only when the parse fails. Then the checks run in their order, as they always did.
        var parsed = IsNdjsonByName(document.DocumentId) ? null : TryParse(content);
        var ndjson = parsed is null && IsNdjson(document.DocumentId, text);
        if (!ndjson && InvalidUtf8At(content.Span) is var bad and >= 0)
        {
            parsed?.Dispose();
            // The FHIR deserializer throws an unexpected InvalidOperationException on such strings: refuse them here, typed.
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, document.SourceName, $"{document.DocumentId} {LineAndByte(content.Span, bad)}",
                "The document is not valid UTF-8 (FHIR JSON is always UTF-8).");
        }

        if (ndjson)
        {
            var lineNumber = 0;
            foreach (var line in SplitLines(content))
            {
                cancellationToken.ThrowIfCancellationRequested();
                lineNumber++;
                var span = SkipBomAndWhitespace(line.Span);
                if (span.IsEmpty)
                {
                    continue;
                }

                yield return ReadNdjsonLine(document, line, lineNumber, Deserializer);
            }

            yield break;
        }

        using (var json = parsed is null ? ParseResource(document, content) : CheckResource(document, parsed))
        {
            var root = json.RootElement;
            var rt = root.GetProperty("resourceType");

            if (rt.ValueEquals("Bundle"u8))
            {
                CheckBundleVersion(document, root);
                var index = 0;
                if (root.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array)
                {
                    foreach (var entry in entries.EnumerateArray())
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var location = $"{document.DocumentId}#entry[{index}]";
                        index++;
                        if (ReadEntry(document, entry, location, Deserializer) is { } record)
                        {
                            yield return record;
                        }
                    }
                }
            }
            else
            {
                yield return ReadResource(document, root, document.DocumentId, fullUrl: null, Deserializer);
            }
        }
    }

    // One JSON document holding one FHIR resource (a Bundle or another): parsed within the depth limit, with a
    // "resourceType" string at its root, else the document's typed error. The caller disposes it.
    private JsonDocument ParseResource(SourceDocument document, ReadOnlyMemory<byte> content)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = _options.MaxJsonDepth });
        }
        catch (JsonException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, document.SourceName,
                $"{document.DocumentId} line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}", $"Not well-formed JSON: {FirstSentence(ex.Message)}", ex);
        }

        return CheckResource(document, json);
    }

    // The parsed document when it holds a FHIR resource (a "resourceType" string at its root), else (disposing it) the typed error.
    private static JsonDocument CheckResource(SourceDocument document, JsonDocument json)
    {
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var rt) || rt.ValueKind != JsonValueKind.String)
        {
            json.Dispose();
            throw new SourceReadException(HealthRecordErrorCode.UnsupportedFormat, document.SourceName, document.DocumentId,
                "The JSON is not a FHIR resource: it has no \"resourceType\".");
        }

        return json;
    }

    // The parse of ParseResource, or null when it fails (ParseResource then fails again, in its turn among the checks).
    private JsonDocument? TryParse(ReadOnlyMemory<byte> content)
    {
        try
        {
            return JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = _options.MaxJsonDepth });
        }
#pragma warning disable CA1031 // Whatever the parse throws, ParseResource throws it again after the checks that come first.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private FhirJsonDeserializer Deserializer => _options.ValidateFhirElements ? FhirJson.Deserializer : FhirJson.StructuralDeserializer;

    private static SourceRecord? ReadEntry(SourceDocument document, JsonElement entry, string location, FhirJsonDeserializer deserializer)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return Reject(document, "Unknown", location, HealthRecordErrorCode.InvalidResource, "The bundle entry is not a JSON object.", entry);
        }

        string? fullUrl = entry.TryGetProperty("fullUrl", out var fu) && fu.ValueKind == JsonValueKind.String ? fu.GetString() : null;
        if (!entry.TryGetProperty("resource", out var resource) || resource.ValueKind != JsonValueKind.Object)
        {
            // Entries without a resource (a deleted history entry, a transaction-response status) carry no facts.
            return entry.TryGetProperty("request", out _) || entry.TryGetProperty("response", out _)
                ? null
                : Reject(document, "Unknown", location, HealthRecordErrorCode.InvalidResource, "The bundle entry has no resource.", entry);
        }

        // Search-set outcomes describe the search, not the patient.
        if (entry.TryGetProperty("search", out var search) && search.TryGetProperty("mode", out var mode) && mode.ValueEquals("outcome"u8))
        {
            return null;
        }

        return ReadResource(document, resource, location, fullUrl, deserializer);
    }

    private static SourceRecord ReadResource(SourceDocument document, JsonElement element, string location, string? fullUrl, FhirJsonDeserializer deserializer)
    {
        var type = element.TryGetProperty("resourceType", out var rt) && rt.ValueKind == JsonValueKind.String ? rt.GetString() ?? "Unknown" : "Unknown";
        if (type == "Unknown")
        {
            return Reject(document, type, location, HealthRecordErrorCode.InvalidResource, "The resource has no \"resourceType\".", element, fullUrl);
        }

        if (!ModelInfo.IsKnownResource(type))
        {
            return Reject(document, type, location, HealthRecordErrorCode.UnsupportedFhirVersion,
                $"'{type}' is not a FHIR R4 resource type (is the source another FHIR version?).", element, fullUrl);
        }

        var raw = JsonMarshal.GetRawUtf8Value(element);
        var reader = new Utf8JsonReader(raw);
        Resource resource;
        var warnings = new List<string>();
        try
        {
            MistypedValues.StartWatching();
            resource = deserializer.DeserializeResource(ref reader);
        }
        catch (DeserializationFailedException ex) when (ex.PartialResult is Resource partial && partial.TypeName == type)
        {
            // Element-level problems (an unknown element, a code outside its value set) lose only that element;
            // the record is kept and every problem is reported. The record validators reject what the EHR cannot use.
            resource = partial;
            warnings.AddRange(ex.Exceptions.Select(e => $"{e.ErrorCode}: {e.Message}"));
        }
        catch (DeserializationFailedException ex)
        {
            return Reject(document, type, location, HealthRecordErrorCode.InvalidResource,
                "Not a valid FHIR R4 resource: " + string.Join("; ", ex.Exceptions.Take(5).Select(e => e.Message)), element, fullUrl);
        }

        if (MistypedValues.Seen)
        {
            // Rare: the deserializer met a value of the wrong JSON type (which the validating one refuses, the structural one keeps).
            warnings.AddRange(MistypedValues.Drop(resource));
        }

        if (string.IsNullOrEmpty(resource.Id))
        {
            resource.Id = IdFromFullUrl(fullUrl) ?? StableId(raw);
        }

        return new SourceRecord
        {
            SourceName = document.SourceName,
            ResourceType = resource.TypeName,
            ResourceId = resource.Id,
            Location = location,
            Resource = resource,
            FullUrl = fullUrl,
            DocumentId = document.DocumentId,
            Warnings = warnings,
        };
    }

    private static SourceRecord ReadNdjsonLine(SourceDocument document, ReadOnlyMemory<byte> line, int lineNumber, FhirJsonDeserializer deserializer)
    {
        var location = $"{document.DocumentId} line {lineNumber}";
        if (InvalidUtf8At(line.Span) is var bad and >= 0)
        {
            return SourceRecord.Rejected(document.SourceName, "Unknown", StableId(line.Span), location,
                new SourceRejection(HealthRecordErrorCode.MalformedContent, $"The line is not valid UTF-8 (byte {bad + 1}; FHIR JSON is always UTF-8)."));
        }

        try
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.ValueKind == JsonValueKind.Object
                ? ReadResource(document, json.RootElement, location, fullUrl: null, deserializer)
                : SourceRecord.Rejected(document.SourceName, "Unknown", StableId(line.Span), location,
                    new SourceRejection(HealthRecordErrorCode.InvalidResource, "The line is not a JSON object."));
        }
        catch (JsonException ex)
        {
            return SourceRecord.Rejected(document.SourceName, "Unknown", StableId(line.Span), location,
                new SourceRejection(HealthRecordErrorCode.MalformedContent, $"Not well-formed JSON: {FirstSentence(ex.Message)}"));
        }
    }

    private static SourceRecord Reject(SourceDocument document, string type, string location, HealthRecordErrorCode code, string reason, JsonElement element, string? fullUrl = null)
    {
        var id = element.ValueKind == JsonValueKind.Object && element.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String
            ? idElement.GetString()!
            : IdFromFullUrl(fullUrl) ?? StableId(JsonMarshal.GetRawUtf8Value(element));
        return SourceRecord.Rejected(document.SourceName, type, id, location, new SourceRejection(code, reason));
    }

    private static void CheckBundleVersion(SourceDocument document, JsonElement bundle)
    {
        // R4 bundles have no version marker of their own; DSTU2 ones are recognisable by their base/meta profile.
        if (bundle.TryGetProperty("meta", out var meta) && meta.TryGetProperty("fhirVersion", out var v) && v.ValueKind == JsonValueKind.String
            && !(v.GetString() ?? "").StartsWith("4.0", StringComparison.Ordinal))
        {
            throw new SourceReadException(HealthRecordErrorCode.UnsupportedFhirVersion, document.SourceName, document.DocumentId,
                $"The bundle declares FHIR version {v.GetString()}; only R4 (4.0.x) is read.");
        }
    }

    internal static string? IdFromFullUrl(string? fullUrl)
    {
        if (fullUrl is null)
        {
            return null;
        }

        if (fullUrl.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
        {
            return fullUrl[9..];
        }

        if (fullUrl.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase))
        {
            return fullUrl[8..];
        }

        return ResourceReferences.TryParseTypeAndId(fullUrl, out _, out var id) ? id : null;
    }

    internal static string StableId(ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(content, digest);
        return "h" + Convert.ToHexStringLower(digest[..12]);
    }

    private static bool IsNdjson(string documentId, ReadOnlySpan<byte> text)
    {
        if (IsNdjsonByName(documentId))
        {
            return true;
        }

        // Several top-level JSON values, one a line, is NDJSON whatever the file is called.
        var reader = new Utf8JsonReader(text, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 256 });
        try
        {
            if (!reader.Read() || !reader.TrySkip())
            {
                return false;
            }

            return reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsNdjsonByName(string documentId) =>
        documentId.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || documentId.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<ReadOnlyMemory<byte>> SplitLines(ReadOnlyMemory<byte> content)
    {
        var start = 0;
        while (start < content.Length)
        {
            var rest = content.Span[start..];
            var nl = rest.IndexOf((byte)'\n');
            var end = nl < 0 ? content.Length : start + nl;
            yield return content[start..end];
            start = end + 1;
        }
    }

    internal static ReadOnlySpan<byte> SkipBomAndWhitespace(ReadOnlySpan<byte> span)
    {
        if (span.StartsWith(Encoding.UTF8.Preamble))
        {
            span = span[3..];
        }

        return span.TrimStart(" \t\r\n"u8);
    }


    /// <summary>The offset of the first byte that is not part of a valid UTF-8 sequence, or -1 when all are valid.</summary>
    internal static int InvalidUtf8At(ReadOnlySpan<byte> content)
    {
        if (System.Text.Unicode.Utf8.IsValid(content))
        {
            return -1;
        }

        var offset = 0;
        while (offset < content.Length)
        {
            if (Rune.DecodeFromUtf8(content[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    private static string LineAndByte(ReadOnlySpan<byte> content, int offset)
    {
        var before = content[..offset];
        var line = before.Count((byte)'\n') + 1;
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return $"line {line}, byte {offset - lineStart + 1}";
    }

    private static string FirstSentence(string message)
    {
        var dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..(dot + 1)] : message;
    }
}
