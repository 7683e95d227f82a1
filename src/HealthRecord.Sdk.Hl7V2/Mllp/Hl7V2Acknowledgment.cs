using System.Globalization;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>The acknowledgment codes of original-mode HL7 v2 (table 0008).</summary>
public enum Hl7V2AcknowledgmentCode
{
    /// <summary><c>AA</c>: application accept, the message was processed.</summary>
    Accept,

    /// <summary><c>AE</c>: application error, the message was understood but could not be processed; it may be re-sent.</summary>
    Error,

    /// <summary><c>AR</c>: application reject, the message is malformed or unsupported; re-sending it will not help.</summary>
    Reject,
}

/// <summary>An error the acknowledgment reports in its ERR segment.</summary>
/// <param name="Text">What went wrong, for people (no patient data).</param>
/// <param name="Hl7ErrorCode">The HL7 table 0357 code, e.g. <c>100</c> segment sequence error, <c>101</c> required field missing, <c>102</c> data type error, <c>207</c> application internal error.</param>
/// <param name="SegmentId">The segment at fault, when known.</param>
/// <param name="SegmentSequence">The 1-based line of the segment, when known.</param>
/// <param name="Field">The field at fault, when known.</param>
public sealed record Hl7V2AcknowledgmentError(string Text, string Hl7ErrorCode = "207", string? SegmentId = null, int SegmentSequence = 0, int Field = 0)
{
    /// <summary>The error for a message that could not be parsed.</summary>
    /// <param name="exception">The parse error.</param>
    /// <returns>The error, with its location and table 0357 code.</returns>
    public static Hl7V2AcknowledgmentError From(Hl7V2ParseException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var code = exception.Code switch
        {
            Errors.HealthRecordErrorCode.UnsupportedFormat => "203",
            Errors.HealthRecordErrorCode.LimitExceeded => "102",
            _ when exception.Field > 0 && exception.Reason.Contains("missing", StringComparison.Ordinal) => "101",
            _ when exception.Field > 0 => "102",
            _ => "100",
        };
        return new Hl7V2AcknowledgmentError(exception.Reason, code, exception.SegmentId, exception.Line, exception.Field);
    }
}

/// <summary>Builds original-mode acknowledgments (<c>ACK</c> with <c>MSA</c> and, for errors, <c>ERR</c>).</summary>
/// <remarks>Thread-safe (static, no state).</remarks>
public static class Hl7V2Acknowledgment
{
    /// <summary>Builds the acknowledgment of a parsed message.</summary>
    /// <param name="message">The message acknowledged.</param>
    /// <param name="code">AA, AE or AR.</param>
    /// <param name="error">The error to report (for AE and AR).</param>
    /// <param name="timestamp">The time written in MSH-7.</param>
    /// <returns>The ACK message as ER7 (segments ended by CR).</returns>
    public static string Create(Hl7V2Message message, Hl7V2AcknowledgmentCode code, Hl7V2AcknowledgmentError? error, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(message);
        var h = message.Header;
        return Build(
            message.Delimiters,
            receiving: (h.Field(5).Raw.ToString(), h.Field(6).Raw.ToString()),
            sending: (h.Field(3).Raw.ToString(), h.Field(4).Raw.ToString()),
            trigger: message.TriggerEvent,
            controlId: message.ControlId,
            processingId: message.ProcessingId ?? "P",
            version: message.Version,
            code,
            error,
            timestamp);
    }

    /// <summary>
    /// Builds the acknowledgment of bytes that could not be parsed as a message: the control id and addresses are taken
    /// from the MSH line when it can be read, else left empty.
    /// </summary>
    /// <param name="content">The text received.</param>
    /// <param name="code">Usually <see cref="Hl7V2AcknowledgmentCode.Reject"/>.</param>
    /// <param name="error">The error to report.</param>
    /// <param name="timestamp">The time written in MSH-7.</param>
    /// <returns>The ACK message as ER7.</returns>
    public static string CreateForUnparsed(string? content, Hl7V2AcknowledgmentCode code, Hl7V2AcknowledgmentError error, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(error);
        var header = TryReadHeader(content);
        if (header is null)
        {
            return Build(Hl7V2Delimiters.Default, (string.Empty, string.Empty), (string.Empty, string.Empty), string.Empty, null, "P", "2.5.1", code, error, timestamp);
        }

        // The addresses are copied as they came (still ER7-encoded with the input's own delimiters, which the ACK
        // reuses): decoding them would write escaped delimiters or control characters raw and shift the ACK's fields.
        return Build(header.Delimiters,
            receiving: (header.Field(5).Raw.ToString(), header.Field(6).Raw.ToString()),
            sending: (header.Field(3).Raw.ToString(), header.Field(4).Raw.ToString()),
            trigger: header.Get(9, 2) ?? string.Empty,
            controlId: header.Get(10),
            processingId: header.Get(11) ?? "P",
            version: header.Get(12) is { } v && v.StartsWith("2.", StringComparison.Ordinal) ? v : "2.5.1",
            code,
            error,
            timestamp);
    }

