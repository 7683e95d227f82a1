using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Ccda;

/// <summary>
/// Converts C-CDA documents (R2.1 and R1.1: CCD, Referral Note, Discharge Summary, Progress Note, …) to FHIR R4
/// resources with a conversion report. The entry point for tools such as the CLI <c>convert</c> command.
/// </summary>
/// <remarks>
/// <para>Parsing is safe by construction: DTDs are refused (no XXE, no entity expansion), no resolver is used, and
/// size, depth, attribute and text-length limits from <see cref="CcdaOptions"/> apply.</para>
/// <para>Thread-safe: one instance converts many documents concurrently.</para>
/// <example>
/// <code>
/// var result = new CcdaConverter().Convert(File.OpenRead("ccd.xml"), "ccd.xml");
/// File.WriteAllText("bundle.json", FhirJson.Serialize(result.ToBundle(), pretty: true));
/// File.WriteAllText("report.json", result.Report.ToJson());
/// </code>
/// </example>
/// </remarks>
public sealed class CcdaConverter
{
    private readonly CcdaOptions _options;

    /// <summary>Creates a converter.</summary>
    /// <param name="options">Limits and choices; defaults when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public CcdaConverter(CcdaOptions? options = null)
    {
        _options = options ?? new CcdaOptions();
        _options.Validate();
    }

    /// <summary>Whether the first bytes of a document look like a C-CDA document (root <c>ClinicalDocument</c> in <c>urn:hl7-org:v3</c>).</summary>
    /// <param name="head">The first bytes (4 KiB is plenty).</param>
    /// <returns><see langword="true"/> for a CDA document.</returns>
    public static bool LooksLikeCcda(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 2 && head[0] == 0xFF && head[1] == 0xFE)
        {
            return IsCda<char>(Encoding.Unicode.GetString(head[2..]));
        }

        if (head.Length >= 2 && head[0] == 0xFE && head[1] == 0xFF)
        {
            return IsCda<char>(Encoding.BigEndianUnicode.GetString(head[2..]));
        }

