namespace HealthRecord.Sdk.Sources;

/// <summary>
/// One document of a source handed to an <see cref="ISourceDocumentReader"/>: a file of a folder,
/// a message from a stream, a page from a server.
/// </summary>
/// <remarks>The <see cref="OpenAsync"/> delegate may be called more than once; each call returns a new stream.</remarks>
public sealed class SourceDocument
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _open;

    /// <summary>Creates a document.</summary>
    /// <param name="sourceName">The source name.</param>
    /// <param name="documentId">A stable id for the document inside the source (e.g. its path relative to the source root).</param>
    /// <param name="open">Opens the content for reading.</param>
    /// <param name="length">The content length in bytes, when known.</param>
    public SourceDocument(string sourceName, string documentId, Func<CancellationToken, ValueTask<Stream>> open, long? length = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        ArgumentException.ThrowIfNullOrEmpty(documentId);
        ArgumentNullException.ThrowIfNull(open);
        SourceName = sourceName;
        DocumentId = documentId;
        _open = open;
        Length = length;
    }

    /// <summary>The source name.</summary>
    public string SourceName { get; }

    /// <summary>A stable id for the document inside the source; used in locations and lineage.</summary>
    public string DocumentId { get; }

    /// <summary>The content length in bytes, when known.</summary>
    public long? Length { get; }

    /// <summary>Opens the content for reading.</summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>A readable stream the caller disposes.</returns>
    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken = default) => _open(cancellationToken);

    /// <summary>Creates a document over a file.</summary>
    /// <param name="sourceName">The source name.</param>
    /// <param name="path">The file path.</param>
    /// <param name="documentId">The document id; defaults to the path.</param>
    /// <returns>The document.</returns>
    public static SourceDocument FromFile(string sourceName, string path, string? documentId = null)
    {
        var info = new FileInfo(path);
        return new SourceDocument(
            sourceName,
            documentId ?? path,
            _ => ValueTask.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan)),
            info.Exists ? info.Length : null);
    }

    /// <summary>Creates a document over bytes already in memory (tests, messages received from a socket).</summary>
    /// <param name="sourceName">The source name.</param>
    /// <param name="documentId">The document id.</param>
    /// <param name="content">The content.</param>
    /// <returns>The document.</returns>
    public static SourceDocument FromBytes(string sourceName, string documentId, ReadOnlyMemory<byte> content) =>
        new(sourceName, documentId, _ => ValueTask.FromResult<Stream>(new MemoryStream(content.ToArray(), writable: false)), content.Length);

    /// <inheritdoc />
    public override string ToString() => $"{SourceName}:{DocumentId}";
}
