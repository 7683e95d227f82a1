using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk;

/// <summary>Logger messages of population runs (counts and times only).</summary>
internal static partial class Log
{
    [LoggerMessage(1101, LogLevel.Debug, "Population run stages: Patient pass {ReadMs} ms, linking and plan {LinkMs} ms, parts {PartsMs} ms ({Parts} parts, {Persons} persons); managed heap after planning {PlannedMb} MB, at the end {EndMb} MB, working set {WorkingSetMb} MB")]
    public static partial void PopulationStages(ILogger logger, long readMs, long linkMs, long partsMs, int parts, int persons, long plannedMb, long endMb, long workingSetMb);
}
