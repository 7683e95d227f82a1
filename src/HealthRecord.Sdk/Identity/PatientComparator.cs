using System.Globalization;
using F23.StringSimilarity;

namespace HealthRecord.Sdk.Identity;

/// <summary>Compares two <see cref="PatientFeatures"/> field by field into a packed comparison vector (4 bits a field).</summary>
/// <remarks>Stateless after construction; thread-safe.</remarks>
internal sealed class PatientComparator
{
    private static readonly JaroWinkler JaroWinkler = new();

    public static ulong Compare(PatientFeatures a, PatientFeatures b)
    {
        var p = 0UL;
        var (given, family) = CompareNames(a, b);
        p = FieldSpec.Set(p, (int)MatchField.GivenName, given);
        p = FieldSpec.Set(p, (int)MatchField.FamilyName, family);
        p = FieldSpec.Set(p, (int)MatchField.BirthDate, CompareBirthDate(a.BirthDigits, b.BirthDigits));
        p = FieldSpec.Set(p, (int)MatchField.Sex, a.Sex == 0 || b.Sex == 0 ? FieldSpec.Missing : a.Sex == b.Sex ? 0 : 1);
        p = FieldSpec.Set(p, (int)MatchField.AddressLine, CompareAddress(a.Lines, b.Lines, a.LinesCompact, b.LinesCompact));
        p = FieldSpec.Set(p, (int)MatchField.City, CompareCity(a.Cities, b.Cities, a.CitiesCompact, b.CitiesCompact));
        p = FieldSpec.Set(p, (int)MatchField.PostalCode, BestTypo(a.PostalCodes, b.PostalCodes));
        p = FieldSpec.Set(p, (int)MatchField.Phone, BestTypo(a.Phones, b.Phones));
        p = FieldSpec.Set(p, (int)MatchField.Email, BestExact(a.Emails, b.Emails));
        p = FieldSpec.Set(p, (int)MatchField.SocialSecurityNumber, CompareSsn(a.Ssns, b.Ssns));
        p = FieldSpec.Set(p, (int)MatchField.DriversLicense, CompareBySystem(a.DriversLicenses, b.DriversLicenses));
        p = FieldSpec.Set(p, (int)MatchField.LocalIdentifier, CompareBySystem(a.LocalIdentifiers, b.LocalIdentifiers));
        return p;
    }

    private static (int Given, int Family) CompareNames(PatientFeatures a, PatientFeatures b)
    {
        var given = a.Given.Length == 0 || b.Given.Length == 0 ? FieldSpec.Missing : CompareGiven(a, b);
        var family = a.Family.Length == 0 || b.Family.Length == 0 ? FieldSpec.Missing : CompareFamily(a.Family, b.Family);
        if (given >= FieldSpec.GivenJw88 && family >= FieldSpec.FamilyJw88 && a.Given.Length > 0 && b.Given.Length > 0 && a.Family.Length > 0 && b.Family.Length > 0)
        {
            // Given and family names written the wrong way round in one source; a family name of several words
            // ("de la cruz", "slack-smith") written as the given name reads as a given and middle names.
            // Written the wrong way round and mistyped as well: one crossed pair close (JW >= 0.92), the other at least similar
            // (JW >= 0.80); both names graded by the weaker of the two, so the grade is the same whichever record comes first.
            var swappedGiven = SwappedSimilarity(b.Family[0], a);
            var swappedFamily = swappedGiven >= 0.80 ? SwappedSimilarity(a.Family[0], b) : 0;
            if (swappedGiven >= 0.80 && swappedFamily >= 0.80 && Math.Max(swappedGiven, swappedFamily) >= 0.92)
            {
                var weaker = Math.Min(swappedGiven, swappedFamily);
                var swapGiven = weaker >= 0.92 ? FieldSpec.GivenClose : weaker >= 0.88 ? FieldSpec.GivenJw88 : FieldSpec.GivenSimilar;
                var swapFamily = weaker >= 0.92 ? FieldSpec.FamilyClose : weaker >= 0.88 ? FieldSpec.FamilyJw88 : FieldSpec.FamilySimilar;
                return (Math.Min(given, swapGiven), Math.Min(family, swapFamily));
            }
        }

        return (given, family);
    }

