using System.Globalization;
using System.Text;

namespace HealthRecord.Sdk.Identity;

/// <summary>Folds text for comparison: accents removed, lower case, ASCII letters and digits only.</summary>
internal static class TextNormalizer
{
    /// <summary>Lower-case ASCII letters of <paramref name="text"/>, accents folded (Zoë → zoe, O'Connell → oconnell).</summary>
    public static string Letters(string text) => Fold(text, keepDigits: false, keepSpaces: false);

    /// <summary>Lower-case words of letters and digits separated by single spaces.</summary>
    public static string Words(string text) => Fold(text, keepDigits: true, keepSpaces: true);

    /// <summary>The digits of <paramref name="text"/>.</summary>
    public static string Digits(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is >= '0' and <= '9')
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static string Fold(string text, bool keepDigits, bool keepSpaces)
    {
        var simple = true;
        foreach (var c in text)
        {
            if (c > 127)
            {
                simple = false;
                break;
            }
        }

        var source = simple ? text : text.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(source.Length);
        var pendingSpace = false;
        foreach (var ch in source)
        {
            var c = ch;
            if (c is >= 'A' and <= 'Z')
            {
                c = (char)(c + 32);
            }

            if (c is >= 'a' and <= 'z' || (keepDigits && c is >= '0' and <= '9'))
            {
                if (pendingSpace && sb.Length > 0)
                {
                    sb.Append(' ');
                }

                pendingSpace = false;
                sb.Append(c);
            }
            else if (c is '\'' or '’' || (!simple && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark))
            {
                // Apostrophes and combining accents join the letters around them.
            }
            else if (c > 127 && char.IsLetter(c))
            {
                // A letter with no ASCII base (ß, ø, Cyrillic, …): keep it, folded to lower case.
                if (pendingSpace && sb.Length > 0)
                {
                    sb.Append(' ');
                }

                pendingSpace = false;
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                pendingSpace = keepSpaces;
            }
        }

        return sb.ToString();
    }
}
