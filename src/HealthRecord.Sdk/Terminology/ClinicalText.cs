using System.Text;

namespace HealthRecord.Sdk.Terminology;

/// <summary>
/// Normalises free text (a problem name, a drug name) so that copies which differ only in letter case,
/// punctuation, spacing or word order compare equal: <c>"Hypertension, essential"</c> and
/// <c>"essential  hypertension"</c> give the same key.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public static class ClinicalText
{
    /// <summary>The normalised key of a text.</summary>
    /// <param name="text">The text; may be <see langword="null"/>.</param>
    /// <returns>Lower-case words of letters and digits, sorted and joined by one space; <see langword="null"/> when nothing is left.</returns>
    public static string? Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in System.Text.Ascii.IsValid(text) ? text : text.Normalize(NormalizationForm.FormKD))
        {
            if (char.IsLetterOrDigit(ch))
            {
                current.Append(char.ToLowerInvariant(ch));
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        if (words.Count == 0)
        {
            return null;
        }

        words.Sort(StringComparer.Ordinal);
        return string.Join(' ', words.Distinct(StringComparer.Ordinal));
    }
}
