using System.Net;
using HealthRecord.Sdk.Hl7V2.Parsing;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>A message an <see cref="MllpListener"/> received and parsed, handed to the host's handler.</summary>
/// <param name="Message">The parsed message.</param>
/// <param name="Content">The frame's bytes as received.</param>
/// <param name="RemoteEndPoint">The sender's address, when known.</param>
/// <param name="ConnectionId">A number identifying the connection within the listener's lifetime.</param>
/// <param name="FrameIndex">The 1-based index of the frame on its connection.</param>
public sealed record Hl7V2ReceivedMessage(Hl7V2Message Message, ReadOnlyMemory<byte> Content, EndPoint? RemoteEndPoint, long ConnectionId, long FrameIndex);

/// <summary>Thrown by a handler to have the message answered with AR (reject: do not re-send) instead of AE.</summary>
public sealed class Hl7V2MessageRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public Hl7V2MessageRejectedException()
        : this("The message was rejected.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why (sent back in MSA-3 and ERR-8; no patient data).</param>
    public Hl7V2MessageRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why.</param>
    /// <param name="innerException">The cause.</param>
    public Hl7V2MessageRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
