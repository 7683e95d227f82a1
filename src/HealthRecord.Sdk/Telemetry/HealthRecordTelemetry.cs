using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HealthRecord.Sdk.Telemetry;

/// <summary>
/// The SDK's one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named <c>HealthRecord.Sdk</c>.
/// Instruments are named <c>healthrecord.*</c>. No tag ever carries patient data.
/// </summary>
public static class HealthRecordTelemetry
{
    /// <summary>The name of the activity source and the meter.</summary>
    public const string Name = "HealthRecord.Sdk";

    /// <summary>The activity source: one activity per aggregation, per source read, per person built.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, typeof(HealthRecordTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The meter.</summary>
    public static Meter Meter { get; } = new(Name, typeof(HealthRecordTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> RecordsRead = Meter.CreateCounter<long>("healthrecord.records.read", "{record}", "Records read from sources.");
    internal static readonly Counter<long> RecordsRejected = Meter.CreateCounter<long>("healthrecord.records.rejected", "{record}", "Records rejected with a reason.");
    internal static readonly Counter<long> RecordsMerged = Meter.CreateCounter<long>("healthrecord.records.merged", "{record}", "Source records merged into another EHR record.");
    internal static readonly Counter<long> DocumentsFailed = Meter.CreateCounter<long>("healthrecord.documents.failed", "{document}", "Documents that could not be read.");
    internal static readonly Histogram<double> AggregationDuration = Meter.CreateHistogram<double>("healthrecord.aggregation.duration", "s", "Time to aggregate a set of sources.");
}