    /// <summary>How alike <paramref name="family"/> is to the given name of <paramref name="other"/> (its first word, or all its words run together).</summary>
    private static double SwappedSimilarity(string family, PatientFeatures other)
    {
        var best = Similarity(family, other.Given[0], 0.80);
        return best < 0.92 && other.GivenJoined.Length > other.Given[0].Length ? Math.Max(best, Similarity(family, other.GivenJoined, 0.80)) : best;
    }

    /// <summary>
    /// Given names, graded: exact, nickname, close (Jaro–Winkler ≥ 0.92, or one source's middle name), JW ≥ 0.88, similar
    /// (JW ≥ 0.80, or an initial), different. <c>different</c> is what the twin safeguard reads; the grades above it only
    /// split the alike names more finely, so no pair that was <c>different</c> before became alike.
    /// </summary>
    private static int CompareGiven(PatientFeatures a, PatientFeatures b)
    {
        string x = a.Given[0], y = b.Given[0];
        if (x == y)
        {
            return 0;
        }

        if (NicknameTable.SharesGroup(a.GivenGroups, b.GivenGroups))
        {
            return FieldSpec.GivenNickname;
        }

        var best = Similarity(x, y, 0.80);
        if (best < 0.92 && (a.Given.Length > 1 || b.Given.Length > 1))
        {
            // A given name split by a stray space ("el iza", "t lmothy"), or two given names run together ("maryann").
            best = Math.Max(best, Similarity(a.GivenJoined, b.GivenJoined, 0.80));
        }

        if (best >= 0.92)
        {
            return FieldSpec.GivenClose;
        }

        // A first name recorded as a middle name elsewhere.
        if (Array.IndexOf(a.Given, y, 1) > 0 || Array.IndexOf(b.Given, x, 1) > 0)
        {
            return FieldSpec.GivenClose;
        }

        if (best >= 0.88)
        {
            return FieldSpec.GivenJw88;
        }

        if (best >= 0.80 || (x.Length == 1 || y.Length == 1) && x[0] == y[0])
        {
            return FieldSpec.GivenSimilar;
        }

        return FieldSpec.GivenDifferent;
    }

