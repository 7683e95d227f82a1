namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// A view of part of a segment, a field repetition, a component or a sub-component, over the message text
/// (no copy until <see cref="Value"/> or <see cref="ToString"/> is asked for).
/// </summary>
/// <remarks>An empty value stands for a part the message does not hold. Immutable and thread-safe.</remarks>
public readonly struct Hl7V2Value : IEquatable<Hl7V2Value>
{
    private readonly string? _text;
    private readonly int _start;
    private readonly int _length;
    private readonly Hl7V2Delimiters _delimiters;
    private readonly byte _level;

    internal Hl7V2Value(string text, int start, int length, Hl7V2Delimiters delimiters, int level)
    {
        _text = text;
        _start = start;
        _length = length;
        _delimiters = delimiters;
        _level = (byte)level;
    }

    /// <summary>The part as written in the message, escape sequences included.</summary>
    public ReadOnlySpan<char> Raw => _text is null ? [] : _text.AsSpan(_start, _length);

    /// <summary>Whether the part is absent or empty.</summary>
    public bool IsEmpty => _length == 0;

    /// <summary>Whether the part is the explicit HL7 null <c>""</c> (delete the value at the receiver).</summary>
    public bool IsExplicitNull => Raw.SequenceEqual("\"\"");

    /// <summary>The text with escape sequences decoded, or <see langword="null"/> when empty or the explicit null <c>""</c>.</summary>
    public string? Value => IsEmpty || IsExplicitNull ? null : Hl7V2Escaping.Unescape(Raw, _delimiters);

    /// <summary>The <paramref name="number"/>-th component of a field repetition (1-based).</summary>
    /// <param name="number">The component number.</param>
    /// <returns>The component, empty when absent. On a component this gives its sub-components; on a sub-component, itself for 1.</returns>
    public Hl7V2Value Component(int number) => Part(number);

    /// <summary>The <paramref name="number"/>-th sub-component of a component (1-based).</summary>
    /// <param name="number">The sub-component number.</param>
    /// <returns>The sub-component, empty when absent.</returns>
    public Hl7V2Value SubComponent(int number) => _level == 1 ? Part(number) : _level == 0 ? Part(1).Part(number) : Part(number);

    /// <summary>Whether the value holds the separator of its next level (it is a composite).</summary>
    public bool IsComposite => _level < 2 && Raw.Contains(_level == 0 ? _delimiters.Component : _delimiters.SubComponent);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;

    /// <inheritdoc />
    public bool Equals(Hl7V2Value other) => Raw.SequenceEqual(other.Raw);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hl7V2Value other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => string.GetHashCode(Raw, StringComparison.Ordinal);

    /// <summary>Compares two values by their raw text.</summary>
    /// <param name="left">The left value.</param>
    /// <param name="right">The right value.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(Hl7V2Value left, Hl7V2Value right) => left.Equals(right);

    /// <summary>Compares two values by their raw text.</summary>
    /// <param name="left">The left value.</param>
    /// <param name="right">The right value.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(Hl7V2Value left, Hl7V2Value right) => !left.Equals(right);

    private Hl7V2Value Part(int number)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        if (_text is null || _length == 0)
        {
            return default;
        }

        if (_level >= 2)
        {
            return number == 1 ? this : default;
        }

        var separator = _level == 0 ? _delimiters.Component : _delimiters.SubComponent;
        var (start, length) = Nth(_text.AsSpan(_start, _length), separator, number);
        return length < 0 ? default : new Hl7V2Value(_text, _start + start, length, _delimiters, _level + 1);
    }

    /// <summary>Finds the <paramref name="number"/>-th (1-based) part of <paramref name="span"/> split by <paramref name="separator"/>.</summary>
    /// <returns>The offset and length, or a length of -1 when there are fewer parts.</returns>
    internal static (int Start, int Length) Nth(ReadOnlySpan<char> span, char separator, int number)
    {
        var start = 0;
        for (var n = 1; n < number; n++)
        {
            var next = span[start..].IndexOf(separator);
            if (next < 0)
            {
                return (0, -1);
            }

            start += next + 1;
        }

        var end = span[start..].IndexOf(separator);
        return (start, end < 0 ? span.Length - start : end);
    }
}
