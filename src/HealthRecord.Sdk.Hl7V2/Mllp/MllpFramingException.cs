using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>An MLLP stream broke the framing rules: a frame cut short, bytes between frames, or a frame over the size limit.</summary>
public sealed class MllpFramingException : HealthRecordException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The stable error code (<see cref="HealthRecordErrorCode.MalformedContent"/> or <see cref="HealthRecordErrorCode.LimitExceeded"/>).</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="frameIndex">The 1-based index of the frame at fault on its stream.</param>
    /// <param name="recoverable">Whether the reader is positioned after the bad frame, so the next frame can be read.</param>
    public MllpFramingException(HealthRecordErrorCode code, string message, long frameIndex, bool recoverable)
        : base(code, $"MLLP frame {frameIndex}: {message}")
    {
        FrameIndex = frameIndex;
        Recoverable = recoverable;
    }

    /// <summary>The 1-based index of the frame at fault on its stream.</summary>
    public long FrameIndex { get; }

    /// <summary>Whether the reader is positioned after the bad frame, so reading can go on.</summary>
    public bool Recoverable { get; }

    /// <summary>The first bytes of an oversized frame (its header), so an answer can name its control id; otherwise empty.</summary>
    public IReadOnlyList<byte> Head { get; init; } = [];
}
