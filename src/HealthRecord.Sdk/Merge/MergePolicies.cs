using HealthRecord.Sdk.Errors;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Merge;

/// <summary>The built-in merge policies.</summary>
public static class MergePolicies
{
    /// <summary>The names <see cref="FromName"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["source-priority", "most-recent", "most-complete", "per-element", "keep-all"];

    /// <summary>
    /// Takes the copy from the highest-ranked source; other copies add only identifiers.
    /// </summary>
    /// <param name="ranking">Source names, highest first. Empty uses <see cref="HealthRecordOptions.SourcePriority"/>.</param>
    /// <returns>The policy.</returns>
    public static IMergePolicy SourcePriority(params string[] ranking) => new SourcePriorityPolicy(ranking ?? []);

    /// <summary>Takes the copy the source changed last (<c>meta.lastUpdated</c>, else its clinical date); ties go to source priority.</summary>
    /// <returns>The policy.</returns>
    public static IMergePolicy MostRecent() => new MostRecentPolicy();

    /// <summary>Takes the copy with the most populated elements; ties go to source priority.</summary>
    /// <returns>The policy.</returns>
    public static IMergePolicy MostComplete() => new MostCompletePolicy();

    /// <summary>
    /// Composes the record element by element: values from the highest-ranked source; codings, identifiers
    /// and notes as the union of every copy's; statuses (<c>status</c>, <c>clinicalStatus</c>,
    /// <c>verificationStatus</c>) from the most recent assertion (<c>meta.lastUpdated</c>, else the date the
    /// source recorded or asserted it, else the clinical date; ties go to source priority).
    /// </summary>
    /// <param name="ranking">Source names, highest first. Empty uses <see cref="HealthRecordOptions.SourcePriority"/>.</param>
    /// <returns>The policy.</returns>
    public static IMergePolicy PerElement(params string[] ranking) => new ElementCompositionPolicy(ranking ?? []);

    /// <summary>Never combines: every source record stays a record of its own (no deduplication).</summary>
    /// <returns>The policy.</returns>
    public static IMergePolicy KeepAll() => new KeepAllPolicy();

    /// <summary>The built-in policy with this name.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="HealthRecordConfigurationException">The name is unknown.</exception>
    public static IMergePolicy FromName(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "source-priority" => SourcePriority(),
        "most-recent" => MostRecent(),
        "most-complete" => MostComplete(),
        "per-element" => PerElement(),
        "keep-all" => KeepAll(),
        _ => throw new HealthRecordConfigurationException($"Unknown merge policy '{name}'. Known policies: {string.Join(", ", Names)}."),
    };

    private sealed class SourcePriorityPolicy(string[] ranking) : SelectingMergePolicy
    {
        public override string Name => "source-priority";

        protected override int Choose(IReadOnlyList<MergeMember> members) => BestBy(members, _ => 0, RankOf);

        private int RankOf(MergeMember m)
        {
            if (ranking.Length == 0)
            {
                return m.SourceRank;
            }

            var i = Array.IndexOf(ranking, m.SourceName);
            return i < 0 ? ranking.Length + m.SourceRank : i;
        }

        protected override string Describe(MergeMember chosen) => $"source-priority: values from '{chosen.SourceName}', the highest-ranked source";
    }

    private sealed class MostRecentPolicy : SelectingMergePolicy
    {
        public override string Name => "most-recent";

        protected override int Choose(IReadOnlyList<MergeMember> members) =>
            BestBy(members, m => -((m.LastUpdated ?? m.ClinicalDate)?.UtcTicks ?? long.MinValue / 2), m => m.SourceRank);

        protected override string Describe(MergeMember chosen) => $"most-recent: values from '{chosen.SourceName}', the most recently updated copy";
    }

    private sealed class MostCompletePolicy : SelectingMergePolicy
    {
        public override string Name => "most-complete";

        protected override int Choose(IReadOnlyList<MergeMember> members) => BestBy(members, m => -CountElements(m.Resource), m => m.SourceRank);

