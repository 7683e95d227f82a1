using System.Runtime.CompilerServices;
using System.Xml;
using HealthRecord.Sdk.Errors;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// Reads FHIR R4 XML: a Bundle of any type (its entries become records) or a single resource.
/// </summary>
/// <remarks>
/// The XML is parsed with DTD processing prohibited and no external resolution, under the document size
/// limit, so entity expansion and external entities never happen. Thread-safe.
/// </remarks>
internal sealed class FhirXmlDocumentReader : ISourceDocumentReader
{
    /// <summary>The format name.</summary>
    public const string FormatName = "fhir-xml";

    private static readonly FhirXmlDeserializer Deserializer = new(new DeserializerSettings { Validator = null });
    private readonly HealthRecordOptions _options;

    /// <summary>Creates the reader.</summary>
    /// <param name="options">Limits.</param>
    public FhirXmlDocumentReader(IOptions<HealthRecordOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <summary>Creates the reader with default options.</summary>
    public FhirXmlDocumentReader()
        : this(Options.Create(new HealthRecordOptions()))
    {
    }

    /// <inheritdoc />
    public string Format => FormatName;

    /// <inheritdoc />
    public bool CanRead(ReadOnlySpan<byte> head)
    {
        var text = FhirJsonDocumentReader.SkipBomAndWhitespace(head);
        return !text.IsEmpty && text[0] == (byte)'<' && head.IndexOf("\"http://hl7.org/fhir\""u8) >= 0 && head.IndexOf("urn:hl7-org:v3"u8) < 0;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceRecord> ReadAsync(SourceDocument document, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        var content = await document.ReadAllBytesAsync(_options.MaxDocumentBytes, cancellationToken).ConfigureAwait(false);
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = _options.MaxDocumentBytes,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };

        Resource? resource;
        var warnings = new List<string>();
        try
        {
            var bytes = content.ToArray();
            CheckDepth(document, bytes, settings, _options.MaxJsonDepth);
            using var stream = new MemoryStream(bytes, writable: false);
            using var xml = XmlReader.Create(stream, settings);
            if (!Deserializer.TryDeserializeResource(xml, out resource, out var errors))
            {
                var list = errors.ToList();
                if (resource is null)
                {
                    throw new SourceReadException(HealthRecordErrorCode.InvalidResource, document.SourceName, document.DocumentId,
                        "Not a valid FHIR R4 XML resource: " + string.Join("; ", list.Take(5).Select(e => e.Message)));
                }

                warnings.AddRange(list.Select(e => $"{e.ErrorCode}: {e.Message}"));
            }
        }
        catch (XmlException ex) when (ex.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            throw new SourceReadException(HealthRecordErrorCode.HostileContent, document.SourceName, document.DocumentId,
                "The document declares a DTD; DTDs and entities are refused so they cannot expand or reach outside.", ex);
        }
        catch (XmlException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, document.SourceName,
                $"{document.DocumentId} line {ex.LineNumber}, position {ex.LinePosition}", $"Not well-formed XML: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidCastException or InvalidOperationException or ArgumentException or FormatException or NullReferenceException or IndexOutOfRangeException)
        {
            // The deserializer fails this way on XML that is well-formed but not FHIR in the shapes it expects
            // (fuzzing found casts of extensions to primitives). The message may quote content: only the type is kept.
            throw new SourceReadException(HealthRecordErrorCode.InvalidResource, document.SourceName, document.DocumentId,
                $"Not a valid FHIR R4 XML resource: the deserializer failed ({ex.GetType().Name}).", ex);
        }

        if (resource is Bundle bundle)
        {
            for (var i = 0; i < bundle.Entry.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var entry = bundle.Entry[i];
                if (entry.Resource is not { } r)
                {
                    continue;
                }

                r.Id ??= FhirJsonDocumentReader.IdFromFullUrl(entry.FullUrl) ?? FhirJsonDocumentReader.StableId(Fhir.FhirJson.SerializeToUtf8(r));
                yield return new SourceRecord
                {
                    SourceName = document.SourceName,
                    ResourceType = r.TypeName,
                    ResourceId = r.Id,
                    Location = $"{document.DocumentId}#entry[{i}]",
                    Resource = r,
                    FullUrl = entry.FullUrl,
                    DocumentId = document.DocumentId,
                    Warnings = i == 0 ? warnings : [],
                };
            }

            yield break;
        }

        resource!.Id ??= FhirJsonDocumentReader.StableId(content.Span);
        yield return new SourceRecord
        {
            SourceName = document.SourceName,
            ResourceType = resource.TypeName,
            ResourceId = resource.Id,
            Location = document.DocumentId,
            Resource = resource,
            DocumentId = document.DocumentId,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// Refuses elements nested deeper than the limit before the FHIR deserializer sees them: it recurses per level,
    /// and hostile nesting would overflow the stack (which no handler can catch).
    /// </summary>
    private static void CheckDepth(SourceDocument document, byte[] content, XmlReaderSettings settings, int maxDepth)
    {
        using var stream = new MemoryStream(content, writable: false);
        using var xml = XmlReader.Create(stream, settings);
        while (xml.Read())
        {
            if (xml.NodeType == XmlNodeType.Element && xml.Depth > maxDepth)
            {
                var info = (IXmlLineInfo)xml;
                throw new SourceReadException(HealthRecordErrorCode.LimitExceeded, document.SourceName, $"{document.DocumentId} line {info.LineNumber}, position {info.LinePosition}",
                    $"Elements nest deeper than {maxDepth} levels (HealthRecordOptions.MaxJsonDepth).");
            }
        }
    }
}
