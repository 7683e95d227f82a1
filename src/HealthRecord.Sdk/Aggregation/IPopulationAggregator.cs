using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Aggregates a population person by person: links identities from the sources' Patient records first, then
/// reads, aggregates, saves and hands over each person's EHR in turn, keeping none of them, so memory is bounded
/// by the largest person (and the documents it shares with others) plus the identity index, not by the population.
/// </summary>
/// <remarks>
/// The EHRs are those <see cref="IEhrAggregator.AggregateAsync"/> builds, except that reference data repeated in
/// several per-patient documents of one source is named per person (not numbered across the population).
/// People are aggregated in parallel up to <see cref="HealthRecordOptions.MaxDegreeOfParallelism"/>; each EHR is the
/// same whatever the parallelism, only the order of the <c>onEhr</c> calls varies.
/// </remarks>
public interface IPopulationAggregator
{
    /// <summary>Aggregates the population.</summary>
    /// <param name="request">The sources and settings; <see cref="AggregationRequest.Progress"/> is told people done, records per second and time left.</param>
    /// <param name="onEhr">Receives each person's EHR (saved when the store is used), one call at a time; write it out and let it go.</param>
    /// <param name="cancellationToken">Cancels the run; EHRs already handed over stay saved, no half EHR is saved.</param>
    /// <returns>What was read, the unattributed records and the patient links; the EHRs went to <paramref name="onEhr"/>.</returns>
    /// <exception cref="ArgumentException">The request names no source, or a source name twice.</exception>
    Task<PopulationResult> AggregatePopulationAsync(AggregationRequest request, Func<EhrAggregate, CancellationToken, ValueTask> onEhr, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of a population run (<see cref="IPopulationAggregator"/>).</summary>
public sealed class PopulationResult
{
    /// <summary>People aggregated (EHRs handed over).</summary>
    public required int Persons { get; init; }

    /// <summary>Source records read (rejected ones included).</summary>
    public required long RecordsRead { get; init; }

    /// <summary>Parts aggregated separately: people who share no document are apart (1 means the whole run at once).</summary>
    public required int Parts { get; init; }

    /// <summary>What was read from each source.</summary>
    public required IReadOnlyList<SourceSummary> Sources { get; init; }

    /// <summary>Issues met reading the sources and attributing records; each EHR carries its own.</summary>
    public required IReadOnlyList<EhrIssue> Issues { get; init; }

    /// <summary>Rejected records that could not be attributed to any person, ordered by source then record.</summary>
    public required IReadOnlyList<LineageEntry> Unattributed { get; init; }

    /// <summary>The compared patient pairs that scored match or possible.</summary>
    public required IReadOnlyList<PatientLink> PatientLinks { get; init; }
}
