namespace HealthRecord.Sdk.Identity;

/// <summary>A reviewer's answer about a pair of source Patients.</summary>
public enum ReviewDecision
{
    /// <summary>The two records are the same person: they are always linked.</summary>
    SamePerson,

    /// <summary>The two records are different people: they are never in one person, whatever the scores.</summary>
    DifferentPersons,
}

/// <summary>A manual answer about a pair (keys in ordinal order).</summary>
/// <param name="Left">The smaller candidate key.</param>
/// <param name="Right">The larger candidate key.</param>
/// <param name="Decision">The answer.</param>
public sealed record ReviewedLink(string Left, string Right, ReviewDecision Decision)
{
    /// <summary>Creates a reviewed link with the keys put in ordinal order.</summary>
    /// <param name="first">A candidate key.</param>
    /// <param name="second">The other candidate key.</param>
    /// <param name="decision">The answer.</param>
    /// <returns>The reviewed link.</returns>
    /// <exception cref="ArgumentException">The keys are empty or equal.</exception>
    public static ReviewedLink Create(string first, string second, ReviewDecision decision)
    {
        ArgumentException.ThrowIfNullOrEmpty(first);
        ArgumentException.ThrowIfNullOrEmpty(second);
        if (string.Equals(first, second, StringComparison.Ordinal))
        {
            throw new ArgumentException("A pair needs two different keys.", nameof(second));
        }

        return string.CompareOrdinal(first, second) < 0 ? new(first, second, decision) : new(second, first, decision);
    }
}

/// <summary>
/// Human review of identity links. The matcher reports <see cref="LinkDecision.Possible"/> pairs here instead of merging them;
/// a host shows them to a person and records the answers, which every later run honours and never changes.
/// </summary>
/// <remarks>Implementations must be thread-safe. Store answers durably (a database) to keep them across processes.</remarks>
public interface ILinkReview
{
    /// <summary>Every manual answer.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The answers.</returns>
    ValueTask<IReadOnlyList<ReviewedLink>> GetDecisionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Queues possible links for review (pairs already answered are ignored; a pair queued again is replaced).</summary>
    /// <param name="links">Pairs the matcher could not decide.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    ValueTask SubmitAsync(IReadOnlyList<PatientLink> links, CancellationToken cancellationToken = default);

    /// <summary>The pairs waiting for an answer, in key order.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The pending pairs.</returns>
    ValueTask<IReadOnlyList<PatientLink>> GetPendingAsync(CancellationToken cancellationToken = default);

    /// <summary>Records an answer for a pair (replacing an earlier answer) and removes it from the pending pairs.</summary>
    /// <param name="left">A candidate key.</param>
    /// <param name="right">The other candidate key.</param>
    /// <param name="decision">The answer.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    /// <exception cref="ArgumentException">The keys are empty or equal.</exception>
    ValueTask ResolveAsync(string left, string right, ReviewDecision decision, CancellationToken cancellationToken = default);
}
