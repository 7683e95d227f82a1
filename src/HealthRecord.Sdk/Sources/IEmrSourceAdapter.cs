namespace HealthRecord.Sdk.Sources;

/// <summary>
/// Reads one kind of EMR source (files and folders, a FHIR server, a message feed) into
/// <see cref="SourceRecord"/>s. Register adapters with the builder; the aggregator asks each in
/// registration order (the built-in file-system adapter last) and uses the first that accepts a request.
/// </summary>
/// <remarks>Implementations must be thread-safe.</remarks>
public interface IEmrSourceAdapter
{
    /// <summary>Whether this adapter reads the request (e.g. an existing path, or an <c>https://</c> base URL).</summary>
    /// <param name="request">The request.</param>
    /// <returns><see langword="true"/> if it does.</returns>
    bool CanRead(SourceRequest request);

    /// <summary>Reads the source.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The source's documents, each with its records, as they are read.</returns>
    /// <exception cref="Errors.SourceReadException">The source as a whole cannot be read (e.g. missing path).</exception>
    IAsyncEnumerable<SourceDocumentResult> ReadAsync(SourceRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads only some documents of the source, named by the <see cref="SourceDocumentResult.DocumentId"/> an earlier
    /// <see cref="ReadAsync"/> gave them, with the same records as that read (a population run reads each person's
    /// documents again, person by person). The default reads the whole source and keeps those documents; adapters
    /// that can open one document alone override it.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="documentIds">The documents to read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Those documents, as <see cref="ReadAsync"/> reads them.</returns>
    async IAsyncEnumerable<SourceDocumentResult> ReadDocumentsAsync(SourceRequest request, IReadOnlySet<string> documentIds, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentIds);
        await foreach (var document in ReadAsync(request, cancellationToken).ConfigureAwait(false))
        {
            if (documentIds.Contains(document.DocumentId))
            {
                yield return document;
            }
        }
    }
}

/// <summary>The outcome of reading one document: its records, or the error that stopped it.</summary>
/// <remarks>A failed document contributes no records, so a half-read document never reaches the EHR.</remarks>
public sealed class SourceDocumentResult
{
    /// <summary>The source name.</summary>
    public required string SourceName { get; init; }

    /// <summary>The document id.</summary>
    public required string DocumentId { get; init; }

    /// <summary>The format that read it, when one did.</summary>
    public string? Format { get; init; }

    /// <summary>The records (accepted and rejected) when the document could be read.</summary>
    public IReadOnlyList<SourceRecord> Records { get; init; } = [];

    /// <summary>The error that stopped the document, if any.</summary>
    public Errors.SourceReadException? Error { get; init; }

    /// <summary>Set when a population run's Patient scan read the document: <see cref="Records"/> then holds its Patients only, and this is how many records a full read gives.</summary>
    internal int? ScannedRecords { get; init; }

    /// <summary>Whether the document was read.</summary>
    public bool Succeeded => Error is null;
}
