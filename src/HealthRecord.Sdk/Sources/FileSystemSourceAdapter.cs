using System.Buffers;
using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// Reads a file or a folder (recursively, in ordinal path order) and hands each file to the first
/// registered <see cref="ISourceDocumentReader"/> that recognises its content. Formats are detected
/// from content, never from file names, so a folder may mix FHIR JSON, NDJSON, C-CDA and HL7 v2.
/// </summary>
/// <remarks>
/// <para>
/// A file no reader recognises is reported and skipped when it is part of a folder, and is an error when it
/// was named on its own. Hidden files and folders (names starting with '.') and <c>*.md</c>/<c>*.txt</c>
/// notes that no reader recognises are skipped silently.
/// </para>
/// <para>
/// Reading rules: only regular files are opened (a named pipe, socket or device is reported, never opened, so it
/// cannot block the run); each real file is read once, however many links or paths lead to it, and a folder met
/// again through a link (a loop) is not walked twice; symbolic links inside a folder are followed as
/// <see cref="FileSystemSourceOptions.SymbolicLinks"/> says (by default only when they stay inside the folder).
/// Every read is bounded by <see cref="HealthRecordOptions.MaxDocumentBytes"/> and cancellable, and whatever a
/// reader throws on one file becomes that document's typed error. Thread-safe.
/// </para>
/// </remarks>
public sealed class FileSystemSourceAdapter : IEmrSourceAdapter, IPatientScanningAdapter
{
    private const int HeadLength = 4096;
    private readonly IReadOnlyList<ISourceDocumentReader> _readers;
    private readonly FileSystemSourceOptions _options;
    private readonly ILogger<FileSystemSourceAdapter> _logger;

    /// <summary>Creates the adapter with the default <see cref="FileSystemSourceOptions"/>.</summary>
    /// <param name="readers">The registered document readers, asked in order.</param>
    /// <param name="logger">The logger.</param>
    public FileSystemSourceAdapter(IEnumerable<ISourceDocumentReader> readers, ILogger<FileSystemSourceAdapter>? logger = null)
        : this(readers, Options.Create(new FileSystemSourceOptions()), logger)
    {
    }