        // Read as Latin-1, which maps each byte to the char of the same value: the bytes are those chars, so no string is
        // decoded (every file of a folder is sniffed, and most are not C-CDA).
        return IsCda(head);
    }

    // The root element is ClinicalDocument (any prefix) and the CDA namespace is named in the head.
    private static bool IsCda<T>(ReadOnlySpan<T> text)
        where T : unmanaged, IBinaryInteger<T>
    {
        if (FirstElementName(text) is not { } range)
        {
            return false;
        }

        var root = text[range];
        var name = Literal<T>.ClinicalDocument;
        return (root.SequenceEqual(name) || (root.EndsWith(name) && root.Length > name.Length && root[^(name.Length + 1)] == T.CreateTruncating(':')))
            && text.IndexOf(Literal<T>.CdaNamespace) >= 0;
    }

    /// <summary>The literals the sniffing looks for, as chars or as (Latin-1) bytes.</summary>
    private static class Literal<T>
        where T : unmanaged, IBinaryInteger<T>
    {
        public static readonly T[] ClinicalDocument = Of("ClinicalDocument");
        public static readonly T[] CdaNamespace = Of("urn:hl7-org:v3");
        public static readonly T[] CommentStart = Of("<!--");
        public static readonly T[] CommentEnd = Of("-->");

        private static T[] Of(string text) => text.Select(c => T.CreateTruncating(c)).ToArray();
    }

    /// <summary>Reads and converts a document from a stream.</summary>
    /// <param name="stream">The document; read to its end, not disposed.</param>
    /// <param name="documentName">A name for locations in errors (e.g. the file name).</param>
    /// <returns>The resources and the report.</returns>
    /// <exception cref="SourceReadException">The document is hostile (<see cref="HealthRecordErrorCode.HostileContent"/>), too large
    /// (<see cref="HealthRecordErrorCode.LimitExceeded"/>), not well-formed (<see cref="HealthRecordErrorCode.MalformedContent"/>) or not
    /// a CDA document (<see cref="HealthRecordErrorCode.UnsupportedFormat"/>).</exception>
    public CcdaConversionResult Convert(Stream stream, string documentName = "document")
    {
        ArgumentNullException.ThrowIfNull(stream);
        var limit = _options.MaxCharactersInDocument * 4;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new SourceReadException(HealthRecordErrorCode.LimitExceeded, "ccda", documentName,
                    $"The document is larger than {limit:N0} bytes (4 × CcdaOptions.MaxCharactersInDocument).");
            }

            buffer.Write(chunk, 0, read);
        }

        return Convert(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), documentName);
    }

    /// <summary>Converts a document held in memory.</summary>
    /// <param name="content">The document bytes.</param>
    /// <param name="documentName">A name for locations in errors.</param>
    /// <returns>The resources and the report.</returns>
    /// <exception cref="SourceReadException">See <see cref="Convert(Stream, string)"/>.</exception>
    public CcdaConversionResult Convert(ReadOnlyMemory<byte> content, string documentName = "document") =>
        Convert(content, documentName, "ccda");

    internal CcdaConversionResult Convert(ReadOnlyMemory<byte> content, string documentName, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(documentName);
        var document = SafeXmlLoader.Load(content, _options, sourceName, documentName);
        return ConvertLoaded(document, content, sourceName, documentName);
    }

    /// <summary>Converts a document already loaded (the caller is responsible for having loaded it safely).</summary>
    /// <param name="document">The document.</param>
    /// <returns>The resources and the report.</returns>
    /// <exception cref="SourceReadException">The document is not a CDA document.</exception>
    public CcdaConversionResult Convert(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var bytes = Encoding.UTF8.GetBytes(document.ToString(SaveOptions.DisableFormatting));
        return ConvertLoaded(document, bytes, "ccda", "document");
    }

    private CcdaConversionResult ConvertLoaded(XDocument document, ReadOnlyMemory<byte> content, string sourceName, string documentName)
    {
        var root = document.Root;
        if (root is null || root.Name != Cda.V3 + "ClinicalDocument")
        {
            throw new SourceReadException(HealthRecordErrorCode.UnsupportedFormat, sourceName, documentName,
                $"The root element is '{root?.Name}', not ClinicalDocument in the urn:hl7-org:v3 namespace.");
        }

        var documentKey = ConversionContext.IdKey(root) ?? "sha256:" + Convert(SHA256.HashData(content.Span));
        var context = new ConversionContext(document, _options, documentKey);
        var converter = new DocumentConverter(context);
        try
        {
            converter.Convert(content);
        }
        catch (Exception ex) when (ex is not (HealthRecordException or OperationCanceledException or OutOfMemoryException))
        {
            // A document shape the converter does not cope with must not take the host down; say which document.
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, sourceName, documentName,
                $"The document could not be converted ({ex.GetType().Name}); please report it with the document's structure (not its data).", ex);
        }

        // The converter shares element instances (the patient reference, practitioner references) between resources;
        // each resource gets its own copy so that callers (and the pipeline, which rewrites references in place) can
        // change one resource without changing another.
        var resources = new List<Hl7.Fhir.Model.Resource>(context.Resources.Count);
        var locations = new Dictionary<Hl7.Fhir.Model.Resource, string>(ReferenceEqualityComparer.Instance);
        foreach (var (resource, xpath) in context.Resources)
        {
            var copy = Hl7.Fhir.Model.BaseExtensions.DeepCopy(resource);
            resources.Add(copy);
            locations[copy] = xpath;
        }

        var counts = resources.GroupBy(r => r.TypeName, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var type = root.E("code") is { } code ? code.A("displayName") ?? code.A("code") : null;
        var report = new CcdaConversionReport(documentKey, type, converter.Sections, context.NotConverted, context.Warnings, counts);
        return new CcdaConversionResult(documentKey, resources, locations, report);

        static string Convert(byte[] hash) => System.Convert.ToHexStringLower(hash);
    }

    // Where the name of the first element is (after the XML declaration, processing instructions, comments and a DOCTYPE).
    private static Range? FirstElementName<T>(ReadOnlySpan<T> text)
        where T : unmanaged, IBinaryInteger<T>
    {
        T lessThan = T.CreateTruncating('<'), greaterThan = T.CreateTruncating('>'), slash = T.CreateTruncating('/');
        var i = 0;
        while (i < text.Length)
        {
            var found = text[i..].IndexOf(lessThan);
            var lt = found < 0 ? -1 : i + found;
            if (lt < 0 || lt + 1 >= text.Length)
            {
                return null;
            }

            var next = text[lt + 1];
            if (next == T.CreateTruncating('?') || next == T.CreateTruncating('!'))
            {
                var end = next == T.CreateTruncating('!') && text[lt..].StartsWith(Literal<T>.CommentStart)
                    ? text[lt..].IndexOf(Literal<T>.CommentEnd)
                    : text[lt..].IndexOf(greaterThan);
                if (end < 0)
                {
                    return null;
                }

                i = lt + end + 1;
                continue;
            }

            var nameEnd = lt + 1;
            while (nameEnd < text.Length && !char.IsWhiteSpace((char)ushort.CreateTruncating(text[nameEnd])) && text[nameEnd] != greaterThan && text[nameEnd] != slash)
            {
                nameEnd++;
            }

            return (lt + 1)..nameEnd;
        }

        return null;
    }
}
