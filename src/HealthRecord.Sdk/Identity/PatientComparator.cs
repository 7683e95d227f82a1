using System.Globalization;
using F23.StringSimilarity;

namespace HealthRecord.Sdk.Identity;

/// <summary>Compares two <see cref="PatientFeatures"/> field by field into a packed comparison vector (4 bits a field).</summary>
/// <remarks>Stateless after construction; thread-safe.</remarks>
internal sealed class PatientComparator
{
    private static readonly JaroWinkler JaroWinkler = new();
    private static readonly OptimalStringAlignment EditDistance = new();

    public static ulong Compare(PatientFeatures a, PatientFeatures b)
    {
        var p = 0UL;
        var (given, family) = CompareNames(a, b);
        p = FieldSpec.Set(p, (int)MatchField.GivenName, given);
        p = FieldSpec.Set(p, (int)MatchField.FamilyName, family);
        p = FieldSpec.Set(p, (int)MatchField.BirthDate, CompareBirthDate(a.BirthDigits, b.BirthDigits));
        p = FieldSpec.Set(p, (int)MatchField.Sex, a.Sex == 0 || b.Sex == 0 ? FieldSpec.Missing : a.Sex == b.Sex ? 0 : 1);
        p = FieldSpec.Set(p, (int)MatchField.AddressLine, BestSimilarity(a.Lines, b.Lines, 0.92, 0.80));
        p = FieldSpec.Set(p, (int)MatchField.City, BestSimilarity(a.Cities, b.Cities, 0.90, 2.0) switch { 2 => 1, 3 => 2, var l => l });
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
        if (given >= 3 && family >= 2 && a.Given.Length > 0 && b.Given.Length > 0 && a.Family.Length > 0 && b.Family.Length > 0)
        {
            // Given and family names written the wrong way round in one source; a family name of several words
            // ("de la cruz", "slack-smith") written as the given name reads as a given and middle names.
            var swappedGiven = SwappedSimilarity(b.Family[0], a);
            var swappedFamily = swappedGiven >= 0.92 ? SwappedSimilarity(a.Family[0], b) : 0;
            if (swappedGiven >= 0.92 && swappedFamily >= 0.92)
            {
                return (2, 1);
            }
        }

        return (given, family);
    }

    /// <summary>How alike <paramref name="family"/> is to the given name of <paramref name="other"/> (its first word, or all its words run together).</summary>
    private static double SwappedSimilarity(string family, PatientFeatures other)
    {
        var best = Similarity(family, other.Given[0], 0.92);
        return best < 0.92 && other.GivenJoined.Length > other.Given[0].Length ? Math.Max(best, Similarity(family, other.GivenJoined, 0.92)) : best;
    }

    private static int CompareGiven(PatientFeatures a, PatientFeatures b)
    {
        string x = a.Given[0], y = b.Given[0];
        if (x == y)
        {
            return 0;
        }

        if (NicknameTable.SharesGroup(a.GivenGroups, b.GivenGroups))
        {
            return 1;
        }

        var best = Similarity(x, y, 0.80);
        if (best >= 0.92)
        {
            return 2;
        }

        // A first name recorded as a middle name elsewhere.
        if (Array.IndexOf(a.Given, y, 1) > 0 || Array.IndexOf(b.Given, x, 1) > 0)
        {
            return 2;
        }

        if (best >= 0.80 || (x.Length == 1 || y.Length == 1) && x[0] == y[0])
        {
            return 3;
        }

        return FieldSpec.GivenDifferent;
    }

    private static int CompareFamily(string[] a, string[] b)
    {
        var best = 0.0;
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                if (x == y)
                {
                    return 0;
                }

                best = Math.Max(best, Similarity(x, y, 0.80));
                if (x.Length >= 4 && y.Length >= 4 && (x.StartsWith(y, StringComparison.Ordinal) || y.StartsWith(x, StringComparison.Ordinal)))
                {
                    // Double-barrelled or married names: "garcia" and "garcialopez".
                    best = Math.Max(best, 0.92);
                }
            }
        }

        return best >= 0.92 ? 1 : best >= 0.80 ? 2 : 3;
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

        var distance = EditDistance.Distance(a, b);
        if (distance <= 1)
        {
            return 1;
        }

        if (a.AsSpan(0, 4).SequenceEqual(b.AsSpan(0, 4)) && a.AsSpan(4, 2).SequenceEqual(b.AsSpan(6, 2)) && a.AsSpan(6, 2).SequenceEqual(b.AsSpan(4, 2)))
        {
            return 2;
        }

        return distance <= 2 || a.AsSpan(0, 6).SequenceEqual(b.AsSpan(0, 6)) ? 3 : YearsApart(a, b);
    }

    /// <summary>Different dates: a generation apart (ten years or more) or not.</summary>
    private static int YearsApart(string a, string b)
    {
        var ya = int.Parse(a.AsSpan(0, 4), System.Globalization.CultureInfo.InvariantCulture);
        var yb = int.Parse(b.AsSpan(0, 4), System.Globalization.CultureInfo.InvariantCulture);
        return Math.Abs(ya - yb) >= 10 ? FieldSpec.BirthDateFar : FieldSpec.BirthDateDifferent;
    }

    private static int BestSimilarity(string[] a, string[] b, double close, double similar)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return FieldSpec.Missing;
        }

        var best = 0.0;
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                if (x == y)
                {
                    return 0;
                }

                best = Math.Max(best, Similarity(x, y, Math.Min(close, similar)));
            }
        }

        return best >= close ? 1 : best >= similar ? 2 : 3;
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

                if (x.Length == y.Length && EditDistance.Distance(x, y) <= 1)
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
            }
        }

        return best;
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
