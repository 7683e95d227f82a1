using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// HL7 v2 (ER7) text could not be parsed: not a segment, wrong delimiters, a truncated header,
/// binary content or a field over the size limit. Names the line, segment and field at fault.
/// </summary>
public sealed class Hl7V2ParseException : HealthRecordException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The stable error code (<see cref="HealthRecordErrorCode.MalformedContent"/>, <see cref="HealthRecordErrorCode.LimitExceeded"/>, …).</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="line">The 1-based segment line in the input, 0 when unknown.</param>
    /// <param name="segmentId">The segment id at fault, when known.</param>
    /// <param name="field">The 1-based field number at fault, 0 when the whole segment is at fault.</param>
    public Hl7V2ParseException(HealthRecordErrorCode code, string message, int line = 0, string? segmentId = null, int field = 0)
        : base(code, Describe(message, line, segmentId, field))
    {
        Line = line;
        SegmentId = segmentId;
        Field = field;
        Reason = message;
    }

    /// <summary>The 1-based segment line in the input (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>The segment id at fault (e.g. <c>PID</c>), when known.</summary>
    public string? SegmentId { get; }

    /// <summary>The 1-based field number at fault, 0 when the whole segment is at fault.</summary>
    public int Field { get; }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string Reason { get; }

    /// <summary>Where the problem is, e.g. <c>line 3, PID-5</c>.</summary>
    public string Location => Describe(null, Line, SegmentId, Field);

    private static string Describe(string? message, int line, string? segmentId, int field)
    {
        var where = line > 0 ? $"line {line}" : "input";
        if (segmentId is not null)
        {
            where += field > 0 ? $", {segmentId}-{field}" : $", segment {segmentId}";
        }

        return message is null ? where : $"HL7 v2 {where}: {message}";
    }
}
