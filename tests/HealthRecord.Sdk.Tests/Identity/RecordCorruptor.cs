using System.Globalization;
using System.Text;

namespace HealthRecord.Sdk.Tests.Identity;

/// <summary>
/// Writes a duplicate of a person record with a chosen number of errors, the kinds that pile up when one person is
/// keyed, scanned or dictated again somewhere else: keyboard typos (a neighbouring key, a letter dropped, doubled or two
/// swapped), OCR confusions (<c>rn</c>/<c>m</c>, <c>cl</c>/<c>d</c>, <c>0</c>/<c>8</c>…), phonetic respellings
/// (<c>ph</c>/<c>f</c>, <c>ie</c>/<c>y</c>, doubled consonants…), a missing value, words run together or split, day and month
/// of the birth date swapped, a birth year one off, given and family names written the wrong way round.
/// </summary>
/// <remarks>
/// Written for this project (no code from the FEBRL generator). Deterministic: one seeded <see cref="Random"/> per record,
/// derived from the seed and the record id, so a record's duplicate does not depend on the other records or their order.
/// A value is never replaced by another person's value: every error leaves a trace of the original, which is what a
/// comparator can be asked to see through (a given name replaced by an unrelated one is the twin shape, which goes to review
/// by design).
/// </remarks>
internal static class RecordCorruptor
{
    /// <summary>Fields that can be modified, with their relative chance of being picked.</summary>
    private static readonly (string Field, int Weight)[] Fields =
    [
        ("given_name", 18), ("surname", 18), ("street_number", 5), ("address_1", 12), ("address_2", 5), ("suburb", 10),
        ("postcode", 8), ("date_of_birth", 14), ("soc_sec_id", 10),
    ];

    /// <summary>At most this many errors in one field.</summary>
    public const int MaximumPerField = 2;

    private static readonly string[] KeyboardRows = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890"];

