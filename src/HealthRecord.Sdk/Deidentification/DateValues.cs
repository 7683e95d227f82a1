using System.Globalization;
using System.Text.RegularExpressions;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>FHIR date and dateTime strings: to the year, or shifted by whole days at their own precision.</summary>
internal static partial class DateValues
{
    /// <summary>The year of a FHIR date or dateTime as written (its local year, whatever the time zone), or null when it is not one.</summary>
    public static string? Year(string text)
    {
        var m = FhirDate().Match(text);
        return m.Success ? m.Groups["y"].Value : null;
    }

    /// <summary>
    /// The date moved by <paramref name="days"/>: a full date moves by that many calendar days and keeps its time of day and
    /// time zone as written (so every interval between two full dates is kept exactly); a year-month or year is moved as its
    /// first day and written back at its precision. Null when the text is not a FHIR date.
    /// </summary>
    public static string? Shift(string text, int days)
    {
        var m = FhirDate().Match(text);
        if (!m.Success)
        {
            return null;
        }

        var year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
        var month = m.Groups["m"].Success ? int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture) : 1;
        var day = m.Groups["d"].Success ? int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture) : 1;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return null;
        }

        DateOnly shifted;
        try
        {
            shifted = new DateOnly(year, month, day).AddDays(days);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }

        if (!m.Groups["m"].Success)
        {
            return shifted.Year.ToString("0000", CultureInfo.InvariantCulture);
        }

        if (!m.Groups["d"].Success)
        {
            return shifted.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        }

        return shifted.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + m.Groups["t"].Value;
    }

    /// <summary>The text of an XHTML fragment without its tags.</summary>
    public static string PlainText(string? xhtml) =>
        xhtml is null ? "" : System.Net.WebUtility.HtmlDecode(Tags().Replace(xhtml, " ")).Trim();

    [GeneratedRegex(@"^(?<y>\d{4})(?:-(?<m>\d{2})(?:-(?<d>\d{2})(?<t>T.+)?)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FhirDate();

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex Tags();
}
