using System.Runtime.InteropServices;

namespace HealthRecord.Sdk.Deduplication;

/// <summary>
/// Groups records into duplicate clusters: candidates share a blocking key, a matcher decides each pair,
/// and union-find joins the matches. Candidates arrive in canonical order and every loop runs in that
/// order, so the clusters never depend on input order. Before two clusters join, the matcher (when it is
/// an <see cref="IClusterConstraint"/>) and the split requests (<c>keepApart</c>) may refuse, so a chain
/// of pairwise matches cannot join facts that must stay apart.
/// </summary>
internal static class DuplicateClusterer
{
    /// <summary>The rule name of a join a reviewer asked for (<see cref="IMergeReview"/>).</summary>
    public const string ManualMergeRule = "manual-merge";

    /// <summary>Clusters the candidates.</summary>
    /// <param name="candidates">Records of one type and one person, in canonical order.</param>
    /// <param name="matcher">The matcher for the type.</param>
    /// <param name="maxBlockSize">The largest block compared pairwise.</param>
    /// <param name="onOversizedBlock">Told about blocks that were cut.</param>
    /// <param name="keepApart">Groups of candidate keys (<c>source:Type/id</c>) of which no two may end in one cluster.</param>
    /// <param name="keepTogether">Groups of candidate keys a reviewer joined (each with its reason), joined before any matching; <paramref name="keepApart"/> still wins.</param>
    /// <returns>Clusters (lists of candidate indexes, ascending), ordered by their first index, and the matched pairs.</returns>
    public static ClusterResult Cluster(IReadOnlyList<MatchCandidate> candidates, IRecordMatcher matcher, int maxBlockSize, Action<int, int>? onOversizedBlock = null,
        IReadOnlyCollection<IReadOnlyCollection<string>>? keepApart = null, IReadOnlyCollection<(IReadOnlyCollection<string> Keys, string Reason)>? keepTogether = null)
    {
        var n = candidates.Count;
        var parent = new int[n];
        var memberLists = new List<int>?[n];
        for (var i = 0; i < n; i++)
        {
            parent[i] = i;
        }

        var constraint = matcher as IClusterConstraint;
        var splitGroupsOf = SplitGroups(candidates, keepApart);

        var matches = new List<MatchedPair>();
        if (keepTogether is { Count: > 0 })
        {
            // Manual joins first, in a canonical order of groups, so they never depend on the order they were recorded in.
            var indexByKey = IndexByKey(candidates);
            foreach (var (keys, reason) in keepTogether.OrderBy(g => string.Join('\u001f', g.Keys.Order(StringComparer.Ordinal)), StringComparer.Ordinal))
            {
                var members = keys.Select(k => indexByKey.TryGetValue(k, out var i) ? i : -1).Where(i => i >= 0).Distinct().Order().ToList();
                for (var m = 1; m < members.Count; m++)
                {
                    var (i, j) = (members[0], members[m]);
                    if (Find(parent, i) != Find(parent, j) && SplitAllows(i, j))
                    {
                        Join(i, j, new RecordMatch(true, 1.0, ManualMergeRule, reason));
                    }
                }
            }
        }

        // Most keys belong to one candidate only: a block keeps its first member inline and gets a list at its second.
        var blocks = new Dictionary<string, (int First, List<int>? Shared)>(StringComparer.Ordinal);
        var keysOf = new List<string>[n];
        var unique = new HashSet<string>(StringComparer.Ordinal); // one set for all candidates, cleared for each
        for (var i = 0; i < n; i++)
        {
            // The candidate's distinct keys, in the order the matcher gives them.
            var keys = keysOf[i] = [];
            foreach (var key in matcher.GetBlockingKeys(candidates[i]))
            {
                if (unique.Add(key))
                {
                    keys.Add(key);
                }
            }

            unique.Clear();
            foreach (var key in keys)
            {
                ref var block = ref CollectionsMarshal.GetValueRefOrAddDefault(blocks, key, out var exists);
                if (!exists)
                {
                    block = (i, null);
                }
                else
                {
                    (block.Shared ??= [block.First]).Add(i);
                }
            }
        }

        // Only the keys two or more candidates share are blocks; they are visited in ordinal key order.
        var keyOrder = new List<string>();
        foreach (var (key, block) in blocks)
        {
            if (block.Shared is not null)
            {
                keyOrder.Add(key);
            }
        }

        keyOrder.Sort(StringComparer.Ordinal);
        var compared = new HashSet<(int, int)>();
        var found = new List<(int Left, int Right, RecordMatch Match, int Order)>();
        foreach (var key in keyOrder)
        {
            var members = blocks[key].Shared!;
            if (members.Count < 2)
            {
                continue;
            }

            if (key.StartsWith("id|", StringComparison.Ordinal) && SharedWithinOneExport(members, candidates, keysOf))
            {
                // An identifier that one source gives to several different records does not identify a record
                // (C-CDA ids that carry only an organisation's OID root do this); it is no evidence.
                var id = key[3..];
                foreach (var m in members)
                {
                    (candidates[m].AmbiguousIdentifiers ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
                }
            }
        }

        foreach (var key in keyOrder)
        {
            var members = blocks[key].Shared!;
            if (members.Count < 2 || (key.StartsWith("id|", StringComparison.Ordinal) && candidates[members[0]].AmbiguousIdentifiers?.Contains(key[3..]) == true))
            {
                continue;
            }

            var limit = members.Count;
            if (limit > maxBlockSize)
            {
                onOversizedBlock?.Invoke(members.Count, maxBlockSize);
                limit = maxBlockSize;
            }

            for (var a = 0; a < limit; a++)
            {
                for (var b = a + 1; b < limit; b++)
                {
                    var i = members[a];
                    var j = members[b];
                    if (Find(parent, i) == Find(parent, j) || !compared.Add(i < j ? (i, j) : (j, i)))
                    {
                        continue;
                    }

                    var decision = matcher.Compare(candidates[i], candidates[j]);
                    if (decision.IsMatch)
                    {
                        found.Add((i, j, decision, found.Count));
                    }
                }
            }
        }

        // Best evidence first: when a record matches two records that may not share a cluster (two readings of
        // one export, minutes apart), it joins the one it matches best (the higher score: closer in time, the
        // same issued instant). Ties keep the order the pairs were found in, so the result stays canonical.
        found.Sort(static (x, y) => y.Match.Score != x.Match.Score ? y.Match.Score.CompareTo(x.Match.Score) : x.Order.CompareTo(y.Order));
        var joined = new List<(MatchedPair Pair, int Order)>();
        foreach (var (i, j, decision, order) in found)
        {
            if (Find(parent, i) != Find(parent, j) && SplitAllows(i, j) && ConstraintAllows(i, j))
            {
                Join(i, j, decision);
                joined.Add((matches[^1], order));
            }
        }

        // The pairs are reported in the order they were found (blocking-key order), not in the order they joined.
        matches.RemoveRange(matches.Count - joined.Count, joined.Count);
        matches.AddRange(joined.OrderBy(x => x.Order).Select(x => x.Pair));

        void Join(int i, int j, RecordMatch decision)
        {
            var (root, other) = Union(parent, i, j);
            var joined = memberLists[root] ?? [root];
            joined.AddRange(memberLists[other] ?? [other]);
            memberLists[root] = joined;
            memberLists[other] = null;
            matches.Add(new MatchedPair(i, j, decision));
        }

        bool ConstraintAllows(int i, int j)
        {
            if (constraint is null)
            {
                return true;
            }

            var left = memberLists[Find(parent, i)] ?? [Find(parent, i)];
            var right = memberLists[Find(parent, j)] ?? [Find(parent, j)];
            return constraint.CanJoin(left.Select(x => candidates[x]).ToList(), right.Select(x => candidates[x]).ToList());
        }

        bool SplitAllows(int i, int j)
        {
            var left = memberLists[Find(parent, i)] ?? [Find(parent, i)];
            var right = memberLists[Find(parent, j)] ?? [Find(parent, j)];
            if (splitGroupsOf is not null)
            {
                foreach (var l in left)
                {
                    if (splitGroupsOf.TryGetValue(l, out var groupsOfL))
                    {
                        foreach (var r in right)
                        {
                            if (splitGroupsOf.TryGetValue(r, out var groupsOfR) && groupsOfL.Overlaps(groupsOfR))
                            {
                                return false;
                            }
                        }
                    }
                }
            }

            return true;
        }

        var groups = new SortedDictionary<int, List<int>>();
        for (var i = 0; i < n; i++)
        {
            var root = Find(parent, i);
            if (!groups.TryGetValue(root, out var list))
            {
                list = [];
                groups[root] = list;
            }

            list.Add(i);
        }

        var clusters = groups.Values.OrderBy(g => g[0]).Select(g => (IReadOnlyList<int>)g).ToList();
        return new ClusterResult(clusters, matches);
    }

    /// <summary>
    /// Whether one export of a source gives the identifier to two different records that have nothing else in
    /// common (no other blocking key: another concept, another day). Two records of one export sharing an
    /// identifier and a concept may be one act sent twice, and the matcher decides; an identifier spread over
    /// unrelated records (a C-CDA id carrying only an organisation's OID root) is no evidence at all.
    /// </summary>
    private static bool SharedWithinOneExport(List<int> members, IReadOnlyList<MatchCandidate> candidates, List<string>[] keysOf)
    {
        // Fingerprints (a walk over the whole resource) are computed only when an export appears twice.
        var byExport = new Dictionary<(string, string?), List<int>>();
        foreach (var m in members)
        {
            var c = candidates[m];
            var export = (c.SourceName, c.DocumentId);
            if (!byExport.TryGetValue(export, out var earlier))
            {
                byExport[export] = [m];
                continue;
            }

            foreach (var e in earlier)
            {
                if (candidates[e].Fingerprint != c.Fingerprint && !ShareOtherKey(keysOf[e], keysOf[m]))
                {
                    return true;
                }
            }

            earlier.Add(m);
        }

        return false;
    }

    private static bool ShareOtherKey(List<string> a, List<string> b)
    {
        foreach (var x in a)
        {
            if (!x.StartsWith("id|", StringComparison.Ordinal) && b.Contains(x, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static Dictionary<string, int> IndexByKey(IReadOnlyList<MatchCandidate> candidates)
    {
        var indexByKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < candidates.Count; i++)
        {
            indexByKey.TryAdd(candidates[i].Key, i);
        }

        return indexByKey;
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }

        return i;
    }

    // The smaller index becomes the root, so roots (and therefore cluster order) are canonical.
    private static (int Root, int Other) Union(int[] parent, int a, int b)
    {
        var ra = Find(parent, a);
        var rb = Find(parent, b);
        if (ra < rb)
        {
            parent[rb] = ra;
            return (ra, rb);
        }

        parent[ra] = rb;
        return (rb, ra);
    }

    private static Dictionary<int, HashSet<int>>? SplitGroups(IReadOnlyList<MatchCandidate> candidates, IReadOnlyCollection<IReadOnlyCollection<string>>? keepApart)
    {
        if (keepApart is null || keepApart.Count == 0)
        {
            return null;
        }

        var indexByKey = IndexByKey(candidates);
        var result = new Dictionary<int, HashSet<int>>();
        var g = 0;
        foreach (var group in keepApart)
        {
            foreach (var key in group)
            {
                if (indexByKey.TryGetValue(key, out var i))
                {
                    if (!result.TryGetValue(i, out var set))
                    {
                        set = [];
                        result[i] = set;
                    }

                    set.Add(g);
                }
            }

            g++;
        }

        return result;
    }
}

/// <summary>The clusters and the pair decisions that built them.</summary>
internal sealed record ClusterResult(IReadOnlyList<IReadOnlyList<int>> Clusters, IReadOnlyList<MatchedPair> Matches);

/// <summary>A matched pair (candidate indexes) and the decision.</summary>
internal sealed record MatchedPair(int Left, int Right, RecordMatch Match);
