using System.Collections.Frozen;
using System.Reflection;

namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Given-name equivalence by nickname and diminutive (Bill ~ William, Peggy ~ Margaret). The relation is
/// symmetric and many-to-many: a nickname can belong to several formal names.
/// </summary>
/// <remarks>
/// <see cref="Default"/> is the US nickname and diminutive list of github.com/carltonnorthern/nickname-and-diminutive-names-lookup
/// (Apache-2.0; the licence ships in the package's <c>licenses</c> folder), embedded in the assembly.
/// Instances are immutable and thread-safe.
/// </remarks>
public sealed class NicknameTable
{
    private static readonly Lazy<NicknameTable> DefaultTable = new(LoadDefault);
    private readonly FrozenDictionary<string, int[]> _groups;

    /// <summary>Builds a table from groups of equivalent names, e.g. <c>["william", "bill", "will", "billy"]</c>.</summary>
    /// <param name="groups">Each group: a formal name and its nicknames.</param>
    public NicknameTable(IEnumerable<IEnumerable<string>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var map = new Dictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        var id = 0;
        foreach (var group in groups)
        {
            foreach (var name in group)
            {
                var key = TextNormalizer.Letters(name ?? "");
                if (key.Length == 0)
                {
                    continue;
                }

                if (!map.TryGetValue(key, out var set))
                {
                    map[key] = set = [];
                }

                set.Add(id);
            }

            id++;
        }

        _groups = map.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The embedded US nickname table (1,084 groups).</summary>
    public static NicknameTable Default => DefaultTable.Value;

    /// <summary>The number of distinct names in the table.</summary>
    public int Count => _groups.Count;

    /// <summary>Whether two given names are the same name or nicknames of a common formal name.</summary>
    /// <param name="first">A given name.</param>
    /// <param name="second">Another given name.</param>
    /// <returns><see langword="true"/> when they are equivalent.</returns>
    public bool AreEquivalent(string first, string second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var a = TextNormalizer.Letters(first);
        var b = TextNormalizer.Letters(second);
        return a.Length > 0 && (a == b || SharesGroup(GroupsOf(a), GroupsOf(b)));
    }

    /// <summary>The groups of an already normalised name (sorted), empty when unknown.</summary>
    internal int[] GroupsOf(string normalizedName) => _groups.TryGetValue(normalizedName, out var g) ? g : [];

    /// <summary>Whether two sorted group lists intersect.</summary>
    internal static bool SharesGroup(int[] a, int[] b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j])
            {
                return true;
            }

            if (a[i] < b[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return false;
    }

    private static NicknameTable LoadDefault()
    {
        using var stream = typeof(NicknameTable).Assembly.GetManifestResourceStream("HealthRecord.Sdk.Identity.nicknames.csv")
            ?? throw new InvalidOperationException("The embedded nickname table is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var groups = new List<string[]>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                groups.Add(line.Split(','));
            }
        }

        return new NicknameTable(groups);
    }
}
