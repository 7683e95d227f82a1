namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Union–find over match edges with cannot-link checks: two groups join only when no record of one clearly
/// disagrees with a record of the other, so A~B and B~C never pull a clearly different A and C together.
/// </summary>
internal sealed class PersonClusterer
{
    private readonly int[] _parent;
    private readonly List<int>[] _members;

    public PersonClusterer(int count)
    {
        _parent = new int[count];
        _members = new List<int>[count];
        for (var i = 0; i < count; i++)
        {
            _parent[i] = i;
            _members[i] = [i];
        }
    }

    public int Find(int i)
    {
        while (_parent[i] != i)
        {
            _parent[i] = _parent[_parent[i]];
            i = _parent[i];
        }

        return i;
    }

    /// <summary>Joins the groups of <paramref name="a"/> and <paramref name="b"/> unless <paramref name="conflict"/> finds a clearly different pair across them.</summary>
    /// <returns><see langword="true"/> when they are (now) in one group; otherwise false, with the conflicting pair.</returns>
    public bool TryUnion(int a, int b, Func<int, int, bool>? conflict, out (int Left, int Right) blocker)
    {
        blocker = default;
        int ra = Find(a), rb = Find(b);
        if (ra == rb)
        {
            return true;
        }

        if (conflict is not null)
        {
            foreach (var x in _members[ra])
            {
                foreach (var y in _members[rb])
                {
                    if (conflict(x, y))
                    {
                        blocker = (Math.Min(x, y), Math.Max(x, y));
                        return false;
                    }
                }
            }
        }

        // The smaller root index stays root: the result does not depend on the order of equal-score edges.
        var (keep, drop) = ra < rb ? (ra, rb) : (rb, ra);
        _parent[drop] = keep;
        _members[keep].AddRange(_members[drop]);
        _members[drop] = [];
        return true;
    }

    /// <summary>The groups, each sorted, ordered by their smallest member.</summary>
    public List<List<int>> Groups()
    {
        var groups = new List<List<int>>();
        for (var i = 0; i < _parent.Length; i++)
        {
            if (Find(i) == i)
            {
                var g = _members[i].ToList();
                g.Sort();
                groups.Add(g);
            }
        }

        groups.Sort((x, y) => x[0].CompareTo(y[0]));
        return groups;
    }
}
