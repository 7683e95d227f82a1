namespace HealthRecord.Sdk.Sources;

/// <summary>
/// Reads one document format (FHIR JSON, C-CDA, HL7 v2, …) into <see cref="SourceRecord"/>s.
/// The built-in file-system adapter hands each file of a source to the first reader whose
/// <see cref="CanRead"/> accepts the file's first bytes, so formats are detected from content.
/// </summary>
/// <remarks>Implementations must be thread-safe: one instance reads many documents concurrently.</remarks>
public interface ISourceDocumentReader
{
    /// <summary>The format name, e.g. <c>fhir-json</c>, <c>ccda</c>, <c>hl7v2</c>.</summary>
    string Format { get; }

    /// <summary>Whether the document looks like this format, judged from its first bytes.</summary>
    /// <param name="head">Up to the first 4 KiB of the document (a UTF-8 BOM, if any, included).</param>
    /// <returns><see langword="true"/> when this reader should read the document.</returns>
    bool CanRead(ReadOnlySpan<byte> head);

    /// <summary>Reads the document.</summary>
    /// <param name="document">The document.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// The records, in document order. Items that cannot be used come back as rejected records with a reason.
    /// </returns>
    /// <exception cref="Errors.SourceReadException">The document as a whole cannot be read (malformed, hostile, too large).</exception>
    IAsyncEnumerable<SourceRecord> ReadAsync(SourceDocument document, CancellationToken cancellationToken = default);
}
