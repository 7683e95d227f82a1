using System.Globalization;
using System.Text;
using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// Parses HL7 v2 ER7 text: segments ended by CR, LF or CRLF, an optional UTF-8 BOM, any MSH-declared
/// delimiters, several messages in one input, and FHS/BHS batches. Each message may declare its own delimiters.
/// </summary>
/// <remarks>
/// The parser scans the text once and records field offsets; components and escape sequences are decoded
/// only when asked for. Thread-safe (static, no state).
/// </remarks>
public static class Hl7V2Parser
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly System.Buffers.SearchValues<char> Terminators = System.Buffers.SearchValues.Create("\r\n\v\u001c");
    private static readonly System.Buffers.SearchValues<char> ControlCharacters = System.Buffers.SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000c\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001d\u001e\u001f");

    /// <summary>Parses exactly one message.</summary>
    /// <param name="text">The message text.</param>
    /// <param name="options">Limits; <see cref="Hl7V2ParserOptions.Default"/> when omitted.</param>
    /// <returns>The message.</returns>
    /// <exception cref="Hl7V2ParseException">The text is not one well-formed HL7 v2 message.</exception>
    public static Hl7V2Message ParseMessage(string text, Hl7V2ParserOptions? options = null)
    {
        var batch = Parse(text, options);
        return batch.Messages.Count == 1
            ? batch.Messages[0]
            : throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent, $"Expected one message, found {batch.Messages.Count}.");
    }

    /// <summary>Parses bytes, choosing the text encoding from a BOM or MSH-18 (UTF-8 by default, Latin-1 for 8859/1).</summary>
    /// <param name="content">The bytes.</param>
    /// <param name="options">Limits.</param>
    /// <returns>The messages and envelope.</returns>
    /// <exception cref="Hl7V2ParseException">The content is not well-formed HL7 v2.</exception>
    public static Hl7V2Batch Parse(ReadOnlySpan<byte> content, Hl7V2ParserOptions? options = null)
    {
        var warnings = new List<string>();
        string text;
        try
        {
            text = Decode(content, warnings);
        }
        catch (Exception ex) when (IsParserFault(ex))
        {
            throw Fault(ex);
        }

        return Parse(text, options, warnings);
    }

    /// <summary>Parses text holding one or more messages, optionally in FHS/BHS batches.</summary>
    /// <param name="text">The text.</param>
    /// <param name="options">Limits.</param>
    /// <returns>The messages and envelope.</returns>
    /// <exception cref="Hl7V2ParseException">The text is not well-formed HL7 v2.</exception>
    public static Hl7V2Batch Parse(string text, Hl7V2ParserOptions? options = null) => Parse(text, options, []);

    // Only typed errors leave the parser: a fault in its own code on hostile input becomes a parse error (named by
    // its type, never by the content) instead of escaping to a listener or a reader that cannot answer it.
    private static bool IsParserFault(Exception ex) =>
        ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException or FormatException or OverflowException or DecoderFallbackException;

    private static Hl7V2ParseException Fault(Exception ex) =>
        new(HealthRecordErrorCode.MalformedContent, $"The input could not be read as HL7 v2 ({ex.GetType().Name}).");

    /// <summary>Decodes HL7 v2 bytes to text (see <see cref="Parse(ReadOnlySpan{byte}, Hl7V2ParserOptions?)"/>).</summary>
    /// <param name="content">The bytes.</param>
    /// <param name="warnings">Receives a warning when the bytes had to be read as Latin-1.</param>
    /// <returns>The text, BOM removed.</returns>
    internal static string Decode(ReadOnlySpan<byte> content, List<string> warnings)
    {
        if (content.StartsWith("\uFEFF"u8))
        {
            return DecodeUtf8(content[3..], warnings);
        }

        if (content.Length >= 2 && content[0] == 0xFF && content[1] == 0xFE)
        {
            return Encoding.Unicode.GetString(content[2..]);
        }

        if (content.Length >= 2 && content[0] == 0xFE && content[1] == 0xFF)
        {
            return Encoding.BigEndianUnicode.GetString(content[2..]);
        }

        var charset = SniffCharacterSet(content);
        if (charset is not null && (charset.StartsWith("8859/", StringComparison.Ordinal) || charset == "ASCII" && !IsAscii(content)))
        {
            return charset is "8859/1" or "ASCII" ? Encoding.Latin1.GetString(content) : DecodeUtf8(content, warnings);
        }

        return DecodeUtf8(content, warnings);
    }

    private static bool IsAscii(ReadOnlySpan<byte> content) => System.Text.Ascii.IsValid(content);

    private static string DecodeUtf8(ReadOnlySpan<byte> content, List<string> warnings)
    {
        try
        {
            return StrictUtf8.GetString(content);
        }
        catch (DecoderFallbackException)
        {
            warnings.Add("The content is not valid UTF-8 and declares no character set; it was read as ISO 8859-1.");
            return Encoding.Latin1.GetString(content);
        }
    }

    /// <summary>Reads MSH-18 from the first MSH segment without decoding the whole input.</summary>
    private static string? SniffCharacterSet(ReadOnlySpan<byte> content)
    {
        var msh = content.IndexOf("MSH"u8);
        if (msh < 0 || content.Length < msh + 8)
        {
            return null;
        }

        var line = content[msh..];
        var end = line.IndexOfAny((byte)'\r', (byte)'\n');
        if (end >= 0)
        {
            line = line[..end];
        }

        if (line.Length < 8)
        {
            // "MSH" and a few bytes: too short to declare a character set (a poison frame must not break the sniffing).
            return null;
        }

        var separator = line[3];
        var field = 1;
        var start = 3;
        for (var i = 3; i < line.Length; i++)
        {
            if (line[i] != separator)
            {
                continue;
            }

            if (field == 18)
            {
                var value = line[start..i];
                return Encoding.ASCII.GetString(value.Length > 0 && value.IndexOf(line[4]) is var c and >= 0 ? value[..c] : value).Trim();
            }

            field++;
            start = i + 1;
        }

        if (field == 18)
        {
            var value = line[start..];
            var rep = value.IndexOf(line[5]);
            return Encoding.ASCII.GetString(rep >= 0 ? value[..rep] : value).Trim();
        }

        return null;
    }

    private static Hl7V2Batch Parse(string text, Hl7V2ParserOptions? options, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return ParseCore(text, options, warnings);
        }
        catch (Exception ex) when (IsParserFault(ex))
        {
            throw Fault(ex);
        }
    }

    private static Hl7V2Batch ParseCore(string text, Hl7V2ParserOptions? options, List<string> warnings)
    {
        options ??= Hl7V2ParserOptions.Default;
        var messages = new List<Hl7V2Message>();
        var envelope = new List<Hl7V2Segment>();
        List<Hl7V2Segment>? current = null;
        var delimiters = Hl7V2Delimiters.Default;
        var line = 0;
        var declaredBatchCount = -1;
        var messagesInBatch = 0;
        var span = text.AsSpan();
        var pos = 0;
        if (span.Length > 0 && span[0] == '\uFEFF')
        {
            pos = 1;
        }

        while (pos < span.Length)
        {
            var rest = span[pos..];
            var end = rest.IndexOfAny(Terminators);
            var segmentText = end < 0 ? rest : rest[..end];
            var segmentStart = pos;
            pos += end < 0 ? rest.Length : end + 1;
            if (IsBlank(segmentText))
            {
                continue;
            }

            line++;
            var id = ReadSegmentId(segmentText, line);
            var isHeader = id is "MSH" or "FHS" or "BHS";
            if (isHeader)
            {
                if (!Hl7V2Delimiters.TryRead(segmentText, out var declared, out var error))
                {
                    throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent, $"Wrong delimiters: {error}.", line, id, 2);
                }

                delimiters = declared;
            }
            else if (segmentText.Length > 3 && segmentText[3] != delimiters.Field)
            {
                throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent,
                    string.Create(CultureInfo.InvariantCulture, $"The segment id is followed by U+{(int)segmentText[3]:X4} instead of the field separator '{delimiters.Field}'."), line, id);
            }

            var str = text.Substring(segmentStart, segmentText.Length);
            var segment = new Hl7V2Segment(str, delimiters, line, FieldStarts(str, delimiters, id, line, options));
            switch (id)
            {
                case "MSH":
                    if (current is not null)
                    {
                        messages.Add(Complete(current, messages.Count + 1));
                    }

                    current = [segment];
                    messagesInBatch++;
                    break;
                case "FHS" or "BHS" or "BTS" or "FTS":
                    if (current is not null)
                    {
                        messages.Add(Complete(current, messages.Count + 1));
                        current = null;
                    }

                    envelope.Add(segment);
                    if (id == "BHS")
                    {
                        messagesInBatch = 0;
                    }
                    else if (id == "BTS")
                    {
                        declaredBatchCount = int.TryParse(segment.Get(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
                        if (declaredBatchCount >= 0 && declaredBatchCount != messagesInBatch)
                        {
                            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                                $"Line {line}: BTS-1 declares {declaredBatchCount} messages but the batch holds {messagesInBatch}."));
                        }
                    }

                    break;
                default:
                    if (current is null)
                    {
                        throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent,
                            "The segment comes before any MSH segment (a message must start with MSH).", line, id);
                    }

                    if (current.Count >= options.MaxSegmentsPerMessage)
                    {
                        throw new Hl7V2ParseException(HealthRecordErrorCode.LimitExceeded,
                            $"The message has more than {options.MaxSegmentsPerMessage:N0} segments (Hl7V2ParserOptions.MaxSegmentsPerMessage).", line, id);
                    }

                    current.Add(segment);
                    break;
            }
        }

        if (current is not null)
        {
            messages.Add(Complete(current, messages.Count + 1));
        }

        if (messages.Count == 0)
        {
            throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent, "The input holds no MSH segment, so no HL7 v2 message.", line);
        }

        return new Hl7V2Batch(messages, envelope, warnings);
    }

    /// <summary>Reads one header line (MSH, FHS, BHS) on its own, without requiring a complete message; for acknowledging broken input.</summary>
    /// <param name="line">The header line.</param>
    /// <returns>The segment, or <see langword="null"/> when the line is not a readable header.</returns>
    internal static Hl7V2Segment? TryReadHeaderLine(string line)
    {
        if (line.Length < 8 || !line.StartsWith("MSH", StringComparison.Ordinal) || !Hl7V2Delimiters.TryRead(line, out var delimiters, out _))
        {
            return null;
        }

        try
        {
            return new Hl7V2Segment(line, delimiters, 1, FieldStarts(line, delimiters, "MSH", 1, Hl7V2ParserOptions.Default));
        }
        catch (Hl7V2ParseException)
        {
            return null;
        }
    }

    private static Hl7V2Message Complete(List<Hl7V2Segment> segments, int index)
    {
        var msh = segments[0];
        if (string.IsNullOrEmpty(msh.Get(9)))
        {
            throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent,
                "The message is truncated or incomplete: MSH-9 (message type) is missing.", msh.Line, "MSH", 9);
        }

        var version = msh.Get(12);
        if (string.IsNullOrEmpty(version))
        {
            throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent,
                "The message is truncated or incomplete: MSH-12 (version id) is missing.", msh.Line, "MSH", 12);
        }

        if (!version.StartsWith("2.", StringComparison.Ordinal))
        {
            throw new Hl7V2ParseException(HealthRecordErrorCode.UnsupportedFormat,
                $"MSH-12 declares version '{version}'; only HL7 version 2.x is read.", msh.Line, "MSH", 12);
        }

        return new Hl7V2Message([.. segments], index);
    }

    private static bool IsBlank(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is not (' ' or '\t' or '\uFEFF' or '\0'))
            {
                return false;
            }
        }

        return true;
    }

    private static string ReadSegmentId(ReadOnlySpan<char> s, int line)
    {
        if (s.Length < 3 || !char.IsAsciiLetterUpper(s[0]) || !IsIdChar(s[1]) || !IsIdChar(s[2]))
        {
            // The line itself is not quoted: it may hold patient data, and this message reaches logs and ACKs.
            throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent,
                "The line is not an HL7 v2 segment: a segment starts with a three-character id (e.g. PID) and the field separator.", line);
        }

        return s[..3].ToString();
    }

    private static bool IsIdChar(char c) => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c);

    private static int[] FieldStarts(string segment, Hl7V2Delimiters delimiters, string id, int line, Hl7V2ParserOptions options)
    {
        var isHeader = id is "MSH" or "FHS" or "BHS";
        var span = segment.AsSpan();
        var count = span.Count(delimiters.Field) + 1;
        if (count > options.MaxFieldsPerSegment)
        {
            throw new Hl7V2ParseException(HealthRecordErrorCode.LimitExceeded,
                $"The segment has {count:N0} fields; the limit (Hl7V2ParserOptions.MaxFieldsPerSegment) is {options.MaxFieldsPerSegment:N0}.", line, id);
        }

        var starts = new int[count];
        var n = 0;
        var start = 0;
        while (true)
        {
            starts[n] = start;
            var next = span[start..].IndexOf(delimiters.Field);
            var length = next < 0 ? span.Length - start : next;
            if (length > options.MaxFieldLength)
            {
                var field = isHeader ? n + 1 : n;
                throw new Hl7V2ParseException(HealthRecordErrorCode.LimitExceeded,
                    $"The field is {length:N0} characters long; the limit (Hl7V2ParserOptions.MaxFieldLength) is {options.MaxFieldLength:N0}.", line, id, field);
            }

            var control = span.Slice(start, length).IndexOfAny(ControlCharacters);

            if (control >= 0)
            {
                var field = isHeader ? n + 1 : n;
                throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent,
                    string.Create(CultureInfo.InvariantCulture, $"The field holds the control character U+{(int)span[start + control]:X4}; the input looks binary, not ER7 text."), line, id, field);
            }

            if (next < 0)
            {
                break;
            }

            start += next + 1;
            n++;
        }

        return starts;
    }
}
