namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// The encoding characters of an HL7 v2 message, as MSH-1 and MSH-2 (or FHS/BHS) define them.
/// </summary>
/// <param name="Field">The field separator (MSH-1), usually <c>|</c>.</param>
/// <param name="Component">The component separator, usually <c>^</c>.</param>
/// <param name="Repetition">The repetition separator, usually <c>~</c>.</param>
/// <param name="Escape">The escape character, usually <c>\</c>.</param>
/// <param name="SubComponent">The sub-component separator, usually <c>&amp;</c>.</param>
/// <param name="Truncation">The truncation character of v2.7 and later (usually <c>#</c>), or <c>'\0'</c> when the message has none.</param>
public readonly record struct Hl7V2Delimiters(char Field, char Component, char Repetition, char Escape, char SubComponent, char Truncation = '\0')
{
    /// <summary>The standard delimiters <c>|^~\&amp;</c>.</summary>
    public static Hl7V2Delimiters Default { get; } = new('|', '^', '~', '\\', '&');

    /// <summary>The encoding characters as written in MSH-2 (four or five characters).</summary>
    public string EncodingCharacters => Truncation == '\0'
        ? string.Concat(Component, Repetition, Escape, SubComponent)
        : string.Concat(Component, Repetition, Escape, SubComponent, Truncation);

    /// <summary>Whether <paramref name="c"/> is one of the delimiters.</summary>
    /// <param name="c">The character.</param>
    /// <returns><see langword="true"/> for a delimiter.</returns>
    public bool IsDelimiter(char c) =>
        c == Field || c == Component || c == Repetition || c == Escape || c == SubComponent || (Truncation != '\0' && c == Truncation);

    /// <summary>Reads and checks the delimiters of a header segment (<c>MSH</c>, <c>FHS</c> or <c>BHS</c>).</summary>
    /// <param name="segment">The segment text, starting with its id.</param>
    /// <param name="delimiters">The delimiters when valid.</param>
    /// <param name="error">Why they are not valid.</param>
    /// <returns><see langword="true"/> when the delimiters are usable.</returns>
    internal static bool TryRead(ReadOnlySpan<char> segment, out Hl7V2Delimiters delimiters, out string? error)
    {
        delimiters = default;
        if (segment.Length < 8)
        {
            error = "the header is too short to hold the field separator and the four encoding characters";
            return false;
        }

        var field = segment[3];
        var rest = segment[4..];
        var end = rest.IndexOf(field);
        var encoding = end < 0 ? rest : rest[..end];
        if (encoding.Length is < 4 or > 5)
        {
            error = $"the encoding characters '{encoding.ToString()}' are not four (or five) characters";
            return false;
        }

        Span<char> all = stackalloc char[6];
        all[0] = field;
        encoding.CopyTo(all[1..]);
        var used = all[..(encoding.Length + 1)];
        for (var i = 0; i < used.Length; i++)
        {
            var c = used[i];
            if (char.IsLetterOrDigit(c) || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                error = $"the delimiter '{c}' (U+{(int)c:X4}) is a letter, digit, space or control character";
                return false;
            }

            if (used[(i + 1)..].Contains(c))
            {
                error = $"the delimiter '{c}' is used twice";
                return false;
            }
        }

        delimiters = new Hl7V2Delimiters(field, encoding[0], encoding[1], encoding[2], encoding[3], encoding.Length == 5 ? encoding[4] : '\0');
        error = null;
        return true;
    }
}
