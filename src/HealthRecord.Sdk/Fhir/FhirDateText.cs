using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>
/// Reads FHIR <c>date</c> and <c>dateTime</c> text as the first instant it can mean. The common shapes
/// (<c>YYYY</c>, <c>YYYY-MM</c>, <c>YYYY-MM-DD</c>, <c>YYYY-MM-DDThh:mm:ss[.f…][Z|±hh:mm]</c>) are read
/// here without allocating; anything else goes to Firely's <see cref="FhirDateTime"/>, so the result is
/// the same as Firely's for every input — this is only faster (matching reads several dates per record).
/// </summary>
internal static class FhirDateText
{
    /// <summary>Parses a date or dateTime.</summary>
    /// <param name="value">The text.</param>
    /// <param name="start">The first instant it can mean, in UTC; a value without an offset is read as UTC.</param>
    /// <returns>Whether the text is a valid FHIR date or dateTime.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out DateTimeOffset start)
    {
        start = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (TryParseCommon(value, out start, out _))
        {
            return true;
        }

        if (FhirDateTime.IsValidValue(value) && new FhirDateTime(value).TryToDateTimeOffset(TimeSpan.Zero, out start))
        {
            start = start.ToUniversalTime();
            return true;
        }

        start = default;
        return false;
    }

    /// <summary>
    /// The value of an <c>instant</c> as <see cref="Instant.Value"/> gives it (with the offset it was written with).
    /// Firely parses the text with a regular expression on every read; the common shape
    /// (<c>YYYY-MM-DDThh:mm:ss[.f…](Z|±hh:mm)</c>) is read here instead, anything else still goes to Firely.
    /// </summary>
    /// <param name="instant">The element.</param>
    /// <returns>The instant, or <see langword="null"/> when the element or its value is absent.</returns>
    public static DateTimeOffset? InstantValue(Instant? instant)
    {
        if (instant?.JsonValue is string s && s.Length >= 20 && TryParseCommon(s, out var utc, out var offset) && offset.Duration() <= TimeSpan.FromHours(14))
        {
            return utc.ToOffset(offset);
        }

        return instant?.Value;
    }

    private static bool TryParseCommon(string s, out DateTimeOffset start, out TimeSpan offset)
    {
        start = default;
        offset = TimeSpan.Zero;
        if (!Digits(s, 0, 4, out var year) || year < 1)
        {
            return false;
        }

        int month = 1, day = 1, hour = 0, minute = 0, second = 0;
        long fractionTicks = 0;
        switch (s.Length)
        {
            case 4:
                break;
            case 7:
                if (s[4] != '-' || !Digits(s, 5, 2, out month) || month is < 1 or > 12)
                {
                    return false;
                }

                break;
            case 10:
                if (!Date(s, out month, out day, year))
                {
                    return false;
                }

                break;
            case >= 19:
                if (!Date(s, out month, out day, year) || s[10] != 'T' || s[13] != ':' || s[16] != ':'
                    || !Digits(s, 11, 2, out hour) || !Digits(s, 14, 2, out minute) || !Digits(s, 17, 2, out second)
                    || hour > 23 || minute > 59 || second > 59)
                {
                    return false;
                }

                var i = 19;
                if (i < s.Length && s[i] == '.')
                {
                    var digits = 0;
                    for (i++; i < s.Length && char.IsAsciiDigit(s[i]); i++, digits++)
                    {
                        if (digits < 7)
                        {
                            fractionTicks = (fractionTicks * 10) + (s[i] - '0');
                        }
                    }

                    if (digits is 0 or > 7)
                    {
                        return false; // sub-tick digits round in Firely: let it decide
                    }

                    for (var pad = Math.Min(digits, 7); pad < 7; pad++)
                    {
                        fractionTicks *= 10;
                    }
                }

                if (i == s.Length - 1 && s[i] == 'Z')
                {
                    break;
                }

                if (i == s.Length - 6 && s[i] is '+' or '-' && s[i + 3] == ':' && Digits(s, i + 1, 2, out var oh) && Digits(s, i + 4, 2, out var om) && oh <= 14 && om <= 59)
                {
                    offset = new TimeSpan(oh, om, 0);
                    if (s[i] == '-')
                    {
                        offset = -offset;
                    }

                    break;
                }

                // No offset or anything unusual: Firely decides.
                return false;
            default:
                return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        start = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        return true;
    }

    private static bool Date(string s, out int month, out int day, int year)
    {
        day = 0;
        month = 0;
        return s[4] == '-' && s[7] == '-' && Digits(s, 5, 2, out month) && month is >= 1 and <= 12
            && Digits(s, 8, 2, out day) && day >= 1 && day <= DateTime.DaysInMonth(year, month);
    }

    private static bool Digits(string s, int at, int count, out int value)
    {
        value = 0;
        if (at + count > s.Length)
        {
            return false;
        }

        return int.TryParse(s.AsSpan(at, count), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
