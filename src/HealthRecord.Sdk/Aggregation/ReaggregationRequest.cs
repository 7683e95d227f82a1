using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>Records read from the sources of a request, before any aggregation (<see cref="EhrAggregator.ReadAsync"/>).</summary>
public sealed class SourceReadResult
{
    /// <summary>Every record read, accepted or rejected by its reader.</summary>
    public required IReadOnlyList<SourceRecord> Records { get; init; }

    /// <summary>What was read from each source.</summary>
    public required IReadOnlyList<SourceSummary> Sources { get; init; }

    /// <summary>Issues met while reading (unreadable documents, warnings).</summary>
    public IReadOnlyList<EhrIssue> Issues { get; init; } = [];
}

/// <summary>
/// Aggregates records read before (<see cref="EhrAggregator.ReaggregateAsync"/>): with another merge policy,
/// or with clusters split, without re-reading the sources.
/// </summary>
/// <example><code>
/// var read = await aggregator.ReadAsync(request);
/// var first = await aggregator.ReaggregateAsync(new ReaggregationRequest { Input = read });
/// var record = first.Ehrs[0].Records.First(r => r.Sources.Count > 1);
/// var undone = await aggregator.ReaggregateAsync(new ReaggregationRequest { Input = read, KeepApart = [ReaggregationRequest.Split(record)] });
/// </code></example>
public sealed class ReaggregationRequest
{
    /// <summary>The records to aggregate.</summary>
    public required SourceReadResult Input { get; init; }

    /// <summary>A policy for every type instead of the configured ones, as <see cref="AggregationRequest.Policy"/>.</summary>
    public IMergePolicy? Policy { get; init; }

    /// <summary>Whether to save the EHRs; <see langword="null"/> uses <see cref="HealthRecordOptions.SaveToStore"/>.</summary>
    public bool? SaveToStore { get; init; }

    /// <summary>
    /// Split requests: groups of source record keys (<c>source:Type/id</c>) of which no two may end in the
    /// same EHR record. A group of every member of a merged record undoes that merge.
    /// </summary>
    public IReadOnlyList<IReadOnlyCollection<string>> KeepApart { get; init; } = [];

    /// <summary>Receives progress.</summary>
    public IProgress<AggregationProgress>? Progress { get; init; }

    /// <summary>The split request that undoes a merge: every source record of the EHR record stays on its own.</summary>
    /// <param name="record">A merged EHR record.</param>
    /// <returns>The keys of its source records.</returns>
    public static IReadOnlyCollection<string> Split(EhrRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Sources.Select(s => s.ToString()).ToList();
    }
}
