using System.Xml;
using System.Xml.Linq;
using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Ccda;

/// <summary>
/// Loads XML without any of the parser features attackers use: no DTD (so no entity expansion, no
/// external entities), no resolver, and hard limits on size, depth, attributes and text length.
/// </summary>
internal static class SafeXmlLoader
{
    public static XmlReaderSettings Settings(CcdaOptions options) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = options.MaxCharactersInDocument,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = false,
        CloseInput = false,
    };

    /// <summary>Checks then loads the document.</summary>
    /// <exception cref="SourceReadException">Hostile, too large or malformed content.</exception>
    public static XDocument Load(ReadOnlyMemory<byte> content, CcdaOptions options, string sourceName, string location)
    {
        var hostileMarker = content.Span.IndexOf("<!DOCTYPE"u8) >= 0 || content.Span.IndexOf("<!ENTITY"u8) >= 0;
        try
        {
            // First pass: stream through the document enforcing the structural limits, so that nothing heavy is
            // built for hostile input. Second pass: build the tree with the same safe settings.
            Scan(content, options, sourceName, location);
            using var stream = Open(content);
            using var reader = XmlReader.Create(stream, Settings(options));
            return XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException ex) when (hostileMarker)
        {
            throw new SourceReadException(HealthRecordErrorCode.HostileContent, sourceName, location,
                "The document declares a DTD or entities (a document type declaration); C-CDA never needs one, and DTDs enable XXE and entity-expansion attacks, so it is refused.", ex);
        }
        catch (XmlException ex) when (ex.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal))
        {
            throw new SourceReadException(HealthRecordErrorCode.LimitExceeded, sourceName, location,
                $"The document has more than {options.MaxCharactersInDocument:N0} characters (CcdaOptions.MaxCharactersInDocument).", ex);
        }
        catch (XmlException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, sourceName, $"{location} line {ex.LineNumber}, position {ex.LinePosition}",
                "Not well-formed XML: " + ex.Message, ex);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, sourceName, location, "The document is not in the encoding it declares.", ex);
        }
    }

    private static MemoryStream Open(ReadOnlyMemory<byte> content) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);

    private static void Scan(ReadOnlyMemory<byte> content, CcdaOptions options, string sourceName, string location)
    {
        using var stream = Open(content);
        using var reader = XmlReader.Create(stream, Settings(options));
        var info = (IXmlLineInfo)reader;
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    if (reader.Depth >= options.MaxDepth)
                    {
                        throw Limit($"elements nest deeper than {options.MaxDepth} levels (CcdaOptions.MaxDepth)");
                    }

                    if (reader.AttributeCount > options.MaxAttributesPerElement)
                    {
                        throw Limit($"an element has {reader.AttributeCount} attributes, more than {options.MaxAttributesPerElement} (CcdaOptions.MaxAttributesPerElement)");
                    }

                    break;
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                    // Value materialises the node; its length is already bounded by MaxCharactersInDocument.
                    if (reader.Value.Length > options.MaxTextLength)
                    {
                        throw Limit($"a text node has {reader.Value.Length:N0} characters, more than {options.MaxTextLength:N0} (CcdaOptions.MaxTextLength)");
                    }

                    break;
                default:
                    break;
            }
        }

        SourceReadException Limit(string what) => new(HealthRecordErrorCode.LimitExceeded, sourceName,
            $"{location} line {info.LineNumber}, position {info.LinePosition}", $"The document exceeds a safety limit: {what}.");
    }
}
