using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Hl7V2.Feed;

/// <summary>
/// A durable, append-only journal of received HL7 v2 messages: a feed acknowledges a message only once it is here
/// (written and flushed to disk), so an ACKed message survives a crash or a SIGTERM; re-sent copies (the same
/// sending application, facility and control id) are recognised and kept once.
/// </summary>
/// <remarks>
/// <para>
/// File layout: the magic <c>HRJ1</c>, then one entry per message: payload length (int32, little endian), the first
/// 8 bytes of the payload's SHA-256, the payload (key length as uint16, the UTF-8 key, the message bytes). A crash
/// while appending leaves at most an incomplete last entry: opening cuts it off (that message was never ACKed). A
/// complete entry whose checksum does not match is damage, not a crash, and opening refuses the file.
/// </para>
/// <para>Thread-safe: appends are serialised. Which entries a feed has applied to the store is kept beside the journal
/// (<c>PATH.applied</c>), written atomically.</para>
/// </remarks>
public sealed class Hl7V2MessageJournal : IAsyncDisposable
{
    private static readonly byte[] Magic = "HRJ1"u8.ToArray();
    private const int EntryHeader = 12;
    private readonly FileStream _file;
    private readonly List<Hl7V2JournalEntry> _entries = [];
    private readonly Dictionary<string, long> _keys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _appliedPath;

    private Hl7V2MessageJournal(string path, FileStream file)
    {
        Path = path;
        _file = file;
        _appliedPath = path + ".applied";
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>The number of messages in the journal.</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The sequence number of the last entry a feed has applied to the store (0 when none).</summary>
    public long AppliedThrough { get; private set; }

    /// <summary>Opens (or creates) a journal.</summary>
    /// <param name="path">The file; its folder must exist.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <returns>The journal, with every entry read and an incomplete last entry cut off.</returns>
    /// <exception cref="EhrStoreException">The file is not a journal, or a complete entry is damaged (<see cref="HealthRecordErrorCode.StoreFailure"/>).</exception>
    public static async Task<Hl7V2MessageJournal> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EhrStoreException($"The HL7 v2 journal '{path}' cannot be opened: {ex.Message}", ex);
        }

        var journal = new Hl7V2MessageJournal(path, file);
        try
        {
            await journal.LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return journal;
    }

    /// <summary>The entries, in the order they were taken.</summary>
    /// <returns>A snapshot of the entries.</returns>
    public IReadOnlyList<Hl7V2JournalEntry> Entries()
    {
        lock (_entries)
        {
            return [.. _entries];
        }
    }