    /// <summary>
    /// Family names (every name of each side), graded: exact, close (JW ≥ 0.92, or one a prefix of the other: double-barrelled
    /// names), JW ≥ 0.88, at most two edits (names of four letters or more), similar (JW ≥ 0.80), different.
    /// </summary>
    private static int CompareFamily(string[] a, string[] b)
    {
        var best = FieldSpec.FamilyDifferent;
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                if (x == y)
                {
                    return 0;
                }

                var level = FieldSpec.FamilyDifferent;
                var jw = Similarity(x, y, 0.80);
                if (jw >= 0.92 || x.Length >= 4 && y.Length >= 4 && (x.StartsWith(y, StringComparison.Ordinal) || y.StartsWith(x, StringComparison.Ordinal)))
                {
                    // Double-barrelled or married names: "garcia" and "garcialopez".
                    level = FieldSpec.FamilyClose;
                }
                else if (jw >= 0.88)
                {
                    level = FieldSpec.FamilyJw88;
                }
                else if (x.Length >= 4 && y.Length >= 4 && WithinEdits(x, y, 2))
                {
                    level = FieldSpec.FamilyTwoEdits;
                }
                else if (jw >= 0.80)
                {
                    level = FieldSpec.FamilySimilar;
                }

                best = Math.Min(best, level);
            }
        }

        return best;
    }

    /// <summary>
    /// Street lines, graded: exact, close (equal once spaces are ignored, or JW ≥ 0.92), JW ≥ 0.88, the same words in another
    /// order or at most two edits apart (spaces ignored), similar (JW ≥ 0.80), different.
    /// </summary>
    private static int CompareAddress(string[] a, string[] b, string[] compactA, string[] compactB)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return FieldSpec.Missing;
        }

        var best = FieldSpec.AddressDifferent;
        for (var i = 0; i < a.Length; i++)
        {
            var x = a[i];
            for (var j = 0; j < b.Length; j++)
            {
                var y = b[j];
                if (x == y)
                {
                    return 0;
                }

                var level = FieldSpec.AddressDifferent;
                var jw = Similarity(x, y, 0.80);
                string cx = compactA[i], cy = compactB[j];
                if (jw >= 0.92 || cx == cy)
                {
                    level = FieldSpec.AddressClose;
                }
                else if (jw >= 0.88)
                {
                    level = FieldSpec.AddressJw88;
                }
                else if (SameWords(x, y) || WithinEdits(cx, cy, 2))
                {
                    level = FieldSpec.AddressReordered;
                }
                else if (jw >= 0.80)
                {
                    level = FieldSpec.AddressSimilar;
                }

                best = Math.Min(best, level);
            }
        }

        return best;
    }

    /// <summary>Cities, graded: exact (spaces ignored), close (JW ≥ 0.90), similar (JW ≥ 0.80, or at most two edits), different.</summary>
    private static int CompareCity(string[] a, string[] b, string[] compactA, string[] compactB)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return FieldSpec.Missing;
        }

        var best = FieldSpec.CityDifferent;
        for (var i = 0; i < a.Length; i++)
        {
            var x = a[i];
            for (var j = 0; j < b.Length; j++)
            {
                var y = b[j];
                if (x == y)
                {
                    return 0;
                }

                string cx = compactA[i], cy = compactB[j];
                if (cx == cy)
                {
                    return 0;
                }

                var jw = Similarity(x, y, 0.80);
                var level = jw >= 0.90 ? 1 : jw >= 0.80 || WithinEdits(cx, cy, 2) ? 2 : FieldSpec.CityDifferent;
                best = Math.Min(best, level);
            }
        }

        return best;
    }

    /// <summary>The same words in any order (at least two words).</summary>
    private static bool SameWords(string x, string y)
    {
        if (x.Length != y.Length || !x.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        var wx = x.Split(' ');
        var wy = y.Split(' ');
        Array.Sort(wx, StringComparer.Ordinal);
        Array.Sort(wy, StringComparer.Ordinal);
        return wx.AsSpan().SequenceEqual(wy);
    }

    /// <summary>
    /// Whether the optimal-string-alignment distance (edits and adjacent transpositions) is at most <paramref name="edits"/>.
    /// Cheap exact pre-checks first: the lengths, and the shared characters (each edit changes at most one of them).
    /// </summary>
    internal static bool WithinEdits(string x, string y, int edits)
    {
        if (Math.Abs(x.Length - y.Length) > edits || x.Length == 0 || y.Length == 0)
        {
            return false;
        }

        if (SharedCharacters(x, y) < Math.Max(x.Length, y.Length) - edits)
        {
            return false;
        }

        return OsaDistance(x, y) <= edits;
    }

    /// <summary>
    /// The optimal-string-alignment distance (insertions, deletions, substitutions and adjacent transpositions, no substring
    /// edited twice), the same as F23.StringSimilarity's <c>OptimalStringAlignment.Distance</c> without its full
    /// <c>int[n+2, m+2]</c> matrix per call: the recurrence only reads the two rows before the current one, so three rows
    /// (on the stack for the short values compared here) are enough. Linking compares every candidate pair and tens of
    /// thousands of random pairs, so the matrices were one of the largest allocations of a population run.
    /// </summary>
    internal static int OsaDistance(string x, string y)
    {
        if (x == y)
        {
            return 0;
        }

        int n = x.Length, m = y.Length;
        if (n == 0 || m == 0)
        {
            return Math.Max(n, m);
        }

        const int StackLimit = 256;
        var width = m + 1;
        int[]? rented = null;
        Span<int> buffer = 3 * width <= StackLimit ? stackalloc int[3 * width] : (rented = System.Buffers.ArrayPool<int>.Shared.Rent(3 * width));
        try
        {
            // Rows i-2, i-1 and i, rotated.
            var before = buffer.Slice(0, width);
            var previous = buffer.Slice(width, width);
            var current = buffer.Slice(2 * width, width);
            for (var j = 0; j <= m; j++)
            {
                previous[j] = j;
            }

            for (var i = 1; i <= n; i++)
            {
                current[0] = i;
                var xi = x[i - 1];
                for (var j = 1; j <= m; j++)
                {
                    var cost = xi == y[j - 1] ? 0 : 1;
                    var d = Math.Min(previous[j - 1] + cost, Math.Min(current[j - 1] + 1, previous[j] + 1));
                    if (i > 1 && j > 1 && xi == y[j - 2] && x[i - 2] == y[j - 1])
                    {
                        d = Math.Min(d, before[j - 2] + cost);
                    }

                    current[j] = d;
                }

                var oldest = before;
                before = previous;
                previous = current;
                current = oldest;
            }

            return previous[m];
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    private static int SharedCharacters(string x, string y)
    {
        Span<byte> counts = stackalloc byte[128];
        counts.Clear();
        foreach (var c in x)
        {
            if (c >= 128)
            {
                return int.MaxValue;
            }

            if (counts[c] < byte.MaxValue)
            {
                counts[c]++;
            }
        }

        var shared = 0;
        foreach (var c in y)
        {
            if (c >= 128)
            {
                return int.MaxValue;
            }

            if (counts[c] > 0)
            {
                counts[c]--;
                shared++;
            }
        }

        return shared;
    }

    internal static int CompareBirthDate(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return FieldSpec.Missing;
        }

        if (a.Length != 8 || b.Length != 8)
        {
            // Partial dates: compare at the shared precision; at best "close".
            var n = Math.Min(a.Length, b.Length);
            return a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n)) ? 3 : YearsApart(a, b);
        }

        if (a == b)
        {
            return 0;
        }

        var distance = OsaDistance(a, b);
        var swapped = a.AsSpan(0, 4).SequenceEqual(b.AsSpan(0, 4)) && a.AsSpan(4, 2).SequenceEqual(b.AsSpan(6, 2)) && a.AsSpan(6, 2).SequenceEqual(b.AsSpan(4, 2));
        if ((distance <= 1 || swapped) && a.AsSpan(0, 4).SequenceEqual(b.AsSpan(0, 4)) && DaysApart(a, b) is >= 3 and <= 240)
        {
            // A keying error inside one year that no two siblings show: too far apart for twins, too close for siblings.
            return FieldSpec.BirthDateSameYearTypo;
        }

        if (distance <= 1)
        {
            return 1;
        }

        if (swapped)
        {
            return 2;
        }

        return distance <= 2 || a.AsSpan(0, 6).SequenceEqual(b.AsSpan(0, 6)) ? 3 : YearsApart(a, b);
    }

    /// <summary>Days between two <c>yyyymmdd</c> dates; -1 when either is not a calendar date.</summary>
    private static int DaysApart(string a, string b) =>
        DateOnly.TryParseExact(a, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var x)
        && DateOnly.TryParseExact(b, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var y)
            ? Math.Abs(x.DayNumber - y.DayNumber)
            : -1;

    /// <summary>Different dates: a generation apart (ten years or more) or not.</summary>
    private static int YearsApart(string a, string b)
    {
        var ya = int.Parse(a.AsSpan(0, 4), System.Globalization.CultureInfo.InvariantCulture);
        var yb = int.Parse(b.AsSpan(0, 4), System.Globalization.CultureInfo.InvariantCulture);
        return Math.Abs(ya - yb) >= 10 ? FieldSpec.BirthDateFar : FieldSpec.BirthDateDifferent;
    }

    private static int BestTypo(string[] a, string[] b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return FieldSpec.Missing;
        }

        var best = 2;
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                if (x == y)
                {
                    return 0;
                }

                if (x.Length == y.Length && OsaDistance(x, y) <= 1)
                {
                    best = 1;
                }
            }
        }

        return best;
    }

    /// <summary>
    /// SSNs: exact, two adjacent digits transposed, one digit different, near (less than 100 apart), or different. Numbers
    /// issued together (twins, siblings enumerated at once) are consecutive or close, so <c>near</c> is kept apart from the
    /// keying errors that two such numbers never show: a transposition, or one wrong digit that puts them 100 or more apart.
    /// </summary>
    internal static int CompareSsn(string[] a, string[] b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return FieldSpec.Missing;
        }

        var best = FieldSpec.SsnDifferent;
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                if (x == y)
                {
                    return 0;
                }

                if (x.Length == y.Length)
                {
                    best = Math.Min(best, SsnTypo(x, y));
                }
                else if (Math.Abs(x.Length - y.Length) == 1 && OneDigitDropped(x.Length > y.Length ? x : y, x.Length > y.Length ? y : x))
                {
                    // A digit dropped or added: a keying error (two issued numbers have the same length).
                    best = Math.Min(best, FieldSpec.SsnOneDigit);
                }
            }
        }

        return best;
    }

    /// <summary>Whether <paramref name="shorter"/> is <paramref name="longer"/> with one character left out.</summary>
    private static bool OneDigitDropped(string longer, string shorter)
    {
        var i = 0;
        while (i < shorter.Length && longer[i] == shorter[i])
        {
            i++;
        }

        return longer.AsSpan(i + 1).SequenceEqual(shorter.AsSpan(i));
    }

    private static int SsnTypo(string x, string y)
    {
        int first = -1, second = -1, count = 0;
        for (var i = 0; i < x.Length && count <= 2; i++)
        {
            if (x[i] != y[i])
            {
                (first, second) = ++count == 1 ? (i, -1) : (first, i);
            }
        }

        if (count == 2 && second == first + 1 && x[first] == y[second] && x[second] == y[first])
        {
            return FieldSpec.SsnTransposed;
        }

        if (x.Length <= 18 && Math.Abs(long.Parse(x, CultureInfo.InvariantCulture) - long.Parse(y, CultureInfo.InvariantCulture)) < 100)
        {
            return FieldSpec.SsnNear;
        }

        return count == 1 ? FieldSpec.SsnOneDigit : FieldSpec.SsnDifferent;
    }

    private static int BestExact(string[] a, string[] b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return FieldSpec.Missing;
        }

        foreach (var x in a)
        {
            if (Array.IndexOf(b, x) >= 0)
            {
                return 0;
            }
        }

        return 1;
    }

    /// <summary>Identifiers as <c>system|value</c>: any shared system with an equal value agrees; shared systems that all differ disagree.</summary>
    private static int CompareBySystem(string[] a, string[] b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return FieldSpec.Missing;
        }

        var level = FieldSpec.Missing;
        foreach (var x in a)
        {
            var bar = x.IndexOf('|', StringComparison.Ordinal);
            foreach (var y in b)
            {
                if (x == y)
                {
                    return 0;
                }

                if (y.Length > bar && y[bar] == '|' && x.AsSpan(0, bar).SequenceEqual(y.AsSpan(0, bar)))
                {
                    level = 1;
                }
            }
        }

        return level;
    }

    /// <summary>
    /// Jaro–Winkler similarity (F23.StringSimilarity), or 0 when it cannot reach <paramref name="floor"/>: an upper bound from
    /// the shared characters and the common prefix skips the full computation for clearly different strings.
    /// </summary>
    internal static double Similarity(string x, string y, double floor)
    {
        if (x == y)
        {
            return 1.0;
        }

        // The bound is computed in another order than the comparator's own arithmetic: a small margin keeps
        // a pair whose similarity is exactly the floor from being cut by rounding.
        return x.Length == 0 || y.Length == 0 || UpperBound(x, y) < floor - 1e-9 ? 0 : JaroWinkler.Similarity(x, y);
    }

    /// <summary>An upper bound of Jaro–Winkler: Jaro matches are at most the shared characters, transpositions only lower it.</summary>
    private static double UpperBound(string x, string y)
    {
        Span<byte> counts = stackalloc byte[128];
        counts.Clear();
        foreach (var c in x)
        {
            if (c >= 128)
            {
                return 1;
            }

            if (counts[c] < byte.MaxValue)
            {
                counts[c]++;
            }
        }

        var shared = 0;
        foreach (var c in y)
        {
            if (c >= 128)
            {
                return 1;
            }

            if (counts[c] > 0)
            {
                counts[c]--;
                shared++;
            }
        }

        if (shared == 0)
        {
            return 0;
        }

        var jaro = ((double)shared / x.Length + (double)shared / y.Length + 1) / 3;
        // F23 (like java-string-similarity) boosts by the whole common prefix, at min(0.1, 1/longer length) a character.
        var prefix = 0;
        while (prefix < x.Length && prefix < y.Length && x[prefix] == y[prefix])
        {
            prefix++;
        }

        return jaro + (Math.Min(0.1, 1.0 / Math.Max(x.Length, y.Length)) * prefix * (1 - jaro));
    }
}
