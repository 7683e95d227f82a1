using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// What every adapter that hands documents to <see cref="ISourceDocumentReader"/>s does: pick the reader
/// (by the requested format, else by content) and turn the read, or the error that stopped it, into a
/// <see cref="SourceDocumentResult"/> with no partial records.
/// </summary>
/// <remarks>
/// This is the per-document exception boundary: whatever a reader throws (its own <see cref="SourceReadException"/>,
/// or a defect of a parser underneath it met on hostile bytes) becomes a typed error on that document alone, so the
/// other documents and sources are still read. Only cancellation asked for by the caller leaves it.
/// </remarks>
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
            if (CanRead(reader, head))
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
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The boundary: any failure of a reader on one document must not stop the source or the run.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Failed(document, Unexpected(reader.Format, document, ex));
        }
    }

    /// <summary>
    /// The typed error for an exception a reader did not expect. The reason names the exception type only: its
    /// message may quote the document's content (patient data). The exception is kept as the inner exception.
    /// </summary>
    public static SourceReadException Unexpected(string format, SourceDocument document, Exception ex) => ex switch
    {
        IOException or UnauthorizedAccessException => new SourceReadException(HealthRecordErrorCode.SourceUnavailable, document.SourceName, document.DocumentId,
            $"The document could not be read ({ex.GetType().Name}).", ex),
        InsufficientExecutionStackException => new SourceReadException(HealthRecordErrorCode.LimitExceeded, document.SourceName, document.DocumentId,
            $"The {format} document nests too deeply to be read.", ex),
        OutOfMemoryException => new SourceReadException(HealthRecordErrorCode.LimitExceeded, document.SourceName, document.DocumentId,
            $"The {format} document needs more memory than is available.", ex),
        _ when IsInvalidText(ex) => new SourceReadException(HealthRecordErrorCode.MalformedContent, document.SourceName, document.DocumentId,
            $"The {format} document is not valid text (an invalid UTF-8 or other encoding sequence).", ex),
        _ => new SourceReadException(HealthRecordErrorCode.MalformedContent, document.SourceName, document.DocumentId,
            $"The {format} reader could not read the document ({ex.GetType().Name}); it is skipped.", ex),
    };

    public static SourceDocumentResult Failed(SourceDocument document, SourceReadException error) =>
        new() { SourceName = document.SourceName, DocumentId = document.DocumentId, Error = error };

    public static SourceDocumentResult Failed(SourceDocument document, HealthRecordErrorCode code, string message, Exception? inner = null) =>
        Failed(document, new SourceReadException(code, document.SourceName, document.DocumentId, message, inner));

    private static bool CanRead(ISourceDocumentReader reader, ReadOnlySpan<byte> head)
    {
        try
        {
            return reader.CanRead(head);
        }
#pragma warning disable CA1031 // A reader that fails to judge a head does not read it; the next reader is asked.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static bool IsInvalidText(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Text.DecoderFallbackException
                || (e is InvalidOperationException && e.Message.Contains("UTF-8", StringComparison.OrdinalIgnoreCase))
                || (e is ArgumentException && e.Message.Contains("UTF-8", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
