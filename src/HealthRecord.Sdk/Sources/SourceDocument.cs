namespace HealthRecord.Sdk.Sources;

/// <summary>
/// One document of a source handed to an <see cref="ISourceDocumentReader"/>: a file of a folder,
/// a message from a stream, a page from a server.
/// </summary>
/// <remarks>The <see cref="OpenAsync"/> delegate may be called more than once; each call returns a new stream.</remarks>
public sealed class SourceDocument
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _open;
    private ReadOnlyMemory<byte>? _content;

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

    /// <summary>Throws when the document's known length is over the limit, before anything is read.</summary>
    /// <param name="maxBytes">The limit (usually <see cref="HealthRecordOptions.MaxDocumentBytes"/>).</param>
    /// <exception cref="Errors.SourceReadException">The document is larger (code <c>LimitExceeded</c>).</exception>
    public void EnsureWithin(long maxBytes)
    {
        if (Length > maxBytes)
        {
            throw new Errors.SourceReadException(Errors.HealthRecordErrorCode.LimitExceeded, SourceName, DocumentId,
                $"The document is {Length:N0} bytes; the limit (HealthRecordOptions.MaxDocumentBytes) is {maxBytes:N0}.");
        }
    }

    /// <summary>Reads the whole content, refusing to read past the limit (a stream may be longer than it said).</summary>
    /// <param name="maxBytes">The limit (usually <see cref="HealthRecordOptions.MaxDocumentBytes"/>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The content.</returns>
    /// <exception cref="Errors.SourceReadException">The content is larger (code <c>LimitExceeded</c>).</exception>
    public async Task<ReadOnlyMemory<byte>> ReadAllBytesAsync(long maxBytes, CancellationToken cancellationToken = default)
    {
        // One reading loop (RentAllBytesAsync): content already in memory comes back as it is (documents are often large),
        // read content is copied out of the pooled buffer before the buffer goes back.
        using var content = await RentAllBytesAsync(maxBytes, cancellationToken).ConfigureAwait(false);
        return content.IsRented ? content.Memory.ToArray() : content.Memory;
    }

    /// <summary>
    /// Reads the whole content, refusing to read past the limit (as <see cref="ReadAllBytesAsync"/> promises), into a buffer rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>
    /// (content already in memory is handed over as it is). The caller disposes the result once nothing reads the bytes any more
    /// (no <see cref="System.Text.Json.JsonDocument"/> over them is left, and no record keeps them: deserialised values are copies),
    /// which saves a new array per document per pass over a population.
    /// </summary>
    internal async Task<RentedContent> RentAllBytesAsync(long maxBytes, CancellationToken cancellationToken = default)
    {
        EnsureWithin(maxBytes);
        if (_content is { } inMemory)
        {
            return new RentedContent(inMemory, null);
        }

        var stream = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // Every read has room for at least MinRead bytes: a file stream then reads straight into the buffer (a smaller read
            // makes it allocate its own buffer, 64 KiB for FromFile's streams), and the read that finds the end needs no growth.
            const int MinRead = 81920;
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(Length is { } len and > 0 ? len : 0, Math.Min(maxBytes, Array.MaxLength - MinRead)) + MinRead);
            try
            {
                var total = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (total + read > maxBytes)
                    {
                        throw new Errors.SourceReadException(Errors.HealthRecordErrorCode.LimitExceeded, SourceName, DocumentId,
                            $"The document is larger than the limit (HealthRecordOptions.MaxDocumentBytes) of {maxBytes:N0} bytes.");
                    }

                    total += read;
                    if (buffer.Length - total < MinRead)
                    {
                        if (buffer.Length == Array.MaxLength)
                        {
                            throw new Errors.SourceReadException(Errors.HealthRecordErrorCode.LimitExceeded, SourceName, DocumentId,
                                $"The document is larger than the largest array ({Array.MaxLength:N0} bytes).");
                        }

                        var larger = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, (long)buffer.Length * 2 + MinRead));
                        buffer.AsSpan(0, total).CopyTo(larger);
                        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                }

                return new RentedContent(buffer.AsMemory(0, total), buffer);
            }
            catch
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
    }

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
        new(sourceName, documentId, _ => ValueTask.FromResult(StreamOver(content)), content.Length) { _content = content };

    private static Stream StreamOver(ReadOnlyMemory<byte> content) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);

    /// <inheritdoc />
    public override string ToString() => $"{SourceName}:{DocumentId}";
}

/// <summary>A document's content, in a pooled buffer that <see cref="Dispose"/> returns (see <see cref="SourceDocument.RentAllBytesAsync"/>).</summary>
internal sealed class RentedContent(ReadOnlyMemory<byte> memory, byte[]? rented) : IDisposable
{
    private byte[]? _rented = rented;

    /// <summary>The content; not to be read after <see cref="Dispose"/> when <see cref="IsRented"/>.</summary>
    public ReadOnlyMemory<byte> Memory { get; } = memory;

    /// <summary>Whether <see cref="Memory"/> lies in a pooled buffer (else it is the document's own in-memory content).</summary>
    public bool IsRented { get; } = rented is not null;

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } buffer)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
