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
public sealed record PatientLink(string Left, string Right, double Score, LinkDecision Decision, string? Explanation = null);

/// <summary>The outcome of linking.</summary>
/// <param name="Persons">Groups of candidate keys, one group a person; every candidate is in exactly one group.</param>
/// <param name="Links">The compared pairs that scored <see cref="LinkDecision.Match"/> or <see cref="LinkDecision.Possible"/>.</param>
public sealed record PatientLinkResult(IReadOnlyList<IReadOnlyList<string>> Persons, IReadOnlyList<PatientLink> Links);