    /// <summary>The two-letter code (<c>AA</c>, <c>AE</c>, <c>AR</c>).</summary>
    /// <param name="code">The code.</param>
    /// <returns>Its HL7 value.</returns>
    public static string ToHl7(this Hl7V2AcknowledgmentCode code) => code switch
    {
        Hl7V2AcknowledgmentCode.Accept => "AA",
        Hl7V2AcknowledgmentCode.Error => "AE",
        Hl7V2AcknowledgmentCode.Reject => "AR",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };

    private static Hl7V2Segment? TryReadHeader(string? content)
    {
        if (content is null)
        {
            return null;
        }

        var start = content.IndexOf("MSH", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var end = content.AsSpan(start).IndexOfAny('\r', '\n');
        var line = end < 0 ? content[start..] : content.Substring(start, end);
        // Only the header line, with the fields an ACK needs: a broken body or a truncated header cannot stop the answer.
        return Hl7V2Parser.TryReadHeaderLine(line);
    }

    private static string Build(
        Hl7V2Delimiters delimiters,
        (string App, string Facility) receiving,
        (string App, string Facility) sending,
        string trigger,
        string? controlId,
        string processingId,
        string version,
        Hl7V2AcknowledgmentCode code,
        Hl7V2AcknowledgmentError? error,
        DateTimeOffset timestamp)
    {
        var d = delimiters;
        var msh = new Hl7V2SegmentBuilder("MSH", d)
            .Set(7, timestamp.ToString("yyyyMMddHHmmsszzz", CultureInfo.InvariantCulture).Replace(":", string.Empty, StringComparison.Ordinal))
            .Set(9, "ACK").Set(9, trigger, 2).Set(9, "ACK", 3)
            .Set(10, "ACK" + EhrIds.From("hl7v2-ack", controlId ?? string.Empty, code.ToHl7(), timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture))[..18].Replace("-", string.Empty, StringComparison.Ordinal))
            .Set(11, processingId)
            .Set(12, version);

        // Sender and receiver swap; their values are already ER7-encoded, so they are written as they came.
        var text = msh.ToString();
        var fields = text.Split(d.Field);
        fields[2] = WithoutControlCharacters(receiving.App);
        fields[3] = WithoutControlCharacters(receiving.Facility);
        fields[4] = WithoutControlCharacters(sending.App);
        fields[5] = WithoutControlCharacters(sending.Facility);
        var segments = new List<string> { string.Join(d.Field, fields) };
        var msa = new Hl7V2SegmentBuilder("MSA", d).Set(1, code.ToHl7()).Set(2, controlId);
        if (error is not null)
        {
            msa.Set(3, Truncate(error.Text, 80));
        }

        segments.Add(msa.ToString());
        if (error is not null)
        {
            var err = new Hl7V2SegmentBuilder("ERR", d);
            if (error.SegmentId is not null)
            {
                err.Set(2, error.SegmentId).Set(2, error.SegmentSequence > 0 ? error.SegmentSequence.ToString(CultureInfo.InvariantCulture) : null, 2)
                    .Set(2, error.Field > 0 ? error.Field.ToString(CultureInfo.InvariantCulture) : null, 3);
            }

            err.Set(3, error.Hl7ErrorCode).Set(3, ErrorName(error.Hl7ErrorCode), 2).Set(3, "HL70357", 3)
                .Set(4, code == Hl7V2AcknowledgmentCode.Accept ? "W" : "E")
                .Set(8, Truncate(error.Text, 250));
            segments.Add(err.ToString());
        }

        return string.Join('\r', segments) + "\r";
    }

    private static string ErrorName(string code) => code switch
    {
        "0" => "Message accepted",
        "100" => "Segment sequence error",
        "101" => "Required field missing",
        "102" => "Data type error",
        "103" => "Table value not found",
        "200" => "Unsupported message type",
        "201" => "Unsupported event code",
        "202" => "Unsupported processing id",
        "203" => "Unsupported version id",
        "206" => "Application record locked",
        _ => "Application internal error",
    };

    // A raw control character (a segment or frame terminator, an MLLP start block) would break the ACK's structure.
    private static string WithoutControlCharacters(string value) =>
        value.AsSpan().IndexOfAnyInRange('\0', '\u001f') < 0 ? value : string.Concat(value.Where(c => c >= ' '));

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
