using System.Text;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>Writes MLLP frames (<c>0x0B</c> message <c>0x1C 0x0D</c>).</summary>
/// <remarks>Thread-safe (static, no state); callers serialise writes to one stream.</remarks>
public static class MllpFrameWriter
{
    /// <summary>Writes one framed message and flushes.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="message">The message bytes (ER7, segments ended by CR).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="ArgumentException">The message holds a framing byte (0x0B or 0x1C).</exception>
    public static async ValueTask WriteFrameAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (message.Span.IndexOfAny(MllpFrameReader.StartBlock, MllpFrameReader.EndBlock) >= 0)
        {
            throw new ArgumentException("An MLLP message cannot contain the framing bytes 0x0B or 0x1C.", nameof(message));
        }

        var frame = new byte[message.Length + 3];
        frame[0] = MllpFrameReader.StartBlock;
        message.Span.CopyTo(frame.AsSpan(1));
        frame[^2] = MllpFrameReader.EndBlock;
        frame[^1] = MllpFrameReader.CarriageReturn;
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one framed message as UTF-8, with segments ended by CR whatever line ends the text used.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="er7">The message text.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    public static ValueTask WriteFrameAsync(Stream stream, string er7, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(er7);
        var normalised = er7.TrimStart('\uFEFF').Replace("\r\n", "\r", StringComparison.Ordinal).Replace('\n', '\r');
        return WriteFrameAsync(stream, Encoding.UTF8.GetBytes(normalised), cancellationToken);
    }
}
