namespace HealthRecord.Sdk.Deduplication;

/// <summary>
/// A rule about whole clusters, for a matcher whose pairwise decisions could chain: union-find joins
/// transitively, so three copies each "close in time" to the next could otherwise join facts far apart.
/// The clusterer asks before it joins two clusters.
/// </summary>
/// <remarks>Implementations must be thread-safe, deterministic and symmetric.</remarks>
public interface IClusterConstraint
{
    /// <summary>Whether two clusters may become one.</summary>
    /// <param name="left">The members of one cluster.</param>
    /// <param name="right">The members of the other.</param>
    /// <returns><see langword="false"/> to keep them apart.</returns>
    bool CanJoin(IReadOnlyList<MatchCandidate> left, IReadOnlyList<MatchCandidate> right);
}
