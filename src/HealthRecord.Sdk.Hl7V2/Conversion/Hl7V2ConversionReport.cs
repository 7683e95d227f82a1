namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>What happened to one segment (or one part of it) during conversion.</summary>
public enum Hl7V2SegmentOutcome
{
    /// <summary>The segment became a resource of its own.</summary>
    Converted,

    /// <summary>The segment's content went into a resource made from another segment (PD1 into Patient, RXR into Immunization).</summary>
    Merged,

    /// <summary>The segment was not converted; the entry says why.</summary>
    Skipped,

    /// <summary>The segment was converted but something in it was lost or suspect; the entry says what.</summary>
    Warning,
}

/// <summary>One line of a conversion report.</summary>
/// <param name="Segment">The segment id, e.g. <c>OBX</c>.</param>
/// <param name="Position">The 1-based position of the segment in its message.</param>
/// <param name="Line">The 1-based line of the segment in the parsed input.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Resource">The resource made or enriched, as <c>Type/id</c>, when there is one.</param>
/// <param name="Detail">Why it was skipped, what was lost, or what it became.</param>
public sealed record Hl7V2ReportEntry(string Segment, int Position, int Line, Hl7V2SegmentOutcome Outcome, string? Resource, string? Detail);

/// <summary>What one message's conversion did: every segment accounted for.</summary>
/// <remarks>Serialises with <c>System.Text.Json</c> as is (public read-only properties).</remarks>
public sealed class Hl7V2ConversionReport
{
    internal Hl7V2ConversionReport(string messageType, string triggerEvent, string? controlId, string version, int messageIndex, IReadOnlyList<Hl7V2ReportEntry> entries)
    {
        MessageType = messageType;
        TriggerEvent = triggerEvent;
        ControlId = controlId;
        Version = version;
        MessageIndex = messageIndex;
        Entries = entries;
    }

    /// <summary>MSH-9.1, e.g. <c>ORU</c>.</summary>
    public string MessageType { get; }

    /// <summary>MSH-9.2, e.g. <c>R01</c>.</summary>
    public string TriggerEvent { get; }

    /// <summary>MSH-10, the message control id.</summary>
    public string? ControlId { get; }

    /// <summary>MSH-12, the version.</summary>
    public string Version { get; }

    /// <summary>The 1-based position of the message in its input.</summary>
    public int MessageIndex { get; }

    /// <summary>The entries, in segment order.</summary>
    public IReadOnlyList<Hl7V2ReportEntry> Entries { get; }

    /// <summary>The entries of segments that were not converted.</summary>
    public IEnumerable<Hl7V2ReportEntry> Skipped => Entries.Where(e => e.Outcome == Hl7V2SegmentOutcome.Skipped);

    /// <summary>The warnings.</summary>
    public IEnumerable<Hl7V2ReportEntry> Warnings => Entries.Where(e => e.Outcome == Hl7V2SegmentOutcome.Warning);
}