        protected override string Describe(MergeMember chosen) => $"most-complete: values from '{chosen.SourceName}', the copy with the most elements";

        private static long CountElements(Base node)
        {
            long count = 0;
            foreach (var child in node.EnumerateElements())
            {
                switch (child.Value)
                {
                    case Base b:
                        count += 1 + CountElements(b);
                        break;
                    case System.Collections.IEnumerable list and not string:
                        foreach (var item in list)
                        {
                            if (item is Base ib)
                            {
                                count += 1 + CountElements(ib);
                            }
                        }

                        break;
                }
            }

            return count;
        }
    }

    private sealed class KeepAllPolicy : IMergePolicy
    {
        public string Name => "keep-all";

        public bool CombinesDuplicates => false;

        public MergeResult Merge(MergeCluster cluster)
        {
            ArgumentNullException.ThrowIfNull(cluster);
            var first = cluster.Members[0];
            return new MergeResult(first.Resource.DeepCopy(), 0, [], "keep-all: records are not combined");
        }
    }
}

/// <summary>
/// A policy that takes one member's values as the base, adds every member's identifiers, and reports
/// conflicts on the elements that matter (<see cref="ConflictDetector"/>). Derive from it to write a
/// policy that only has to say which member wins.
/// </summary>
public abstract class SelectingMergePolicy : IMergePolicy
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public bool CombinesDuplicates => true;

    /// <inheritdoc />
    public MergeResult Merge(MergeCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.Members.Count == 0)
        {
            throw new ArgumentException("A cluster has at least one member.", nameof(cluster));
        }

        var chosen = Choose(cluster.Members);
        var merged = cluster.Members[chosen].Resource.DeepCopy();
        UnionIdentifiers(merged, cluster.Members);
        var conflicts = ConflictDetector.Detect(cluster.Members, chosen);
        return new MergeResult(merged, chosen, conflicts, Describe(cluster.Members[chosen]));
    }

    /// <summary>Chooses the member whose values win.</summary>
    /// <param name="members">The members, in canonical order.</param>
    /// <returns>The index of the winner.</returns>
    protected abstract int Choose(IReadOnlyList<MergeMember> members);

    /// <summary>Says how the winner was chosen.</summary>
    /// <param name="chosen">The winner.</param>
    /// <returns>The explanation.</returns>
    protected abstract string Describe(MergeMember chosen);

    /// <summary>The member with the smallest (primary, secondary) pair; ties keep canonical order.</summary>
    /// <param name="members">The members.</param>
    /// <param name="primary">The first criterion (smaller wins).</param>
    /// <param name="secondary">The tie-breaker (smaller wins).</param>
    /// <returns>The index.</returns>
    protected static int BestBy(IReadOnlyList<MergeMember> members, Func<MergeMember, long> primary, Func<MergeMember, int> secondary)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(secondary);
        var best = 0;
        for (var i = 1; i < members.Count; i++)
        {
            var c = primary(members[i]).CompareTo(primary(members[best]));
            if (c < 0 || (c == 0 && secondary(members[i]) < secondary(members[best])))
            {
                best = i;
            }
        }

        return best;
    }

    internal static void UnionIdentifiers(Resource merged, IReadOnlyList<MergeMember> members)
    {
        if (Fhir.ResourceIdentifiers.ListOf(merged) is not { } target)
        {
            return;
        }

        // Placeholders (an SSN "UNK") are no facts: they never reach the merged record.
        target.RemoveAll(Fhir.PlaceholderValues.IsPlaceholder);
        var seen = new HashSet<string>(target.Select(Key), StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (var id in Fhir.ResourceIdentifiers.ListOf(member.Resource) ?? [])
            {
                if (!Fhir.PlaceholderValues.IsPlaceholder(id) && seen.Add(Key(id)))
                {
                    target.Add((Identifier)id.DeepCopy());
                }
            }
        }

        static string Key(Identifier i) => $"{i.System}|{i.Value}";
    }
}
