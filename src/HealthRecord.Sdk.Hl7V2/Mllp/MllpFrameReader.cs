using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>
/// Reads MLLP frames (<c>0x0B</c> message <c>0x1C 0x0D</c>) from a stream, one message per frame.
/// </summary>
/// <remarks>
/// Bytes between frames (keep-alive line feeds, noise) are skipped. A start block inside a frame starts a new frame
/// (the incomplete one is dropped and counted in <see cref="DiscardedFrames"/>). A frame over <see cref="MaxFrameBytes"/> is
/// discarded up to its end block and reported with a recoverable <see cref="MllpFramingException"/>, so a receiver
/// can answer it and keep serving. Not thread-safe: one reader per stream.
/// </remarks>
public sealed class MllpFrameReader
{
    /// <summary>The start block byte (vertical tab).</summary>
    public const byte StartBlock = 0x0B;

    /// <summary>The end block byte (file separator).</summary>
    public const byte EndBlock = 0x1C;

    /// <summary>The carriage return after the end block.</summary>
    public const byte CarriageReturn = 0x0D;

    // How much of an oversized frame is kept to read its header from.
    private const int HeadBytes = 4096;

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _position;
    private int _length;
    private long _frames;

    /// <summary>Creates a reader.</summary>
    /// <param name="stream">The stream (a socket stream, a file of MLLP-framed messages).</param>
    /// <param name="maxFrameBytes">The largest frame accepted.</param>
    public MllpFrameReader(Stream stream, int maxFrameBytes = 16 * 1024 * 1024)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 16);
        _stream = stream;
        MaxFrameBytes = maxFrameBytes;
    }

    /// <summary>The largest frame accepted, in bytes.</summary>
    public int MaxFrameBytes { get; }

    /// <summary>
    /// The number of incomplete frames dropped because a new start block (<c>0x0B</c>) arrived before their end
    /// block: the reader resynchronises on the new frame.
    /// </summary>
    public long DiscardedFrames { get; private set; }

    /// <summary>The number of frames started so far.</summary>
    public long FrameCount => _frames;

    /// <summary>Reads the next frame's content (without the framing bytes).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The message bytes, or <see langword="null"/> when the stream ended cleanly between frames.</returns>
    /// <exception cref="MllpFramingException">The stream ended inside a frame, or the frame is too large.</exception>
    public async ValueTask<byte[]?> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        // Skip to the start block.
        while (true)
        {
            if (_position == _length && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var start = Array.IndexOf(_buffer, StartBlock, _position, _length - _position);
            if (start >= 0)
            {
                _position = start + 1;
                break;
            }

            _position = _length;
        }

        _frames++;
        using var content = new MemoryStream();
        var oversized = false;
        while (true)
        {
            if (_position == _length && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new MllpFramingException(HealthRecordErrorCode.MalformedContent,
                    $"the stream ended after {content.Length:N0} bytes, before the end block (0x1C 0x0D): the message is truncated.", _frames, recoverable: false);
            }

            var span = _buffer.AsSpan(_position, _length - _position);
            var stop = span.IndexOfAny(EndBlock, StartBlock);
            var take = stop < 0 ? span.Length : stop;
            if (!oversized && content.Length + take > MaxFrameBytes)
            {
                // Keep the head (the MSH line is there) so the answer can still name the message's control id.
                oversized = true;
                content.Write(_buffer, _position, (int)Math.Max(0, Math.Min(take, HeadBytes - content.Length)));
            }
            else if (!oversized)
            {
                content.Write(_buffer, _position, take);
            }

            _position += take;
            if (stop < 0)
            {
                continue;
            }

            if (_buffer[_position] == StartBlock)
            {
                // A start block inside a frame: the sender gave up on the previous frame (cut short, missing end
                // bytes) and started anew. Resynchronise on it, so the next message is read whole instead of being
                // swallowed into the broken one; the broken part is dropped and counted.
                _position++;
                content.SetLength(0);
                oversized = false;
                DiscardedFrames++;
                continue;
            }

            _position++; // the end block
            if (_position == _length)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }

            if (_position < _length && _buffer[_position] == CarriageReturn)
            {
                _position++;
            }

            if (oversized)
            {
                throw new MllpFramingException(HealthRecordErrorCode.LimitExceeded,
                    $"the frame is larger than the limit of {MaxFrameBytes:N0} bytes; it was discarded.", _frames, recoverable: true)
                {
                    Head = content.ToArray(),
                };
            }

            return content.ToArray();
        }
    }

    /// <summary>
    /// Reads every frame as a <see cref="SourceDocument"/> for <see cref="Sources.Hl7V2DocumentReader"/>: an MLLP stream as a source.
    /// </summary>
    /// <param name="sourceName">The source name the documents carry.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One document per frame, named <c>mllp/{frame}</c>, until the stream ends.</returns>
    /// <exception cref="MllpFramingException">The stream ended inside a frame.</exception>
    public async IAsyncEnumerable<SourceDocument> ReadDocumentsAsync(string sourceName, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        while (await ReadFrameAsync(cancellationToken).ConfigureAwait(false) is { } frame)
        {
            yield return SourceDocument.FromBytes(sourceName, $"mllp/{_frames}", frame);
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        _length = await _stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        _position = 0;
        return _length > 0;
    }
}
