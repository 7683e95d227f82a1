using System.Globalization;
using System.Text;

namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>
/// HL7 v2 escape sequences: <c>\F\ \S\ \T\ \R\ \E\ \P\</c> for delimiters, <c>\Xhh…\</c> for bytes,
/// <c>\.br\</c> and the other formatting commands of FT, and the highlight and character-set escapes.
/// </summary>
/// <remarks>Thread-safe (static, no state).</remarks>
public static class Hl7V2Escaping
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes the escape sequences of a value.</summary>
    /// <param name="raw">The value as written in the message.</param>
    /// <param name="delimiters">The message's delimiters.</param>
    /// <returns>
    /// The text: delimiter escapes become the delimiters, <c>\.br\</c> and <c>\.sp\</c> line breaks, <c>\.sk n\</c> spaces,
    /// <c>\Xhh\</c> the bytes (UTF-8 when valid, else Latin-1); highlighting, character-set and other formatting
    /// commands are dropped. An unterminated or unknown escape is kept as written.
    /// </returns>
    public static string Unescape(ReadOnlySpan<char> raw, Hl7V2Delimiters delimiters)
    {
        var esc = delimiters.Escape;
        var first = raw.IndexOf(esc);
        if (first < 0)
        {
            return raw.ToString();
        }

        var sb = new StringBuilder(raw.Length);
        sb.Append(raw[..first]);
        var i = first;
        while (i < raw.Length)
        {
            var c = raw[i];
            if (c != esc)
            {
                sb.Append(c);
                i++;
                continue;
            }

            var close = raw[(i + 1)..].IndexOf(esc);
            if (close < 0)
            {
                sb.Append(raw[i..]);
                break;
            }

            var body = raw.Slice(i + 1, close);
            if (!TryAppendEscape(sb, body, delimiters))
            {
                // Not an escape we know: keep the opening escape character as text and go on after it.
                sb.Append(c);
                i++;
                continue;
            }

            i += close + 2;
        }

        return sb.ToString();
    }

    /// <summary>Encodes a value so it can be written inside a field, component or sub-component.</summary>
    /// <param name="value">The text.</param>
    /// <param name="delimiters">The message's delimiters.</param>
    /// <returns>The escaped text; <see cref="Unescape"/> gives back <paramref name="value"/>.</returns>
    /// <remarks>
    /// Delimiters become <c>\F\ \S\ \T\ \R\ \E\</c> (and <c>\P\</c>), a line feed <c>\.br\</c>, other control characters <c>\Xhh\</c>;
    /// a value of exactly two double quotes (HL7's explicit null) is written as <c>\X2222\</c>.
    /// </remarks>
    public static string Escape(string value, Hl7V2Delimiters delimiters)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value == "\"\"")
        {
            // Two double quotes alone are HL7's explicit null; as text they are written as hex bytes.
            return string.Concat(delimiters.Escape, "X2222", delimiters.Escape);
        }

        var needs = false;
        foreach (var c in value)
        {
            if (delimiters.IsDelimiter(c) || c < ' ')
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return value;
        }

        var e = delimiters.Escape;
        var sb = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (c == delimiters.Field)
            {
                sb.Append(e).Append('F').Append(e);
            }
            else if (c == delimiters.Component)
            {
                sb.Append(e).Append('S').Append(e);
            }
            else if (c == delimiters.SubComponent)
            {
                sb.Append(e).Append('T').Append(e);
            }
            else if (c == delimiters.Repetition)
            {
                sb.Append(e).Append('R').Append(e);
            }
            else if (c == e)
            {
                sb.Append(e).Append('E').Append(e);
            }
            else if (delimiters.Truncation != '\0' && c == delimiters.Truncation)
            {
                sb.Append(e).Append('P').Append(e);
            }
            else if (c == '\n')
            {
                sb.Append(e).Append(".br").Append(e);
            }
            else if (c < ' ')
            {
                sb.Append(e).Append('X').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture)).Append(e);
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static bool TryAppendEscape(StringBuilder sb, ReadOnlySpan<char> body, Hl7V2Delimiters d)
    {
        if (body.IsEmpty)
        {
            return false;
        }

        if (body.Length == 1)
        {
            switch (body[0])
            {
                case 'F': sb.Append(d.Field); return true;
                case 'S': sb.Append(d.Component); return true;
                case 'T': sb.Append(d.SubComponent); return true;
                case 'R': sb.Append(d.Repetition); return true;
                case 'E': sb.Append(d.Escape); return true;
                case 'P': sb.Append(d.Truncation == '\0' ? '#' : d.Truncation); return true;
                case 'H' or 'N': return true; // highlighting on/off: no plain-text equivalent
                default: return false;
            }
        }

        switch (body[0])
        {
            case 'X' or 'x':
                return TryAppendHex(sb, body[1..]);
            case 'C' or 'M' or 'Z':
                // Character-set switches (ISO 2022) and locally defined escapes: no plain-text content.
                return IsAlphanumeric(body[1..]);
            case '.':
                return TryAppendFormatting(sb, body[1..]);
            default:
                return false;
        }
    }

    private static bool TryAppendHex(StringBuilder sb, ReadOnlySpan<char> hex)
    {
        if (hex.Length == 0 || hex.Length % 2 != 0)
        {
            return false;
        }

        var bytes = new byte[hex.Length / 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            if (!byte.TryParse(hex.Slice(i * 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }

        try
        {
            sb.Append(StrictUtf8.GetString(bytes));
        }
        catch (DecoderFallbackException)
        {
            sb.Append(Encoding.Latin1.GetString(bytes));
        }

        return true;
    }

    private static bool TryAppendFormatting(StringBuilder sb, ReadOnlySpan<char> command)
    {
        var name = command.Length >= 2 ? command[..2] : command;
        var argument = command.Length > 2 ? command[2..].Trim() : [];
        var count = 1;
        if (!argument.IsEmpty && !int.TryParse(argument, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out count))
        {
            return false;
        }

        count = Math.Clamp(count, 0, 100);
        switch (name)
        {
            case "br":
                if (!argument.IsEmpty)
                {
                    return false;
                }

                sb.Append('\n');
                return true;
            case "sp":
                sb.Append('\n', Math.Max(count, 1));
                return true;
            case "sk":
                sb.Append(' ', count);
                return true;
            case "in" or "ti" or "fi" or "nf":
                return true;
            case "ce":
                sb.Append('\n');
                return true;
            default:
                return false;
        }
    }

    private static bool IsAlphanumeric(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
