using System.Diagnostics.Metrics;
using HealthRecord.Sdk.Telemetry;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>The MLLP instruments, on the SDK's one meter (<see cref="HealthRecordTelemetry.Meter"/>); tags never carry message content.</summary>
internal static class HealthRecordHl7V2Telemetry
{
    internal static readonly Counter<long> MessagesReceived = HealthRecordTelemetry.Meter.CreateCounter<long>(
        "healthrecord.hl7v2.messages.received", "{message}", "MLLP frames received.");

    internal static readonly Counter<long> Acknowledgments = HealthRecordTelemetry.Meter.CreateCounter<long>(
        "healthrecord.hl7v2.acks", "{message}", "ACKs sent, by code (AA, AE, AR) and message type.");

    internal static readonly Histogram<double> AckDuration = HealthRecordTelemetry.Meter.CreateHistogram<double>(
        "healthrecord.hl7v2.ack.duration", "ms", "From a frame read to its ACK written.");

    internal static readonly UpDownCounter<long> ConnectionsOpen = HealthRecordTelemetry.Meter.CreateUpDownCounter<long>(
        "healthrecord.hl7v2.connections.open", "{connection}", "MLLP connections being served.");

    internal static readonly Counter<long> ConnectionsEvicted = HealthRecordTelemetry.Meter.CreateCounter<long>(
        "healthrecord.hl7v2.connections.evicted", "{connection}", "Idle connections closed to make room.");

    internal static readonly Counter<long> ConnectionsRefused = HealthRecordTelemetry.Meter.CreateCounter<long>(
        "healthrecord.hl7v2.connections.refused", "{connection}", "Connections refused because every slot was busy.");

    internal static readonly UpDownCounter<long> QueueDepth = HealthRecordTelemetry.Meter.CreateUpDownCounter<long>(
        "healthrecord.hl7v2.feed.queue", "{message}", "Messages taken by a feed and not yet applied to the EHR.");
}
