using System.Globalization;
using System.Text;
using Spectre.Console;

namespace HealthRecord.Cli.Infrastructure;

/// <summary>
/// Every value from a record, a source or an error that the CLI prints goes through here: control characters
/// (line breaks, tabs, escape sequences, bidirectional overrides) are shown as visible marks so one value is one
/// line and cannot repaint the terminal, and a long value is cut to a readable length with its full length said.
/// </summary>
internal static class Shown
{
    /// <summary>The longest value printed in full.</summary>
    public const int MaxLength = 160;

    /// <summary>The value, one line, at most <paramref name="max"/> characters (plus the length note).</summary>
    /// <param name="value">The value (may be <see langword="null"/>).</param>
    /// <param name="max">The longest kept.</param>
    /// <returns>The text to print (not markup-escaped).</returns>
    public static string Text(string? value, int max = MaxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var cut = value.Length > max;
        var kept = cut ? value.AsSpan(0, char.IsHighSurrogate(value[max - 1]) ? max - 2 : max - 1) : value.AsSpan();
        var builder = new StringBuilder(kept.Length + 32);
        for (var i = 0; i < kept.Length; i++)
        {
            var c = kept[i];
            if (c == '\r' && i + 1 < kept.Length && kept[i + 1] == '\n')
            {
                continue;
            }

            builder.Append(c switch
            {
                '\n' or '\r' => '⏎',
                '\t' => ' ',
                _ when char.IsControl(c) => '�',
                _ when IsFormatting(c) => '�',
                _ => c,
            });
        }

        if (cut)
        {
            builder.Append("… (").Append(value.Length.ToString("N0", CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.ToString();
    }

    /// <summary><see cref="Text"/>, escaped for Spectre markup (table cells, <c>Markup</c>).</summary>
    /// <param name="value">The value.</param>
    /// <param name="max">The longest kept.</param>
    /// <returns>The markup-safe text.</returns>
    public static string Markup(string? value, int max = MaxLength) => Spectre.Console.Markup.Escape(Text(value, max));

    /// <summary>Several values joined with <paramref name="separator"/>, each cut, the whole cut again.</summary>
    /// <param name="values">The values.</param>
    /// <param name="separator">The separator.</param>
    /// <returns>The text to print (not markup-escaped).</returns>
    public static string Join(IEnumerable<string?> values, string separator = ", ") =>
        Text(string.Join(separator, values.Select(v => Text(v, 80))), MaxLength * 3);

    // Bidirectional overrides and isolates, zero-width marks, line and paragraph separators: they reorder or hide text.
    private static bool IsFormatting(char c) =>
        CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
