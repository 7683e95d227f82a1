using System.Globalization;
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

        // Matching normalises several texts per record: lower-case into one buffer, sort the word ranges,
        // and allocate only the result.
        var source = System.Text.Ascii.IsValid(text) ? text : text.Normalize(NormalizationForm.FormKD);
        var chars = source.Length <= 512 ? stackalloc char[source.Length] : new char[source.Length];
        Span<(int Start, int Length)> words = source.Length <= 256 ? stackalloc (int, int)[(source.Length / 2) + 1] : new (int, int)[(source.Length / 2) + 1];
        int count = 0, wordStart = -1, written = 0;
        foreach (var ch in source)
        {
            if (char.IsLetterOrDigit(ch))
            {
                if (wordStart < 0)
                {
                    wordStart = written;
                }

                chars[written++] = char.ToLowerInvariant(ch);
            }
            else if (ch > '\u007f' && CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark)
            {
                // An accent split off by the decomposition belongs to its letter: "Hämoglobin" is one word.
            }
            else if (wordStart >= 0)
            {
                words[count++] = (wordStart, written - wordStart);
                wordStart = -1;
            }
        }

        if (wordStart >= 0)
        {
            words[count++] = (wordStart, written - wordStart);
        }

        if (count == 0)
        {
            return null;
        }

        var buffer = chars;
        var ranges = words[..count];
        if (count == 1)
        {
            return new string(buffer.Slice(ranges[0].Start, ranges[0].Length));
        }

        // Insertion sort: texts have a handful of words.
        for (var i = 1; i < ranges.Length; i++)
        {
            var current = ranges[i];
            var j = i - 1;
            while (j >= 0 && buffer.Slice(ranges[j].Start, ranges[j].Length).SequenceCompareTo(buffer.Slice(current.Start, current.Length)) > 0)
            {
                ranges[j + 1] = ranges[j];
                j--;
            }

            ranges[j + 1] = current;
        }

        var result = new StringBuilder(source.Length);
        (int Start, int Length) previous = default;
        foreach (var (wordAt, length) in ranges)
        {
            var word = buffer.Slice(wordAt, length);
            if (result.Length > 0 && word.SequenceEqual(buffer.Slice(previous.Start, previous.Length)))
            {
                continue;
            }

            if (result.Length > 0)
            {
                result.Append(' ');
            }

            result.Append(word);
            previous = (wordAt, length);
        }

        return result.ToString();
    }
}
