using HealthRecord.Sdk.Hl7V2.Mllp;

namespace HealthRecord.Sdk.Hl7V2.Feed;

/// <summary>The live HL7 v2 feed a host runs with <c>AddHl7V2Listener</c>: where it listens and where it journals.</summary>
public sealed class Hl7V2ListenerOptions
{
    /// <summary>Address, port, limits and TLS of the MLLP listener.</summary>
    /// <value>Loopback, a free port, the listener's defaults.</value>
    public MllpListenerOptions Listener { get; set; } = new();

    /// <summary>The journal file every message is taken into before its ACK (its folder must exist).</summary>
    /// <value><c>hl7v2-feed.journal</c> in the working directory.</value>
    public string JournalPath { get; set; } = "hl7v2-feed.journal";

    /// <summary>The source name the feed's records carry in the EHR (lineage, Provenance).</summary>
    /// <value><c>mllp</c>.</value>
    public string SourceName { get; set; } = "mllp";
}
