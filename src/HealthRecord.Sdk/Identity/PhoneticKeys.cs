using System.Text;

namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Phonetic keys for names, used to block candidate pairs so that spelling variants
/// (Smith/Smyth, Catherine/Kathryn) land in the same block.
/// </summary>
/// <remarks>Pure functions; thread-safe. Input is folded to ASCII letters first; other characters are ignored.</remarks>
public static class PhoneticKeys
{
    private const string SoundexCodes = "01230120022455012623010202"; // a..z

    /// <summary>American Soundex (letter + three digits), e.g. <c>Robert</c> and <c>Rupert</c> give <c>R163</c>.</summary>
    /// <param name="name">A name.</param>
    /// <returns>The key, or an empty string when the name has no letters.</returns>
    public static string Soundex(string? name)
    {
        var letters = Letters(name);
        if (letters.Length == 0)
        {
            return "";
        }

        Span<char> key = ['0', '0', '0', '0'];
        key[0] = char.ToUpperInvariant(letters[0]);
        var n = 1;
        var last = SoundexCodes[letters[0] - 'a'];
        for (var i = 1; i < letters.Length && n < 4; i++)
        {
            var c = letters[i];
            var code = SoundexCodes[c - 'a'];
            if (c is 'h' or 'w')
            {
                // H and W do not separate letters with the same code.
                continue;
            }

            if (code != '0' && code != last)
            {
                key[n++] = code;
            }

            last = code;
        }

        return new string(key);
    }

    /// <summary>
    /// NYSIIS (New York State Identification and Intelligence System) key, truncated to six letters,
    /// e.g. <c>Macintosh</c> gives <c>MCANT</c>.
    /// </summary>
    /// <param name="name">A name.</param>
    /// <returns>The key, or an empty string when the name has no letters.</returns>
    public static string Nysiis(string? name)
    {
        var s = Letters(name).ToUpperInvariant();
        if (s.Length == 0)
        {
            return "";
        }

        s = ReplacePrefix(s);
        s = ReplaceSuffix(s);
        var key = new StringBuilder(s.Length);
        key.Append(s[0]);
        var chars = s.ToCharArray();
        for (var i = 1; i < chars.Length; i++)
        {
            var c = chars[i];
            string add;
            if (c == 'E' && i + 1 < chars.Length && chars[i + 1] == 'V')
            {
                chars[i + 1] = 'F';
                add = "A";
            }
            else if (IsVowel(c))
            {
                add = "A";
            }
            else if (c == 'Q')
            {
                add = "G";
            }
            else if (c == 'Z')
            {
                add = "S";
            }
            else if (c == 'M')
            {
                add = "N";
            }
            else if (c == 'K')
            {
                add = i + 1 < chars.Length && chars[i + 1] == 'N' ? "N" : "C";
            }
            else if (c == 'S' && i + 2 < chars.Length && chars[i + 1] == 'C' && chars[i + 2] == 'H')
            {
                chars[i + 1] = 'S';
                chars[i + 2] = 'S';
                add = "S";
            }
            else if (c == 'P' && i + 1 < chars.Length && chars[i + 1] == 'H')
            {
                chars[i + 1] = 'F';
                add = "F";
            }
            else if (c == 'H' && (!IsVowel(chars[i - 1]) || (i + 1 < chars.Length && !IsVowel(chars[i + 1]))))
            {
                add = chars[i - 1].ToString();
            }
            else if (c == 'W' && IsVowel(chars[i - 1]))
            {
                add = chars[i - 1].ToString();
            }
            else
            {
                add = c.ToString();
            }

            chars[i] = add[0];
            if (key[^1] != add[0])
            {
                key.Append(add[0]);
            }
        }

        if (key.Length > 1 && key[^1] == 'S')
        {
            key.Length--;
        }

        if (key.Length > 2 && key[^2] == 'A' && key[^1] == 'Y')
        {
            key.Remove(key.Length - 2, 1);
        }

        if (key.Length > 1 && key[^1] == 'A')
        {
            key.Length--;
        }

        return key.Length > 6 ? key.ToString(0, 6) : key.ToString();
    }

    private static string ReplacePrefix(string s)
    {
        if (s.StartsWith("MAC", StringComparison.Ordinal))
        {
            return "MCC" + s[3..];
        }

        if (s.StartsWith("KN", StringComparison.Ordinal))
        {
            return "NN" + s[2..];
        }

        if (s.StartsWith("PH", StringComparison.Ordinal) || s.StartsWith("PF", StringComparison.Ordinal))
        {
            return "FF" + s[2..];
        }

        if (s.StartsWith("SCH", StringComparison.Ordinal))
        {
            return "SSS" + s[3..];
        }

        return s[0] == 'K' ? "C" + s[1..] : s;
    }

    private static string ReplaceSuffix(string s)
    {
        if (s.Length < 2)
        {
            return s;
        }

        var end = s[^2..];
        return end switch
        {
            "EE" or "IE" => s[..^2] + "Y",
            "DT" or "RT" or "RD" or "NT" or "ND" => s[..^2] + "D",
            _ => s,
        };
    }

    private static bool IsVowel(char c) => c is 'A' or 'E' or 'I' or 'O' or 'U';

    private static string Letters(string? name) => name is null ? "" : TextNormalizer.Letters(name);
}