    /// <summary>Appends a message durably, unless a message with the same key is already in the journal.</summary>
    /// <param name="key">The duplicate key (sending application, facility and control id); empty to never deduplicate.</param>
    /// <param name="message">The message bytes as received.</param>
    /// <param name="cancellationToken">Cancels the append (before anything is written).</param>
    /// <returns>The entry, and whether it was a re-sent copy of an earlier one (then nothing was written).</returns>
    /// <exception cref="EhrStoreException">The disk refused the write (<see cref="HealthRecordErrorCode.StoreFailure"/>); nothing was taken.</exception>
    public async Task<(Hl7V2JournalEntry Entry, bool Duplicate)> AppendAsync(string key, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        if (keyBytes.Length > ushort.MaxValue)
        {
            throw new ArgumentException("The key is too long.", nameof(key));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (key.Length > 0 && _keys.TryGetValue(key, out var earlier))
            {
                lock (_entries)
                {
                    return (_entries[(int)earlier - 1], true);
                }
            }

            var payload = new byte[2 + keyBytes.Length + message.Length];
            BinaryPrimitives.WriteUInt16LittleEndian(payload, (ushort)keyBytes.Length);
            keyBytes.CopyTo(payload, 2);
            message.Span.CopyTo(payload.AsSpan(2 + keyBytes.Length));
            var header = new byte[EntryHeader];
            BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
            SHA256.HashData(payload).AsSpan(0, 8).CopyTo(header.AsSpan(4));
            var start = _file.Length;
            try
            {
                _file.Position = start;
                await _file.WriteAsync(header, CancellationToken.None).ConfigureAwait(false);
                await _file.WriteAsync(payload, CancellationToken.None).ConfigureAwait(false);
                // Durable before the ACK: flush through the OS cache to the disk.
                _file.Flush(flushToDisk: true);
            }
            catch (IOException ex)
            {
                // A full disk: take nothing back half-written, so the journal stays readable, and let the sender retry.
                TryTruncate(start);
                throw new EhrStoreException($"The HL7 v2 journal '{Path}' could not take the message: {ex.Message}", ex);
            }

            lock (_entries)
            {
                var entry = new Hl7V2JournalEntry(_entries.Count + 1, key, message.ToArray());
                _entries.Add(entry);
                if (key.Length > 0)
                {
                    _keys[key] = entry.Sequence;
                }

                return (entry, false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Records that every entry up to <paramref name="sequence"/> is applied to the store (written atomically).</summary>
    /// <param name="sequence">The last applied entry.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the mark is on disk.</returns>
    public async Task MarkAppliedAsync(long sequence, CancellationToken cancellationToken = default)
    {
        if (sequence <= AppliedThrough)
        {
            return;
        }

        var temporary = _appliedPath + ".tmp";
        await File.WriteAllTextAsync(temporary, sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, _appliedPath, overwrite: true);
        AppliedThrough = sequence;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_file.Length == 0)
        {
            await _file.WriteAsync(Magic, cancellationToken).ConfigureAwait(false);
            _file.Flush(flushToDisk: true);
            return;
        }

        var content = new byte[_file.Length];
        _file.Position = 0;
        await _file.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
        if (content.Length < Magic.Length || !content.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new EhrStoreException($"'{Path}' is not an HL7 v2 journal of this SDK; it was left untouched.");
        }

        var position = Magic.Length;
        while (position < content.Length)
        {
            if (content.Length - position < EntryHeader)
            {
                break;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(content.AsSpan(position));
            if (length < 2 || length > content.Length - position - EntryHeader)
            {
                break; // an incomplete last entry: the crash came while it was written
            }

            var payload = content.AsSpan(position + EntryHeader, length);
            if (!SHA256.HashData(payload).AsSpan(0, 8).SequenceEqual(content.AsSpan(position + 4, 8)))
            {
                if (position + EntryHeader + length == content.Length)
                {
                    break; // the last entry, torn inside: also a crash while writing
                }

                throw new EhrStoreException($"The HL7 v2 journal '{Path}' is damaged at byte {position:N0} (checksum mismatch); it was left untouched.");
            }

            var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(payload);
            var key = Encoding.UTF8.GetString(payload.Slice(2, keyLength));
            var entry = new Hl7V2JournalEntry(_entries.Count + 1, key, payload[(2 + keyLength)..].ToArray());
            _entries.Add(entry);
            if (key.Length > 0)
            {
                _keys.TryAdd(key, entry.Sequence);
            }

            position += EntryHeader + length;
        }

        if (position < content.Length)
        {
            TryTruncate(position);
        }

        if (File.Exists(_appliedPath) && long.TryParse(await File.ReadAllTextAsync(_appliedPath, cancellationToken).ConfigureAwait(false), out var applied))
        {
            AppliedThrough = Math.Min(applied, _entries.Count);
        }
    }

    private void TryTruncate(long length)
    {
        try
        {
            _file.SetLength(length);
            _file.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // Reopening cuts an incomplete tail off again.
        }
    }
}

/// <summary>One message in an <see cref="Hl7V2MessageJournal"/>.</summary>
/// <param name="Sequence">Its 1-based position in the journal.</param>
/// <param name="Key">The duplicate key (sending application, facility, control id), or empty.</param>
/// <param name="Message">The message bytes as received.</param>
public sealed record Hl7V2JournalEntry(long Sequence, string Key, byte[] Message);
