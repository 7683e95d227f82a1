namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// What one HL7 v2 input holds: its messages, and the file and batch envelope segments
/// (<c>FHS</c>, <c>BHS</c>, <c>BTS</c>, <c>FTS</c>) when there are any.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class Hl7V2Batch
{
    internal Hl7V2Batch(IReadOnlyList<Hl7V2Message> messages, IReadOnlyList<Hl7V2Segment> envelope, IReadOnlyList<string> warnings)
    {
        Messages = messages;
        EnvelopeSegments = envelope;
        Warnings = warnings;
    }

    /// <summary>The messages, in input order.</summary>
    public IReadOnlyList<Hl7V2Message> Messages { get; }

    /// <summary>The <c>FHS</c>, <c>BHS</c>, <c>BTS</c> and <c>FTS</c> segments, in input order.</summary>
    public IReadOnlyList<Hl7V2Segment> EnvelopeSegments { get; }

    /// <summary>Problems that did not stop parsing (a batch count that does not match, an undecodable byte).</summary>
    public IReadOnlyList<string> Warnings { get; }
}
