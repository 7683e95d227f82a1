using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Decides which source <see cref="Patient"/> records are the same person. Implementations must never
/// link two different people: when in doubt, a pair is <see cref="LinkDecision.Possible"/>, which never merges.
/// </summary>
/// <remarks>Implementations must be thread-safe and deterministic (the same candidates in any order give the same persons).</remarks>
public interface IPatientMatcher
{
    /// <summary>Groups the candidates into persons.</summary>
    /// <param name="patients">Every source Patient of the aggregation.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The persons and the compared pairs.</returns>
    ValueTask<PatientLinkResult> LinkAsync(IReadOnlyList<PatientCandidate> patients, CancellationToken cancellationToken = default);
}

/// <summary>A source Patient to link.</summary>
/// <param name="Key">A unique key, <c>source:Patient/id</c>.</param>
/// <param name="SourceName">The source.</param>
/// <param name="Patient">The Patient as the source gave it.</param>
public sealed record PatientCandidate(string Key, string SourceName, Patient Patient);

/// <summary>The decision for a compared pair.</summary>
public enum LinkDecision
{
    /// <summary>Different people.</summary>
    NoMatch,

    /// <summary>Maybe the same person: reported for review, never merged automatically.</summary>
    Possible,

    /// <summary>The same person.</summary>
    Match,
}

/// <summary>One compared pair of source Patients.</summary>
/// <param name="Left">The left candidate key.</param>
/// <param name="Right">The right candidate key.</param>
/// <param name="Score">The match score (for probabilistic matchers the log2 likelihood ratio).</param>
/// <param name="Decision">The decision.</param>
/// <param name="Explanation">How the score came about (the comparison vector and weights), when the matcher explains.</param>
public sealed record PatientLink(string Left, string Right, double Score, LinkDecision Decision, string? Explanation = null)
{
    /// <summary>The comparison vector with the weight of each field (empty when the matcher does not explain, or for a manual link).</summary>
    public IReadOnlyList<FieldEvidence> Evidence { get; init; } = [];

    /// <summary>Whether the decision is a reviewer's answer (<see cref="ILinkReview"/>) rather than the matcher's.</summary>
    public bool IsManual { get; init; }

    /// <summary>The left record as its source names it: source name and <c>Patient/id</c> (what the <c>link</c> command writes), when the matcher fills it.</summary>
    public SourcePatientReference? LeftRecord { get; init; }

    /// <summary>The right record as its source names it, when the matcher fills it.</summary>
    public SourcePatientReference? RightRecord { get; init; }
}

/// <summary>A source Patient as its source names it.</summary>
/// <param name="SourceName">The source.</param>
/// <param name="Reference"><c>Patient/id</c> as the source gave it (<c>Patient</c> when the resource has no id).</param>
public sealed record SourcePatientReference(string SourceName, string Reference)
{
    /// <summary>Describes a candidate.</summary>
    /// <param name="candidate">The candidate.</param>
    /// <returns>The reference.</returns>
    public static SourcePatientReference Of(PatientCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return new(candidate.SourceName, string.IsNullOrEmpty(candidate.Patient.Id) ? "Patient" : "Patient/" + candidate.Patient.Id);
    }
}

/// <summary>The outcome of linking.</summary>
/// <param name="Persons">Groups of candidate keys, one group a person; every candidate is in exactly one group.</param>
/// <param name="Links">The compared pairs that scored <see cref="LinkDecision.Match"/> or <see cref="LinkDecision.Possible"/> (and reviewers' same-person answers), ordered by left then right key; <c>Left</c> sorts before <c>Right</c>.</param>
public sealed record PatientLinkResult(IReadOnlyList<IReadOnlyList<string>> Persons, IReadOnlyList<PatientLink> Links)
{
    /// <summary>What the host should know about the run (oversized blocks, estimation fallbacks); no patient data.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Counts of the run (compared pairs, reduction ratio), when the matcher reports them.</summary>
    public PatientLinkStatistics? Statistics { get; init; }
}

/// <summary>Counts of one linking run.</summary>
/// <param name="Candidates">Source Patients linked.</param>
/// <param name="TotalPairs">All pairs, n(n-1)/2.</param>
/// <param name="ComparedPairs">Pairs the blocking let through and the matcher scored.</param>
/// <param name="WeightsEstimated">Whether m/u weights were estimated on the run's data (otherwise the defaults were used).</param>
/// <param name="EstimatedMatchShare">The estimated share of compared pairs that are matches (the EM prior), or <see langword="null"/> with default weights.</param>
public sealed record PatientLinkStatistics(int Candidates, long TotalPairs, long ComparedPairs, bool WeightsEstimated, double? EstimatedMatchShare)
{
    /// <summary>1 − compared/total: the share of pairs the blocking spared (1 when there are no pairs).</summary>
    public double ReductionRatio => TotalPairs == 0 ? 1 : 1 - ((double)ComparedPairs / TotalPairs);
}
