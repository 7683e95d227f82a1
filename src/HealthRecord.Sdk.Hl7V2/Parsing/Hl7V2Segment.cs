namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// One segment of a message (<c>PID</c>, <c>OBX</c>, …). Fields are numbered as in the standard: for
/// <c>MSH</c>, <c>FHS</c> and <c>BHS</c>, field 1 is the field separator and field 2 the encoding characters.
/// </summary>
/// <remarks>Immutable and thread-safe. Values are sliced from the message text on demand.</remarks>
public sealed class Hl7V2Segment
{
    private readonly int[] _fieldStarts;
    private readonly bool _isHeader;

    internal Hl7V2Segment(string text, Hl7V2Delimiters delimiters, int line, int[] fieldStarts)
    {
        Text = text;
        Delimiters = delimiters;
        Line = line;
        Id = text.Length >= 3 ? text[..3] : text;
        _fieldStarts = fieldStarts;
        _isHeader = Id is "MSH" or "FHS" or "BHS";
    }

    /// <summary>The segment id, e.g. <c>PID</c>.</summary>
    public string Id { get; }

    /// <summary>The segment as written (without its terminator).</summary>
    public string Text { get; }

    /// <summary>The delimiters in force for the segment.</summary>
    public Hl7V2Delimiters Delimiters { get; }

    /// <summary>The 1-based line of the segment in the parsed input.</summary>
    public int Line { get; }

    /// <summary>Whether the segment is a Z-segment (locally defined; kept, and ignored by conversion).</summary>
    public bool IsZSegment => Id.Length == 3 && Id[0] == 'Z';

    /// <summary>The number of the last field present.</summary>
    public int FieldCount => _isHeader ? _fieldStarts.Length : _fieldStarts.Length - 1;

    /// <summary>The whole field (all repetitions), escape sequences not decoded.</summary>
    /// <param name="field">The 1-based field number.</param>
    /// <returns>The raw field, empty when absent.</returns>
    public ReadOnlySpan<char> RawField(int field)
    {
        var (start, length) = FieldBounds(field);
        return length <= 0 ? [] : Text.AsSpan(start, length);
    }

    /// <summary>The number of repetitions of a field (0 when it is empty).</summary>
    /// <param name="field">The 1-based field number.</param>
    /// <returns>The count.</returns>
    public int RepetitionCount(int field)
    {
        var raw = RawField(field);
        if (raw.IsEmpty)
        {
            return 0;
        }

        return IsUnsplittable(field) ? 1 : raw.Count(Delimiters.Repetition) + 1;
    }

    /// <summary>A repetition of a field.</summary>
    /// <param name="field">The 1-based field number.</param>
    /// <param name="repetition">The 1-based repetition.</param>
    /// <returns>The repetition, empty when absent; use <see cref="Hl7V2Value.Component"/> to go deeper.</returns>
    public Hl7V2Value Field(int field, int repetition = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repetition, 1);
        var (start, length) = FieldBounds(field);
        if (length <= 0)
        {
            return default;
        }

        if (IsUnsplittable(field))
        {
            // MSH-1 and MSH-2 hold the delimiters themselves: never split nor unescaped.
            return repetition == 1 ? new Hl7V2Value(Text, start, length, default, 2) : default;
        }

        var (offset, len) = Hl7V2Value.Nth(Text.AsSpan(start, length), Delimiters.Repetition, repetition);
        return len < 0 ? default : new Hl7V2Value(Text, start + offset, len, Delimiters, 0);
    }

    /// <summary>All repetitions of a field.</summary>
    /// <param name="field">The 1-based field number.</param>
    /// <returns>The non-empty repetitions, in order.</returns>
    public IReadOnlyList<Hl7V2Value> Repetitions(int field)
    {
        var count = RepetitionCount(field);
        if (count == 0)
        {
            return [];
        }

        if (count == 1)
        {
            var only = Field(field);
            return only.IsEmpty ? [] : [only];
        }

        // One pass over the field (asking Field(field, r) for each r rescans from the start: quadratic on hostile fields).
        var (start, length) = FieldBounds(field);
        var span = Text.AsSpan(start, length);
        var list = new List<Hl7V2Value>(count);
        var at = 0;
        while (at <= span.Length)
        {
            var next = span[at..].IndexOf(Delimiters.Repetition);
            var len = next < 0 ? span.Length - at : next;
            var value = new Hl7V2Value(Text, start + at, len, Delimiters, 0);
            if (!value.IsEmpty)
            {
                list.Add(value);
            }

            at += len + 1;
        }

        return list;
    }

    /// <summary>The decoded text at a position.</summary>
    /// <param name="field">The 1-based field.</param>
    /// <param name="component">The 1-based component.</param>
    /// <param name="subComponent">The 1-based sub-component.</param>
    /// <param name="repetition">The 1-based repetition.</param>
    /// <returns>The text, or <see langword="null"/> when absent or empty.</returns>
    public string? Get(int field, int component = 1, int subComponent = 1, int repetition = 1) =>
        Field(field, repetition).Component(component).SubComponent(subComponent).Value;

    /// <inheritdoc />
    public override string ToString() => Text;

    private bool IsUnsplittable(int field) => _isHeader && field <= 2;

    private (int Start, int Length) FieldBounds(int field)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(field, 1);
        if (_isHeader)
        {
            if (field == 1)
            {
                return (3, Text.Length > 3 ? 1 : 0);
            }

            field--;
        }

        if (field >= _fieldStarts.Length)
        {
            return (0, 0);
        }

        var start = _fieldStarts[field];
        var end = field + 1 < _fieldStarts.Length ? _fieldStarts[field + 1] - 1 : Text.Length;
        return (start, end - start);
    }
}
