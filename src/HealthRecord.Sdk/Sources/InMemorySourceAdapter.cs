using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// A source adapter over documents held in memory (messages received by a host, test fixtures,
/// benchmark inputs). Add documents under a source name, then aggregate
/// <c>new SourceRequest(name, "memory:" + name)</c>. Each document goes to the first registered
/// <see cref="ISourceDocumentReader"/> that recognises it, exactly as files do.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class InMemorySourceAdapter : IEmrSourceAdapter
{
    /// <summary>The location prefix this adapter reads.</summary>
    public const string Scheme = "memory:";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, ReadOnlyMemory<byte>>> _sources = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<ISourceDocumentReader> _readers;

    /// <summary>Creates the adapter.</summary>
    /// <param name="readers">The document readers, asked in order.</param>
    public InMemorySourceAdapter(IEnumerable<ISourceDocumentReader> readers)
    {
        ArgumentNullException.ThrowIfNull(readers);
        _readers = readers.ToArray();
    }

    /// <summary>Adds (or replaces) a document of a source.</summary>
    /// <param name="location">The source location without the scheme (e.g. <c>clinic</c> for <c>memory:clinic</c>).</param>
    /// <param name="documentId">The document id (unique within the source).</param>
    /// <param name="content">The content.</param>
    public void Add(string location, string documentId, ReadOnlyMemory<byte> content)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        ArgumentException.ThrowIfNullOrEmpty(documentId);
        _sources.GetOrAdd(location, _ => new(StringComparer.Ordinal))[documentId] = content;
    }

    /// <inheritdoc />
    public bool CanRead(SourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Location.StartsWith(Scheme, StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<SourceDocumentResult> ReadAsync(SourceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.Location[Scheme.Length..];
        if (!_sources.TryGetValue(key, out var documents))
        {
            throw new SourceReadException(HealthRecordErrorCode.SourceNotFound, request.Name, request.Location, "No documents were added under this name.");
        }

        return ReadCoreAsync(request, documents.OrderBy(d => d.Key, StringComparer.Ordinal).ToArray(), cancellationToken);
    }

    private async IAsyncEnumerable<SourceDocumentResult> ReadCoreAsync(SourceRequest request, KeyValuePair<string, ReadOnlyMemory<byte>>[] documents, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var (id, content) in documents)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var document = SourceDocument.FromBytes(request.Name, id, content);
            var reader = DocumentReaders.Select(_readers, request.Format, content.Span[..Math.Min(content.Length, 4096)]);
            yield return reader is null
                ? DocumentReaders.Failed(document, HealthRecordErrorCode.UnsupportedFormat, "No registered reader recognises this content.")
                : await DocumentReaders.ReadAsync(reader, document, cancellationToken).ConfigureAwait(false);
        }
    }
}
