using System.Text;

namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// Writes one segment in ER7, escaping values: <c>new Hl7V2SegmentBuilder("PID").Set(5, "Doe", 1).Set(5, "John", 2)</c>.
/// For <c>MSH</c>, <c>FHS</c> and <c>BHS</c> fields 1 and 2 are written from the delimiters and cannot be set.
/// </summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class Hl7V2SegmentBuilder
{
    private readonly SortedDictionary<int, List<List<List<string>>>> _fields = [];
    private readonly bool _isHeader;

    /// <summary>Creates a builder.</summary>
    /// <param name="id">The three-character segment id.</param>
    /// <param name="delimiters">The delimiters; <see cref="Hl7V2Delimiters.Default"/> when omitted.</param>
    /// <exception cref="ArgumentException">The id is not three upper-case letters or digits starting with a letter.</exception>
    public Hl7V2SegmentBuilder(string id, Hl7V2Delimiters? delimiters = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length != 3 || !char.IsAsciiLetterUpper(id[0]) || !id.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c)))
        {
            throw new ArgumentException($"'{id}' is not a segment id (three upper-case letters or digits).", nameof(id));
        }

        Id = id;
        Delimiters = delimiters ?? Hl7V2Delimiters.Default;
        _isHeader = id is "MSH" or "FHS" or "BHS";
    }

    /// <summary>The segment id.</summary>
    public string Id { get; }

    /// <summary>The delimiters used to write.</summary>
    public Hl7V2Delimiters Delimiters { get; }

    /// <summary>Sets a value, escaping it.</summary>
    /// <param name="field">The 1-based field (3 or more for MSH).</param>
    /// <param name="value">The text; <see langword="null"/> or empty leaves the position empty.</param>
    /// <param name="component">The 1-based component.</param>
    /// <param name="subComponent">The 1-based sub-component.</param>
    /// <param name="repetition">The 1-based repetition.</param>
    /// <returns>The builder.</returns>
    public Hl7V2SegmentBuilder Set(int field, string? value, int component = 1, int subComponent = 1, int repetition = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(field, _isHeader ? 3 : 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(component, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(subComponent, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repetition, 1);
        if (!_fields.TryGetValue(field, out var repetitions))
        {
            _fields[field] = repetitions = [];
        }

        var components = Grow(repetitions, repetition);
        var subs = Grow(components, component);
        while (subs.Count < subComponent)
        {
            subs.Add(string.Empty);
        }

        subs[subComponent - 1] = string.IsNullOrEmpty(value) ? string.Empty : Hl7V2Escaping.Escape(value, Delimiters);
        return this;
    }

    /// <summary>Writes the segment (no terminator).</summary>
    /// <returns>The ER7 text.</returns>
    public override string ToString()
    {
        var d = Delimiters;
        var sb = new StringBuilder(Id);
        var next = 1;
        if (_isHeader)
        {
            sb.Append(d.Field).Append(d.EncodingCharacters);
            next = 3;
        }

        foreach (var (number, repetitions) in _fields)
        {
            for (; next <= number; next++)
            {
                sb.Append(d.Field);
            }

            for (var r = 0; r < repetitions.Count; r++)
            {
                if (r > 0)
                {
                    sb.Append(d.Repetition);
                }

                var components = repetitions[r];
                for (var c = 0; c < components.Count; c++)
                {
                    if (c > 0)
                    {
                        sb.Append(d.Component);
                    }

                    sb.AppendJoin(d.SubComponent, components[c]);
                }
            }
        }

        return sb.ToString();
    }

    private static List<T> Grow<T>(List<List<T>> list, int count)
    {
        while (list.Count < count)
        {
            list.Add([]);
        }

        return list[count - 1];
    }
}
