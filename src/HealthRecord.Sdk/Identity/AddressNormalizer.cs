using System.Collections.Frozen;
using System.Text;

namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Normalises street lines: USPS/Australia Post suffix and direction abbreviations (Street → st, Avenue → ave),
/// unit designators (Apt, Unit, Suite, #) → <c>unit</c>, and a suffix glued to the street name (pridhamstreet → pridham st).
/// </summary>
internal static class AddressNormalizer
{
    private static readonly FrozenDictionary<string, string> Abbreviations = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["street"] = "st", ["str"] = "st", ["avenue"] = "ave", ["av"] = "ave", ["avn"] = "ave", ["road"] = "rd",
        ["drive"] = "dr", ["drv"] = "dr", ["court"] = "ct", ["crt"] = "ct", ["place"] = "pl", ["lane"] = "ln",
        ["boulevard"] = "blvd", ["boul"] = "blvd", ["crescent"] = "cres", ["cresent"] = "cres", ["cr"] = "cres",
        ["circuit"] = "cct", ["circle"] = "cir", ["terrace"] = "tce", ["ter"] = "tce", ["terr"] = "tce",
        ["highway"] = "hwy", ["parade"] = "pde", ["close"] = "cl", ["square"] = "sq", ["parkway"] = "pkwy",
        ["pky"] = "pkwy", ["expressway"] = "expy", ["freeway"] = "fwy", ["grove"] = "gr", ["heights"] = "hts",
        ["mount"] = "mt", ["mountain"] = "mtn", ["point"] = "pt", ["trail"] = "trl", ["turnpike"] = "tpke",
        ["esplanade"] = "esp", ["crossing"] = "xing", ["junction"] = "jct", ["center"] = "ctr", ["centre"] = "ctr",
        ["north"] = "n", ["south"] = "s", ["east"] = "e", ["west"] = "w", ["northeast"] = "ne", ["northwest"] = "nw",
        ["southeast"] = "se", ["southwest"] = "sw",
        ["apartment"] = "unit", ["apt"] = "unit", ["suite"] = "unit", ["ste"] = "unit", ["flat"] = "unit",
        ["room"] = "unit", ["rm"] = "unit", ["unit"] = "unit", ["no"] = "unit", ["number"] = "unit",
        ["building"] = "bldg", ["floor"] = "fl", ["fl"] = "fl", ["post"] = "po", ["box"] = "box", ["pobox"] = "po box",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly string[] GluedSuffixes = ["street", "avenue", "road", "drive", "court", "place", "crescent", "circuit", "terrace", "close", "parade", "lane"];

    /// <summary>The normalised line: words, abbreviations applied, units written <c>unit N</c>.</summary>
    public static string Normalize(string line)
    {
        // "#4" and "apt4" become "unit 4": a hash or a designator glued to its number is split first.
        var words = TextNormalizer.Words(line.Replace("#", " unit ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var sb = new StringBuilder(line.Length);
        foreach (var word in words)
        {
            var w = word;
            string? tail = null;
            if (Abbreviations.TryGetValue(w, out var abbreviation))
            {
                w = abbreviation;
            }
            else
            {
                foreach (var suffix in GluedSuffixes)
                {
                    if (w.Length > suffix.Length + 2 && w.EndsWith(suffix, StringComparison.Ordinal))
                    {
                        tail = Abbreviations[suffix];
                        w = w[..^suffix.Length];
                        break;
                    }
                }

                w = SplitGluedUnit(w);
            }

            if (w == "unit" && sb.Length >= 5 && sb.ToString(sb.Length - 5, 5) == " unit")
            {
                continue;
            }

            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(w);
            if (tail is not null)
            {
                sb.Append(' ').Append(tail);
            }
        }

        return sb.ToString();
    }

    private static string SplitGluedUnit(string w)
    {
        foreach (var designator in (ReadOnlySpan<string>)["apt", "unit", "ste"])
        {
            if (w.Length > designator.Length && w.StartsWith(designator, StringComparison.Ordinal) && char.IsAsciiDigit(w[designator.Length]))
            {
                return "unit " + w[designator.Length..];
            }
        }

        return w;
    }
}
