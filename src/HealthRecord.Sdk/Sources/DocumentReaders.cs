using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// What every adapter that hands documents to <see cref="ISourceDocumentReader"/>s does: pick the reader
/// (by the requested format, else by content) and turn the read, or the error that stopped it, into a
/// <see cref="SourceDocumentResult"/> with no partial records.
/// </summary>
internal static class DocumentReaders
{
    public static ISourceDocumentReader? Select(IReadOnlyList<ISourceDocumentReader> readers, string? format, ReadOnlySpan<byte> head)
    {
        if (format is not null)
        {
            return readers.FirstOrDefault(r => string.Equals(r.Format, format, StringComparison.OrdinalIgnoreCase));
        }

        if (head.IsEmpty)
        {
            return null;
        }

        foreach (var reader in readers)
        {
            if (reader.CanRead(head))
            {
                return reader;
            }
        }

        return null;
    }

    public static async Task<SourceDocumentResult> ReadAsync(ISourceDocumentReader reader, SourceDocument document, CancellationToken cancellationToken)
    {
        try
        {
            var records = new List<SourceRecord>();
            await foreach (var record in reader.ReadAsync(document, cancellationToken).ConfigureAwait(false))
            {
                records.Add(record);
            }

            return new SourceDocumentResult { SourceName = document.SourceName, DocumentId = document.DocumentId, Format = reader.Format, Records = records };
        }
        catch (SourceReadException ex)
        {
            return Failed(document, ex);
        }
    }

    public static SourceDocumentResult Failed(SourceDocument document, SourceReadException error) =>
        new() { SourceName = document.SourceName, DocumentId = document.DocumentId, Error = error };

    public static SourceDocumentResult Failed(SourceDocument document, HealthRecordErrorCode code, string message, Exception? inner = null) =>
        Failed(document, new SourceReadException(code, document.SourceName, document.DocumentId, message, inner));
}
