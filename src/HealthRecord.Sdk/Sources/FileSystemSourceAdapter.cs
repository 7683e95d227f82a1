using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// Reads a file or a folder (recursively, in ordinal path order) and hands each file to the first
/// registered <see cref="ISourceDocumentReader"/> that recognises its content. Formats are detected
/// from content, never from file names, so a folder may mix FHIR JSON, NDJSON, C-CDA and HL7 v2.
/// </summary>
/// <remarks>
/// A file no reader recognises is reported and skipped when it is part of a folder, and is an error when it
/// was named on its own. Hidden files and folders (names starting with '.') and <c>*.md</c>/<c>*.txt</c>
/// notes that no reader recognises are skipped silently. Thread-safe.
/// </remarks>
public sealed class FileSystemSourceAdapter : IEmrSourceAdapter, IPatientScanningAdapter
{
    private const int HeadLength = 4096;
    private readonly IReadOnlyList<ISourceDocumentReader> _readers;
    private readonly ILogger<FileSystemSourceAdapter> _logger;

    /// <summary>Creates the adapter.</summary>
    /// <param name="readers">The registered document readers, asked in order.</param>
    /// <param name="logger">The logger.</param>
    public FileSystemSourceAdapter(IEnumerable<ISourceDocumentReader> readers, ILogger<FileSystemSourceAdapter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(readers);
        _readers = readers.ToArray();
        _logger = logger ?? NullLogger<FileSystemSourceAdapter>.Instance;
    }

    /// <inheritdoc />
    public bool CanRead(SourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return !request.Location.Contains("://", StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<SourceDocumentResult> ReadAsync(SourceRequest request, CancellationToken cancellationToken = default) => Read(request, scan: false, cancellationToken);

    /// <inheritdoc />
    IAsyncEnumerable<SourceDocumentResult> IPatientScanningAdapter.ScanPatientsAsync(SourceRequest request, CancellationToken cancellationToken) => Read(request, scan: true, cancellationToken);

    private IAsyncEnumerable<SourceDocumentResult> Read(SourceRequest request, bool scan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.Location;
        if (File.Exists(path))
        {
            return ReadFilesAsync(request, [path], Path.GetDirectoryName(Path.GetFullPath(path))!, single: true, cancellationToken, scan);
        }

        if (Directory.Exists(path))
        {
            var root = Path.GetFullPath(path);
            var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = System.IO.FileAttributes.Hidden | System.IO.FileAttributes.System, IgnoreInaccessible = true })
                .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
                .Order(StringComparer.Ordinal)
                .ToArray();
            return ReadFilesAsync(request, files, root, single: false, cancellationToken, scan);
        }

        throw new SourceReadException(HealthRecordErrorCode.SourceNotFound, request.Name, path, "No file or folder exists at this path.");
    }

    /// <inheritdoc />
    public IAsyncEnumerable<SourceDocumentResult> ReadDocumentsAsync(SourceRequest request, IReadOnlySet<string> documentIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(documentIds);
        var path = request.Location;
        if (Directory.Exists(path) && !File.Exists(path))
        {
            // Only the named files are opened, under the same document ids as a whole-folder read gives them.
            var root = Path.GetFullPath(path);
            var files = documentIds.Order(StringComparer.Ordinal)
                .Select(id => Path.Combine(root, id.Replace('/', Path.DirectorySeparatorChar)))
                .Where(f => Path.GetFullPath(f).StartsWith(root, StringComparison.Ordinal) && File.Exists(f))
                .Order(StringComparer.Ordinal)
                .ToArray();
            return ReadFilesAsync(request, files, root, single: false, cancellationToken);
        }

        return ReadSelectedAsync(request, documentIds, cancellationToken);
    }

    private async IAsyncEnumerable<SourceDocumentResult> ReadSelectedAsync(SourceRequest request, IReadOnlySet<string> documentIds, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var document in ReadAsync(request, cancellationToken).ConfigureAwait(false))
        {
            if (documentIds.Contains(document.DocumentId))
            {
                yield return document;
            }
        }
    }

    private async IAsyncEnumerable<SourceDocumentResult> ReadFilesAsync(SourceRequest request, string[] files, string root, bool single, [EnumeratorCancellation] CancellationToken cancellationToken, bool scan = false)
    {
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var documentId = single ? Path.GetFileName(file) : Path.GetRelativePath(root, file).Replace('\\', '/');
            var document = SourceDocument.FromFile(request.Name, file, documentId);
            yield return await ReadDocumentAsync(request, document, file, single, scan, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SourceDocumentResult> ReadDocumentAsync(SourceRequest request, SourceDocument document, string file, bool single, bool scan, CancellationToken cancellationToken)
    {
        SourceDocumentResult result;
        try
        {
            var head = await ReadHeadAsync(file, cancellationToken).ConfigureAwait(false);
            var reader = DocumentReaders.Select(_readers, request.Format, head);
            if (reader is null)
            {
                if (!single && IsNote(file))
                {
                    return new SourceDocumentResult { SourceName = request.Name, DocumentId = document.DocumentId };
                }

                return head.Length == 0
                    ? DocumentReaders.Failed(document, HealthRecordErrorCode.MalformedContent, "The file is empty.")
                    : DocumentReaders.Failed(document, HealthRecordErrorCode.UnsupportedFormat, "No registered reader recognises this content (FHIR JSON, NDJSON, C-CDA and HL7 v2 are read when their packages are added).");
            }

            result = scan
                ? await PatientScans.ScanOrReadAsync(reader, document, cancellationToken).ConfigureAwait(false)
                : await DocumentReaders.ReadAsync(reader, document, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            result = DocumentReaders.Failed(document, HealthRecordErrorCode.SourceUnavailable, ex.Message, ex);
        }

        if (result.Error is { } error)
        {
            Log.DocumentFailed(_logger, request.Name, document.DocumentId, error.Code, error);
        }

        return result;
    }

    private static async Task<byte[]> ReadHeadAsync(string file, CancellationToken cancellationToken)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[HeadLength];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            return buffer[..total];
        }
    }

    private static bool IsNote(string file) =>
        file.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)
        || Path.GetFileName(file).Equals("LICENSE", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(file).Equals("NOTICE", StringComparison.OrdinalIgnoreCase);
}
