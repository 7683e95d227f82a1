using System.Buffers;
using System.Text.Json;

namespace HealthRecord.Sdk.Export;

/// <summary>
/// A small pooled buffer between a <see cref="Utf8JsonWriter"/> and an output stream: the exporters write one
/// resource at a time into it and hand the bytes to the stream once a chunk has filled, so an EHR of any size never
/// needs a buffer the size of the whole document (Firely's <c>SerializeToBytes</c> grows one by doubling and copies it
/// out again: hundreds of MB of Large Object Heap arrays over a population, and most of its gen2 collections).
/// </summary>
/// <remarks>
/// The stream is only written with <see cref="Stream.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, between
/// resources (hosts may hand in streams that refuse synchronous writes, such as an ASP.NET response). A resource larger
/// than the buffer grows it until that resource is done.
/// </remarks>
internal sealed class StreamingJsonSink : IBufferWriter<byte>, IDisposable
{
    // Under the 85,000-byte Large Object Heap threshold, and a chunk big enough to make each stream write worthwhile;
    // flushing at half of it leaves room for the next resource, so the buffer rarely has to grow.
    private const int ChunkSize = 64 * 1024;
    private const int FlushAt = 32 * 1024;

    private readonly Stream _output;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _written;

    private StreamingJsonSink(Stream output) => _output = output;

    /// <summary>The JSON writer options of Firely's own <c>SerializeToBytes</c> (default encoder, two-space indent), with LF line ends on every OS.</summary>
    public static JsonWriterOptions Options(bool indented) => new() { Indented = indented, NewLine = "\n" };

    /// <summary>Opens a sink on the stream and a JSON writer on the sink; dispose the writer first, then the sink.</summary>
    public static (StreamingJsonSink Sink, Utf8JsonWriter Json) Open(Stream output, bool indented)
    {
        var sink = new StreamingJsonSink(output);
        return (sink, new Utf8JsonWriter(sink, Options(indented)));
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Appends one byte (the line feed after a document or an NDJSON line).</summary>
    public void Write(byte value)
    {
        GetSpan(1)[0] = value;
        _written++;
    }

    /// <summary>
    /// Flushes the JSON writer into this buffer and, once a chunk has filled (or at the end), writes the buffer to the
    /// stream. Call it between resources.
    /// </summary>
    public async ValueTask CommitAsync(Utf8JsonWriter json, bool final, CancellationToken cancellationToken)
    {
        json.Flush();
        if (_written >= FlushAt || (final && _written > 0))
        {
            await _output.WriteAsync(_buffer.AsMemory(0, _written), cancellationToken).ConfigureAwait(false);
            _written = 0;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        // Only one resource bigger than a chunk gets here; the buffer goes back to the pool at the end.
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + needed));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