    private static readonly (string From, string To)[] Ocr =
    [
        ("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("w", "vv"), ("vv", "w"), ("h", "b"), ("b", "h"), ("e", "c"), ("c", "e"),
        ("l", "i"), ("i", "l"), ("u", "v"), ("v", "u"), ("n", "h"), ("g", "q"), ("a", "o"), ("o", "a"), ("f", "t"), ("t", "f"),
    ];

    private static readonly (char From, char To)[] OcrDigits = [('0', '8'), ('8', '0'), ('1', '7'), ('7', '1'), ('3', '8'), ('5', '6'), ('6', '5'), ('6', '8'), ('9', '4')];

    private static readonly (string From, string To)[] Phonetic =
    [
        ("ph", "f"), ("f", "ph"), ("ck", "k"), ("k", "ck"), ("c", "k"), ("ie", "y"), ("y", "ie"), ("ei", "ie"), ("ie", "ei"),
        ("ou", "u"), ("th", "t"), ("sch", "sh"), ("z", "s"), ("s", "z"), ("ae", "e"), ("kn", "n"), ("wr", "r"), ("gh", "g"),
        ("x", "ks"), ("ks", "x"), ("qu", "kw"), ("ee", "i"), ("ea", "ee"), ("ey", "y"), ("y", "i"), ("i", "y"), ("ll", "l"),
        ("tt", "t"), ("nn", "n"), ("ss", "s"), ("mm", "m"), ("l", "ll"), ("t", "tt"), ("n", "nn"), ("s", "ss"), ("er", "a"),
        ("a", "er"), ("or", "er"), ("en", "on"), ("an", "en"), ("son", "sen"), ("sen", "son"), ("mac", "mc"), ("mc", "mac"),
    ];

    /// <summary>
    /// A duplicate of <paramref name="original"/> with exactly <paramref name="errors"/> errors (fewer only when the record
    /// runs out of values that can take one), its id <c>rec-N-dup-0</c>.
    /// </summary>
    public static Dictionary<string, string> Corrupt(IReadOnlyDictionary<string, string> original, int errors, int seed)
    {
        var id = original["rec_id"];
        var random = new Random(seed ^ StableHash(id));
        var row = new Dictionary<string, string>(original, StringComparer.Ordinal)
        {
            ["rec_id"] = id.Replace("-org", "-dup-0", StringComparison.Ordinal),
        };
        var perField = Fields.ToDictionary(f => f.Field, _ => 0, StringComparer.Ordinal);
        var applied = 0;
        for (var attempt = 0; applied < errors && attempt < errors * 20; attempt++)
        {
            // One error in 25 is the names written the wrong way round (counted against both name fields).
            if (random.Next(25) == 0)
            {
                if (perField["given_name"] < MaximumPerField && perField["surname"] < MaximumPerField && row["given_name"].Length > 0 && row["surname"].Length > 0)
                {
                    (row["given_name"], row["surname"]) = (row["surname"], row["given_name"]);
                    perField["given_name"]++;
                    perField["surname"]++;
                    applied++;
                }

                continue;
            }

            var field = Pick(random);
            if (perField[field] >= MaximumPerField || row[field].Length == 0)
            {
                continue;
            }

            var changed = Modify(field, row[field], random);
            if (changed == row[field])
            {
                continue;
            }

            row[field] = changed;
            perField[field]++;
            applied++;
        }

        return row;
    }

    private static string Pick(Random random)
    {
        var total = Fields.Sum(f => f.Weight);
        var roll = random.Next(total);
        foreach (var (field, weight) in Fields)
        {
            if ((roll -= weight) < 0)
            {
                return field;
            }
        }

        return Fields[^1].Field;
    }

    private static string Modify(string field, string value, Random random)
    {
        // A value left out: one error in ten.
        if (random.Next(10) == 0)
        {
            return "";
        }

        switch (field)
        {
            case "date_of_birth":
                return ModifyDate(value, random);
            case "postcode" or "soc_sec_id" or "street_number":
                return random.Next(4) switch
                {
                    0 => Substitute(value, OcrDigits, random),
                    _ => Typo(value, random),
                };
            default:
                return random.Next(20) switch
                {
                    < 10 => Typo(value, random),
                    < 14 => Rewrite(value, Ocr, random),
                    < 19 => Rewrite(value, Phonetic, random),
                    _ => Spacing(value, random),
                };
        }
    }

    private static string ModifyDate(string value, Random random)
    {
        if (value.Length != 8)
        {
            return Typo(value, random);
        }

        switch (random.Next(10))
        {
            case < 2:
                // Day and month swapped (American and European order).
                return value[..4] + value[6..8] + value[4..6];
            case < 4:
                var year = int.Parse(value[..4], CultureInfo.InvariantCulture) + (random.Next(2) == 0 ? -1 : 1);
                return year.ToString("D4", CultureInfo.InvariantCulture) + value[4..];
            case < 5:
                return Substitute(value, OcrDigits, random);
            default:
                return Typo(value, random);
        }
    }

    /// <summary>A keyboard slip at a random place: a neighbouring key, a letter dropped, a letter doubled or typed twice, or two letters swapped.</summary>
    internal static string Typo(string value, Random random)
    {
        var i = random.Next(value.Length);
        var kind = random.Next(4);
        var sb = new StringBuilder(value);
        switch (kind)
        {
            case 0:
                sb[i] = Neighbour(value[i], random);
                break;
            case 1:
                if (value.Length < 2)
                {
                    goto case 0;
                }

                sb.Remove(i, 1);
                break;
            case 2:
                sb.Insert(i, random.Next(2) == 0 ? value[i] : Neighbour(value[i], random));
                break;
            default:
                if (value.Length < 2)
                {
                    goto case 0;
                }

                var j = i == value.Length - 1 ? i - 1 : i;
                (sb[j], sb[j + 1]) = (sb[j + 1], sb[j]);
                break;
        }

        return sb.ToString();
    }

    private static char Neighbour(char c, Random random)
    {
        foreach (var row in KeyboardRows)
        {
            var at = row.IndexOf(c, StringComparison.Ordinal);
            if (at >= 0)
            {
                var options = new List<char>();
                if (at > 0)
                {
                    options.Add(row[at - 1]);
                }

                if (at < row.Length - 1)
                {
                    options.Add(row[at + 1]);
                }

                return options[random.Next(options.Count)];
            }
        }

        return c == ' ' ? 'n' : c;
    }

    /// <summary>One of the <paramref name="rules"/> that applies, at one of the places it applies; a typo when none does.</summary>
    private static string Rewrite(string value, (string From, string To)[] rules, Random random)
    {
        var places = new List<(int At, string From, string To)>();
        foreach (var (from, to) in rules)
        {
            for (var at = value.IndexOf(from, StringComparison.Ordinal); at >= 0; at = value.IndexOf(from, at + 1, StringComparison.Ordinal))
            {
                places.Add((at, from, to));
            }
        }

        if (places.Count == 0)
        {
            return Typo(value, random);
        }

        var (i, f, t) = places[random.Next(places.Count)];
        return string.Concat(value.AsSpan(0, i), t, value.AsSpan(i + f.Length));
    }

    private static string Substitute(string value, (char From, char To)[] rules, Random random) =>
        Rewrite(value, rules.Select(r => (r.From.ToString(), r.To.ToString())).ToArray(), random);

    /// <summary>Two words run together, or one word split.</summary>
    private static string Spacing(string value, Random random)
    {
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0)
        {
            return value.Remove(space, 1);
        }

        return value.Length < 4 ? Typo(value, random) : value.Insert(1 + random.Next(value.Length - 2), " ");
    }

    /// <summary>FNV-1a over the id: the same on every run and platform (string.GetHashCode is randomised per process).</summary>
    private static int StableHash(string s)
    {
        var hash = 2166136261u;
        foreach (var c in s)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)hash;
    }
}
