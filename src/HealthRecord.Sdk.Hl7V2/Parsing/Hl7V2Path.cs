using System.Globalization;

namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>A parsed path such as <c>PID-3(2).1</c>.</summary>
internal readonly record struct Hl7V2Path(string SegmentId, int Occurrence, int Field, int Repetition, int Component, int SubComponent)
{
    public static Hl7V2Path Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var s = path.AsSpan().Trim();
        if (s.Length < 5 || !IsSegmentId(s[..3]))
        {
            throw Bad(path);
        }

        var id = s[..3].ToString();
        var i = 3;
        var occurrence = ReadIndex(s, ref i, path);
        if (i >= s.Length || s[i] != '-')
        {
            throw Bad(path);
        }

        i++;
        var field = ReadNumber(s, ref i, path);
        var repetition = ReadIndex(s, ref i, path);
        var component = 0;
        var sub = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            component = ReadNumber(s, ref i, path);
            if (i < s.Length && s[i] == '.')
            {
                i++;
                sub = ReadNumber(s, ref i, path);
            }
        }

        if (i != s.Length)
        {
            throw Bad(path);
        }

        return new Hl7V2Path(id, occurrence, field, repetition, component, sub);
    }

    private static bool IsSegmentId(ReadOnlySpan<char> s) =>
        char.IsAsciiLetterUpper(s[0]) && char.IsAsciiLetterUpper(s[1]) | char.IsAsciiDigit(s[1]) && char.IsAsciiLetterUpper(s[2]) | char.IsAsciiDigit(s[2]);

    private static int ReadIndex(ReadOnlySpan<char> s, ref int i, string path)
    {
        if (i >= s.Length || s[i] != '(')
        {
            return 1;
        }

        i++;
        var n = ReadNumber(s, ref i, path);
        if (i >= s.Length || s[i] != ')')
        {
            throw Bad(path);
        }

        i++;
        return n;
    }

    private static int ReadNumber(ReadOnlySpan<char> s, ref int i, string path)
    {
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        if (i == start || !int.TryParse(s[start..i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            throw Bad(path);
        }

        return n;
    }

    private static FormatException Bad(string path) =>
        new($"'{path}' is not an HL7 v2 path; expected SEG[(n)]-field[(repetition)][.component[.sub-component]], e.g. PID-5.1 or OBX(2)-5.");
}
