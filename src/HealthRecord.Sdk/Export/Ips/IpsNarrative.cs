using System.Text;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Export.Ips;

/// <summary>Writes the XHTML narratives of an IPS: every value escaped, only elements FHIR narrative allows.</summary>
internal static class IpsNarrative
{
    public const string XhtmlNamespace = "http://www.w3.org/1999/xhtml";

    /// <summary>One row of a section table.</summary>
    public sealed record Row(string Item, string Status, string Date, string Details, string Sources);

    public static readonly string[] Columns = ["Item", "Status", "Date", "Details", "Sources"];

    public static Narrative Table(string? intro, IReadOnlyList<Row> rows)
    {
        var sb = new StringBuilder();
        sb.Append("<div xmlns=\"").Append(XhtmlNamespace).Append("\">");
        if (intro is not null)
        {
            sb.Append("<p>").Append(Escape(intro)).Append("</p>");
        }

        if (rows.Count > 0)
        {
            sb.Append("<table><thead><tr>");
            foreach (var c in Columns)
            {
                sb.Append("<th>").Append(c).Append("</th>");
            }

            sb.Append("</tr></thead><tbody>");
            foreach (var r in rows)
            {
                sb.Append("<tr>");
                foreach (var cell in new[] { r.Item, r.Status, r.Date, r.Details, r.Sources })
                {
                    sb.Append("<td>").Append(Escape(cell)).Append("</td>");
                }

                sb.Append("</tr>");
            }

            sb.Append("</tbody></table>");
        }

        sb.Append("</div>");
        return new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = sb.ToString() };
    }

    public static Narrative Paragraphs(IEnumerable<string> paragraphs, IEnumerable<string>? list = null)
    {
        var sb = new StringBuilder();
        sb.Append("<div xmlns=\"").Append(XhtmlNamespace).Append("\">");
        foreach (var p in paragraphs)
        {
            sb.Append("<p>").Append(Escape(p)).Append("</p>");
        }

        var items = list?.ToList() ?? [];
        if (items.Count > 0)
        {
            sb.Append("<ul>");
            foreach (var i in items)
            {
                sb.Append("<li>").Append(Escape(i)).Append("</li>");
            }

            sb.Append("</ul>");
        }

        sb.Append("</div>");
        return new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = sb.ToString() };
    }

    /// <summary>Escapes text for XHTML content and attributes, and drops characters XML cannot hold.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var sb = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            switch (ch)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default:
                    if (char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(ch).Append(text[++i]);
                    }
                    else if (ch is '\t' or '\n' or '\r' || (ch >= 0x20 && ch <= 0xD7FF) || (ch >= 0xE000 && ch <= 0xFFFD))
                    {
                        sb.Append(ch);
                    }

                    break;
            }
        }

        return sb.ToString();
    }
}