    /// <summary>Creates the adapter.</summary>
    /// <param name="readers">The registered document readers, asked in order.</param>
    /// <param name="options">How links inside a folder are treated.</param>
    /// <param name="logger">The logger.</param>
    public FileSystemSourceAdapter(IEnumerable<ISourceDocumentReader> readers, IOptions<FileSystemSourceOptions> options, ILogger<FileSystemSourceAdapter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(readers);
        ArgumentNullException.ThrowIfNull(options);
        _readers = readers.ToArray();
        _options = options.Value;
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
        return ReadEntriesAsync(request, Enumerate(request, cancellationToken), cancellationToken, scan);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<SourceDocumentResult> ReadDocumentsAsync(SourceRequest request, IReadOnlySet<string> documentIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(documentIds);

        // Only the named files are looked up and opened (not the whole folder walked), under the same document ids
        // and the same rules as a whole-folder read.
        List<Entry> entries;
        if (FileStatus.Of(request.Location).Kind == FileKind.Directory)
        {
            var walk = new FolderWalk(Path.GetFullPath(request.Location), _options.SymbolicLinks, cancellationToken);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            entries = documentIds.Order(StringComparer.Ordinal)
                .Select(walk.Lookup)
                .OfType<Entry>()
                .Where(e => e.NotRead is not null || seen.Add(FileStatus.Of(e.Path).Identity))
                .ToList();
        }
        else
        {
            entries = Enumerate(request, cancellationToken).Where(e => documentIds.Contains(e.DocumentId)).ToList();
        }

        return ReadEntriesAsync(request, entries, cancellationToken);
    }

    /// <summary>One entry of a source: a regular file to read, or a path that is reported and not opened.</summary>
    private sealed record Entry(string Path, string DocumentId, bool Single, HealthRecordErrorCode Code = default, string? NotRead = null);

    private List<Entry> Enumerate(SourceRequest request, CancellationToken cancellationToken)
    {
        var path = request.Location;
        var status = FileStatus.Of(path);
        switch (status.Kind)
        {
            case FileKind.Regular:
                return [new Entry(path, Path.GetFileName(path), Single: true)];
            case FileKind.Directory:
                return new FolderWalk(Path.GetFullPath(path), _options.SymbolicLinks, cancellationToken).Run();
            case FileKind.Missing:
                throw new SourceReadException(HealthRecordErrorCode.SourceNotFound, request.Name, path, "No file or folder exists at this path.");
            default:
                return [new Entry(path, Path.GetFileName(path), Single: true, HealthRecordErrorCode.UnsupportedFormat, NotRegular(status.Kind))];
        }
    }

    private static string NotRegular(FileKind kind) => kind switch
    {
        FileKind.Fifo => "A named pipe (FIFO) is not read: only regular files are.",
        FileKind.Socket => "A socket is not read: only regular files are.",
        _ => "A device is not read: only regular files are.",
    };

    /// <summary>Walks a folder: regular files in ordinal order of their document ids, each real file and folder once.</summary>
    private sealed class FolderWalk(string root, SymbolicLinkPolicy links, CancellationToken cancellationToken)
    {
        private readonly List<Entry> _entries = [];
        private readonly HashSet<string> _seenFiles = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seenFolders = new(StringComparer.Ordinal);
        // Resolved only when a link inside the folder is met (a population run constructs one walk per person and source).
        private readonly Lazy<string?> _realRoot = new(() => FileStatus.RealPath(root), LazyThreadSafetyMode.None);

        public List<Entry> Run()
        {
            _seenFolders.Add(FileStatus.Of(root).Identity);
            Walk(root);
            _entries.Sort((a, b) => StringComparer.Ordinal.Compare(a.DocumentId, b.DocumentId));

            // Each real file once: the first path (in ordinal order) that leads to it names it.
            var result = new List<Entry>(_entries.Count);
            foreach (var entry in _entries)
            {
                if (entry.NotRead is not null || _seenFiles.Add(FileStatus.Of(entry.Path).Identity))
                {
                    result.Add(entry);
                }
            }

            return result;
        }

        /// <summary>The entry a whole-folder walk gives a document id, without walking the folder; null when it gives none.</summary>
        public Entry? Lookup(string documentId)
        {
            var parts = documentId.Split('/');
            if (parts.Any(p => p.Length == 0 || p.StartsWith('.')))
            {
                return null;
            }

            var current = root;
            for (var i = 0; i < parts.Length; i++)
            {
                current = Path.Combine(current, parts[i]);
                FileSystemInfo info = i < parts.Length - 1 ? new DirectoryInfo(current) : new FileInfo(current);
                if (info.LinkTarget is not null && Refused(current) is { } refusal)
                {
                    // A walk reports the link itself and reads nothing under it.
                    return i == parts.Length - 1 ? new Entry(current, documentId, Single: false, HealthRecordErrorCode.UnsupportedFormat, refusal) : null;
                }
            }

            var status = FileStatus.Of(current);
            return status.Kind switch
            {
                FileKind.Regular => new Entry(current, documentId, Single: false),
                FileKind.Directory or FileKind.Missing => null,
                _ => new Entry(current, documentId, Single: false, HealthRecordErrorCode.UnsupportedFormat, NotRegular(status.Kind)),
            };
        }

        private void Walk(string folder)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = true };
            var children = new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options)
                .Where(i => !i.Name.StartsWith('.'))
                .OrderBy(i => i.Name, StringComparer.Ordinal)
                .ToList();
            foreach (var child in children)
            {
                var documentId = Path.GetRelativePath(root, child.FullName).Replace('\\', '/');
                if (child.LinkTarget is not null && Refused(child.FullName) is { } refusal)
                {
                    _entries.Add(new Entry(child.FullName, documentId, Single: false, HealthRecordErrorCode.UnsupportedFormat, refusal));
                    continue;
                }

                var status = FileStatus.Of(child.FullName);
                switch (status.Kind)
                {
                    case FileKind.Directory:
                        // A folder met again (a link loop, or two links to one folder) is walked once.
                        if (_seenFolders.Add(status.Identity))
                        {
                            Walk(child.FullName);
                        }

                        break;
                    case FileKind.Regular:
                        _entries.Add(new Entry(child.FullName, documentId, Single: false));
                        break;
                    case FileKind.Missing:
                        _entries.Add(new Entry(child.FullName, documentId, Single: false, HealthRecordErrorCode.SourceNotFound,
                            "A symbolic link that leads nowhere (its target is missing, or the links form a loop) is not read."));
                        break;
                    default:
                        _entries.Add(new Entry(child.FullName, documentId, Single: false, HealthRecordErrorCode.UnsupportedFormat, NotRegular(status.Kind)));
                        break;
                }
            }
        }

        private string? Refused(string link)
        {
            switch (links)
            {
                case SymbolicLinkPolicy.Follow:
                    return null;
                case SymbolicLinkPolicy.Skip:
                    return "A symbolic link is not followed (FileSystemSourceOptions.SymbolicLinks is Skip).";
                default:
                    var real = FileStatus.RealPath(link);
                    if (real is null)
                    {
                        return "A symbolic link that leads nowhere (its target is missing, or the links form a loop) is not read.";
                    }

                    var realRoot = _realRoot.Value;
                    return realRoot is not null && (real == realRoot || real.StartsWith(realRoot.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                        ? null
                        : "A symbolic link that leads out of the source folder is not followed (set FileSystemSourceOptions.SymbolicLinks to Follow to read it).";
            }
        }
    }

    private async IAsyncEnumerable<SourceDocumentResult> ReadEntriesAsync(SourceRequest request, IEnumerable<Entry> entries, [EnumeratorCancellation] CancellationToken cancellationToken, bool scan = false)
    {
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var document = SourceDocument.FromFile(request.Name, entry.Path, entry.DocumentId);
            if (entry.NotRead is { } reason)
            {
                var failed = DocumentReaders.Failed(document, entry.Code, reason);
                Log.DocumentFailed(_logger, request.Name, document.DocumentId, entry.Code);
                yield return failed;
                continue;
            }

            yield return await ReadDocumentAsync(request, document, entry.Path, entry.Single, scan, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SourceDocumentResult> ReadDocumentAsync(SourceRequest request, SourceDocument document, string file, bool single, bool scan, CancellationToken cancellationToken)
    {
        SourceDocumentResult result;
        try
        {
            // The head is only sniffed: a pooled buffer, returned once a reader is chosen.
            var head = ArrayPool<byte>.Shared.Rent(HeadLength);
            ISourceDocumentReader? reader;
            int headLength;
            try
            {
                headLength = await ReadHeadAsync(file, head, cancellationToken).ConfigureAwait(false);
                reader = DocumentReaders.Select(_readers, request.Format, head.AsSpan(0, headLength));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(head);
            }

            if (reader is null)
            {
                if (!single && IsNote(file))
                {
                    return new SourceDocumentResult { SourceName = request.Name, DocumentId = document.DocumentId };
                }

                return headLength == 0
                    ? DocumentReaders.Failed(document, HealthRecordErrorCode.MalformedContent, "The file is empty.")
                    : DocumentReaders.Failed(document, HealthRecordErrorCode.UnsupportedFormat, "No registered reader recognises this content (FHIR JSON, NDJSON, C-CDA and HL7 v2 are read when their packages are added).");
            }

            result = scan
                ? await PatientScans.ScanOrReadAsync(reader, document, cancellationToken).ConfigureAwait(false)
                : await DocumentReaders.ReadAsync(reader, document, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The per-document boundary: opening or sniffing one file must not stop the source.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            result = DocumentReaders.Failed(document, DocumentReaders.Unexpected(request.Format ?? "file", document, ex));
        }

        if (result.Error is { } error)
        {
            // The code and the document id only: an error's message or stack trace may quote the content.
            Log.DocumentFailed(_logger, request.Name, document.DocumentId, error.Code);
            if (error.InnerException is { } inner && _logger.IsEnabled(LogLevel.Debug))
            {
                Log.DocumentFailedTrace(_logger, request.Name, document.DocumentId, inner.GetType().FullName ?? inner.GetType().Name, Environment.NewLine + inner.StackTrace);
            }
        }

        return result;
    }

    // Reads up to HeadLength bytes into the buffer; returns how many. The stream is unbuffered: the buffer is its only one.
    private static async Task<int> ReadHeadAsync(string file, byte[] buffer, CancellationToken cancellationToken)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            var total = 0;
            int read;
            while (total < HeadLength && (read = await stream.ReadAsync(buffer.AsMemory(total, HeadLength - total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            return total;
        }
    }

    private static bool IsNote(string file) =>
        file.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)
        || Path.GetFileName(file).Equals("LICENSE", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(file).Equals("NOTICE", StringComparison.OrdinalIgnoreCase);
}
