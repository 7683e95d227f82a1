using System.Globalization;

namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Chooses the pairs worth comparing: two records are compared when they share at least one blocking key
/// (phonetic surname + birth year, birth date, postcode + initial, phonetic given + family name, house number + street, an identifier, a phone, an e-mail).
/// </summary>
internal static class CandidateBlocker
{
    /// <summary>The blocking keys, by kind (the kind names appear in warnings; values never do).</summary>
    internal static IEnumerable<(string Kind, string Value)> KeysOf(PatientFeatures f)
    {
        var year = f.BirthDigits.Length >= 4 ? f.BirthDigits[..4] : "";
        foreach (var family in f.Family)
        {
            if (year.Length > 0)
            {
                yield return ("soundex(family)+birth year", PhoneticKeys.Soundex(family) + year);
            }

            if (f.Given.Length > 0)
            {
                // In either order, so given and family names written the wrong way round share the key.
                string g = PhoneticKeys.Nysiis(f.Given[0]), n = PhoneticKeys.Nysiis(family);
                yield return ("nysiis(given)+nysiis(family)", string.CompareOrdinal(g, n) <= 0 ? g + "|" + n : n + "|" + g);
            }
        }

        if (f.BirthDigits.Length == 8)
        {
            yield return ("birth date", f.BirthDigits);
            var month = int.Parse(f.BirthDigits.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture);
            var day = int.Parse(f.BirthDigits.AsSpan(6, 2), NumberStyles.None, CultureInfo.InvariantCulture);
            if (day is >= 1 and <= 12 && day != month)
            {
                // Day and month swapped in one source lands in the same block.
                yield return ("birth date", string.Concat(year, f.BirthDigits.AsSpan(6, 2), f.BirthDigits.AsSpan(4, 2)));
            }
        }

        foreach (var postcode in f.PostalCodes)
        {
            // The initial of the given name and of the family name: names written the wrong way round, or one of them lost.
            if (f.Given.Length > 0)
            {
                yield return ("postcode+initial", postcode + f.Given[0][0]);
            }

            if (f.Family.Length > 0)
            {
                yield return ("postcode+initial", postcode + f.Family[0][0]);
            }
        }

        foreach (var line in f.Lines)
        {
            // House number + first street word: same home, whatever happened to the names and dates.
            var words = line.Split(' ');
            if (words.Length >= 2 && words[0].Length > 0 && char.IsAsciiDigit(words[0][0]))
            {
                yield return ("house number+street", words[0] + " " + words[1]);
            }

            // The street without its number, in one postcode: a mistyped or missing house number.
            var street = words.Length >= 2 && words[0].Length > 0 && char.IsAsciiDigit(words[0][0]) ? words[1] : words[0];
            if (street.Length >= 3 && !char.IsAsciiDigit(street[0]))
            {
                foreach (var postcode in f.PostalCodes)
                {
                    yield return ("street+postcode", street + " " + postcode);
                }
            }
        }

        foreach (var ssn in f.Ssns)
        {
            yield return ("identifier", "ssn|" + ssn);
            if (ssn.Length >= 7)
            {
                // The number and the number with each digit left out in turn (a symmetric deletion neighbourhood): two numbers
                // one keying error apart (a digit wrong, dropped, added, or two adjacent digits swapped) share one of these keys.
                yield return ("identifier one keying error apart", ssn);
                for (var i = 0; i < ssn.Length; i++)
                {
                    yield return ("identifier one keying error apart", string.Concat(ssn.AsSpan(0, i), ssn.AsSpan(i + 1)));
                }
            }
        }

        foreach (var id in f.DriversLicenses.Concat(f.LocalIdentifiers))
        {
            yield return ("identifier", id);
        }

        foreach (var phone in f.Phones)
        {
            yield return ("phone", phone);
        }

        foreach (var email in f.Emails)
        {
            yield return ("email", email);
        }
    }

    /// <summary>The candidate pairs as <c>(i &lt;&lt; 32) | j</c> with i &lt; j, sorted.</summary>
    public static long[] Pairs(IReadOnlyList<PatientFeatures> features, int maximumBlockSize, List<string> warnings)
    {
        var blocks = new Dictionary<(string Kind, string Value), List<int>>();
        for (var i = 0; i < features.Count; i++)
        {
            foreach (var key in KeysOf(features[i]).Distinct())
            {
                if (!blocks.TryGetValue(key, out var members))
                {
                    blocks[key] = members = [];
                }

                members.Add(i);
            }
        }

        var pairs = new HashSet<long>();
        var oversized = new SortedDictionary<string, (int Blocks, int Largest)>(StringComparer.Ordinal);
        foreach (var ((kind, _), members) in blocks)
        {
            if (members.Count < 2)
            {
                continue;
            }

            if (members.Count <= maximumBlockSize)
            {
                for (var a = 0; a < members.Count; a++)
                {
                    for (var b = a + 1; b < members.Count; b++)
                    {
                        pairs.Add(Pack(members[a], members[b]));
                    }
                }

                continue;
            }

            // Too large for all pairs: sorted neighbourhood inside the block, so no record is left uncompared.
            oversized[kind] = oversized.TryGetValue(kind, out var o) ? (o.Blocks + 1, Math.Max(o.Largest, members.Count)) : (1, members.Count);
            var sorted = members.OrderBy(m => features[m].Family.FirstOrDefault() ?? "", StringComparer.Ordinal)
                .ThenBy(m => features[m].Given.FirstOrDefault() ?? "", StringComparer.Ordinal)
                .ThenBy(m => features[m].BirthDigits, StringComparer.Ordinal)
                .ThenBy(m => m)
                .ToArray();
            for (var a = 0; a < sorted.Length; a++)
            {
                for (var b = a + 1; b < sorted.Length && b <= a + maximumBlockSize; b++)
                {
                    pairs.Add(Pack(sorted[a], sorted[b]));
                }
            }
        }

        foreach (var (kind, (count, largest)) in oversized)
        {
            warnings.Add($"Blocking on {kind}: {count} block(s) larger than MaximumBlockSize (largest {largest} records) were compared by sorted neighbourhood (each record with its {maximumBlockSize} nearest by name and birth date) instead of all pairs.");
        }

        var result = pairs.ToArray();
        Array.Sort(result);
        return result;
    }

    public static long Pack(int a, int b) => a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;

    public static (int Left, int Right) Unpack(long pair) => ((int)(pair >> 32), (int)(pair & 0xFFFFFFFF));
}
