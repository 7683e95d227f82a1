using System.Globalization;
using System.Text;

namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// One HL7 v2 message: an <c>MSH</c> segment and the segments that follow it, with typed access by
/// path (<c>message.Get("PID-5.1")</c>). Z-segments and unknown segments are kept.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class Hl7V2Message
{
    private readonly Hl7V2Segment[] _segments;

    internal Hl7V2Message(Hl7V2Segment[] segments, int index)
    {
        _segments = segments;
        Index = index;
        Header = segments[0];
    }

    /// <summary>The segments, <c>MSH</c> first.</summary>
    public IReadOnlyList<Hl7V2Segment> Segments => _segments;

    /// <summary>The <c>MSH</c> segment.</summary>
    public Hl7V2Segment Header { get; }

    /// <summary>The 1-based position of the message in its file or batch.</summary>
    public int Index { get; }

    /// <summary>The delimiters the message declares.</summary>
    public Hl7V2Delimiters Delimiters => Header.Delimiters;

    /// <summary>MSH-9.1, the message type, e.g. <c>ADT</c>.</summary>
    public string MessageType => Header.Get(9) ?? string.Empty;

    /// <summary>MSH-9.2, the trigger event, e.g. <c>A01</c> (empty when absent).</summary>
    public string TriggerEvent => Header.Get(9, 2) ?? string.Empty;

    /// <summary>MSH-9.3, the message structure, e.g. <c>ADT_A01</c>, when given.</summary>
    public string? MessageStructure => Header.Get(9, 3);

    /// <summary>MSH-10, the message control id, when given.</summary>
    public string? ControlId => Header.Get(10);

    /// <summary>MSH-11.1, the processing id (<c>P</c>, <c>T</c>, <c>D</c>), when given.</summary>
    public string? ProcessingId => Header.Get(11);

    /// <summary>MSH-12.1, the version, e.g. <c>2.5.1</c>.</summary>
    public string Version => Header.Get(12) ?? string.Empty;

    /// <summary>MSH-18, the character set (first repetition), when given.</summary>
    public string? CharacterSet => Header.Get(18);

    /// <summary>MSH-3.1, the sending application, when given.</summary>
    public string? SendingApplication => Header.Get(3);

    /// <summary>MSH-4.1, the sending facility, when given.</summary>
    public string? SendingFacility => Header.Get(4);

    /// <summary>MSH-7.1, the date/time of the message as written, when given.</summary>
    public string? DateTimeOfMessage => Header.Get(7);

    /// <summary>The first segment with an id, or its <paramref name="occurrence"/>-th one.</summary>
    /// <param name="id">The segment id, e.g. <c>PID</c>.</param>
    /// <param name="occurrence">The 1-based occurrence.</param>
    /// <returns>The segment, or <see langword="null"/>.</returns>
    public Hl7V2Segment? Segment(string id, int occurrence = 1)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentOutOfRangeException.ThrowIfLessThan(occurrence, 1);
        foreach (var segment in _segments)
        {
            if (segment.Id == id && --occurrence == 0)
            {
                return segment;
            }
        }

        return null;
    }

    /// <summary>All segments with an id, in order.</summary>
    /// <param name="id">The segment id.</param>
    /// <returns>The segments.</returns>
    public IEnumerable<Hl7V2Segment> SegmentsNamed(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _segments.Where(s => s.Id == id);
    }

    /// <summary>
    /// The part of the message a path names: <c>SEG[(occurrence)]-field[(repetition)][.component[.sub-component]]</c>,
    /// e.g. <c>PID-5.1</c>, <c>PID-3(2).1</c>, <c>OBX(2)-5</c>, <c>PID-11.1.1</c>. Occurrences and repetitions are 1-based.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <returns>The value, empty when absent. A path without a component gives the whole repetition.</returns>
    /// <exception cref="FormatException">The path is not well-formed.</exception>
    public Hl7V2Value Value(string path)
    {
        var p = Hl7V2Path.Parse(path);
        var segment = Segment(p.SegmentId, p.Occurrence);
        if (segment is null)
        {
            return default;
        }

        var value = segment.Field(p.Field, p.Repetition);
        if (p.Component > 0)
        {
            value = value.Component(p.Component);
            if (p.SubComponent > 0)
            {
                value = value.SubComponent(p.SubComponent);
            }
        }

        return value;
    }

    /// <summary>The decoded text a path names (see <see cref="Value"/>).</summary>
    /// <param name="path">The path, e.g. <c>PID-5.1</c>.</param>
    /// <returns>The text, or <see langword="null"/> when absent or empty.</returns>
    /// <exception cref="FormatException">The path is not well-formed.</exception>
    public string? Get(string path) => Value(path).Value;

    /// <summary>Writes the message as ER7: segments separated and ended by a carriage return.</summary>
    /// <returns>The message text.</returns>
    public string ToEr7()
    {
        var sb = new StringBuilder(_segments.Sum(s => s.Text.Length + 1));
        foreach (var segment in _segments)
        {
            sb.Append(segment.Text).Append('\r');
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{MessageType}^{TriggerEvent} {ControlId} (v{Version}, {_segments.Length} segments)");
}
