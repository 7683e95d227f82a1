using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Turns EMR sources into EHRs: reads every source, validates and resolves each record, links patient
/// identities, deduplicates and merges facts per person, and (by default) saves each EHR to the store.
/// </summary>
/// <remarks>Thread-safe: one instance serves concurrent aggregations.</remarks>
public interface IEhrAggregator
{
    /// <summary>Aggregates the sources.</summary>
    /// <param name="request">The sources and settings.</param>
    /// <param name="cancellationToken">Cancels the work; a cancelled aggregation saves nothing more.</param>
    /// <returns>One EHR per person, with lineage, conflicts and issues.</returns>
    /// <exception cref="ArgumentException">The request names no source, or a source name twice.</exception>
    Task<AggregationResult> AggregateAsync(AggregationRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Aggregates records already read (for example <see cref="AggregationResult.SourceRecords"/> of an earlier
    /// run), so a host can re-aggregate under another policy, or after a change of links, without re-reading
    /// the sources. The records are not changed.
    /// </summary>
    /// <param name="records">The records.</param>
    /// <param name="request">Settings (policy, saving, progress); of its <see cref="AggregationRequest.Sources"/> only the declared persons (<see cref="SourceRequest.Patient"/>) are used.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>One EHR per person.</returns>
    Task<AggregationResult> AggregateRecordsAsync(IReadOnlyList<SourceRecord> records, AggregationRequest? request = null, CancellationToken cancellationToken = default);
}

/// <summary>What to aggregate.</summary>
public sealed class AggregationRequest
{
    /// <summary>The sources, each with a unique name.</summary>
    public IReadOnlyList<SourceRequest> Sources { get; init; } = [];

    /// <summary>A policy for every type, overriding the configured <see cref="MergeOptions"/>; <see langword="null"/> uses them.</summary>
    public IMergePolicy? Policy { get; init; }

    /// <summary>Whether to save the EHRs to the store; <see langword="null"/> uses <see cref="HealthRecordOptions.SaveToStore"/>.</summary>
    public bool? SaveToStore { get; init; }

    /// <summary>Told about progress (stages and counts, never patient data).</summary>
    public IProgress<AggregationProgress>? Progress { get; init; }

    /// <summary>
    /// Only for a population run (<see cref="IPopulationAggregator"/>): aggregate and save only the people of this shard,
    /// so a run can be split across processes and machines writing one store (docs/storage.md, "Scaling out");
    /// <see langword="null"/> aggregates everyone. Other aggregations refuse a request with a shard.
    /// </summary>
    public PopulationShard? Shard { get; init; }
}

/// <summary>Progress of an aggregation.</summary>
/// <param name="Stage">The stage: <c>read</c>, <c>resolve</c>, <c>link</c>, <c>merge</c>, <c>save</c>.</param>
/// <param name="Completed">Units done in this stage (in <c>merge</c> and <c>save</c>: people done).</param>
/// <param name="Total">Units in this stage (in <c>merge</c> and <c>save</c>: people).</param>
/// <param name="Detail">What is being worked on (a source name or a person id; never patient data).</param>
public sealed record AggregationProgress(string Stage, int Completed, int Total, string? Detail = null)
{
    /// <summary>Source records of the people done so far (in <c>merge</c> and <c>save</c>), for a records-per-second rate.</summary>
    public long RecordsDone { get; init; }

    /// <summary>Time since this stage began (so <see cref="RecordsPerSecond"/> and <see cref="EstimatedRemaining"/> are the stage's own pace).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Source records per second over the people done so far; 0 before the first person.</summary>
    public double RecordsPerSecond => Elapsed.TotalSeconds > 0 ? RecordsDone / Elapsed.TotalSeconds : 0;

    /// <summary>The time left if the remaining units go at the pace of those done; <see langword="null"/> before the first one.</summary>
    public TimeSpan? EstimatedRemaining => Completed > 0 && Total >= Completed ? Elapsed * ((double)(Total - Completed) / Completed) : null;
}

/// <summary>The outcome of an aggregation.</summary>
public sealed class AggregationResult
{
    /// <summary>One EHR per person, ordered by person id.</summary>
    public required IReadOnlyList<EhrAggregate> Ehrs { get; init; }

    /// <summary>What was read from each source.</summary>
    public required IReadOnlyList<SourceSummary> Sources { get; init; }

    /// <summary>Every issue met (those of each EHR included).</summary>
    public required IReadOnlyList<EhrIssue> Issues { get; init; }

    /// <summary>Rejected records that could not be attributed to any person.</summary>
    public required IReadOnlyList<LineageEntry> Unattributed { get; init; }

    /// <summary>The compared patient pairs that scored match or possible.</summary>
    public required IReadOnlyList<PatientLink> PatientLinks { get; init; }

    /// <summary>Every record read, unchanged, in canonical order: hand them to <see cref="IEhrAggregator.AggregateRecordsAsync"/> to re-aggregate.</summary>
    public IReadOnlyList<SourceRecord> SourceRecords { get; init; } = [];

    /// <summary>All lineage: every EHR's rows, then the unattributed ones.</summary>
    public IEnumerable<LineageEntry> Lineage => Ehrs.SelectMany(e => e.Lineage).Concat(Unattributed);
}

/// <summary>What was read from one source.</summary>
/// <param name="Name">The source name.</param>
/// <param name="Location">Where it was read.</param>
/// <param name="Documents">Documents read.</param>
/// <param name="FailedDocuments">Documents that could not be read.</param>
/// <param name="RecordsRead">Records read (rejected ones included).</param>
/// <param name="RecordsRejected">Records rejected, by the reader or by validation.</param>
/// <param name="Formats">Documents per detected format.</param>
public sealed record SourceSummary(string Name, string Location, int Documents, int FailedDocuments, int RecordsRead, int RecordsRejected, IReadOnlyDictionary<string, int> Formats)
{
    /// <summary>The person the host declared for the source (<see cref="SourceRequest.Patient"/>), kept so a re-aggregation attributes the same way.</summary>
    public string? Patient { get; init; }

    /// <summary>
    /// Whether the source could not be read completely: not found, no adapter reads it, refused, or failed part-way.
    /// An EHR that holds this source's records, or whose stored version held them, is not saved by that run (the
    /// previous version is kept and an error issue says why), so a broken source never shrinks a stored record.
    /// </summary>
    public bool Incomplete { get; init; }
}
