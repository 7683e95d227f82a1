using System.Text;
using System.Xml;
using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Export.Ips;

/// <summary>
/// Renders an IPS document Bundle as one standalone HTML page a person can open in a browser: the Composition's
/// narrative, then each section's title and narrative, in document order. No script, no external resources.
/// </summary>
/// <remarks>
/// The narratives are re-written, not copied: only plain structural elements (paragraphs, lists, tables, emphasis)
/// are kept, without attributes, and all text is escaped, so an IPS from elsewhere cannot inject markup. Thread-safe.
/// </remarks>
public static class IpsHtml
{
    private static readonly HashSet<string> Allowed =
    [
        "div", "p", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "ul", "ol", "li", "b", "i", "em", "strong", "span",
        "br", "h3", "h4", "h5", "h6", "caption", "code", "pre", "sub", "sup",
    ];

    private const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2430;line-height:1.45}
        header{border-bottom:3px solid #2b5f9e;margin-bottom:1.5rem}
        h1{color:#2b5f9e;margin:0 0 .5rem}
        h2{color:#2b5f9e;border-bottom:1px solid #c9d6e6;padding-bottom:.2rem;margin-top:2rem}
        table{border-collapse:collapse;width:100%;font-size:.92rem}
        th,td{border:1px solid #c9d6e6;padding:.3rem .5rem;text-align:left;vertical-align:top}
        th{background:#eef3f9}
        tr:nth-child(even) td{background:#f8fafc}
        .meta{color:#555;font-size:.9rem}
        footer{margin-top:2rem;color:#666;font-size:.85rem;border-top:1px solid #ddd;padding-top:.5rem}
        """;

    /// <summary>Renders the page.</summary>
    /// <param name="ips">An IPS document Bundle (Composition first), as <see cref="IIpsDocumentBuilder"/> builds it.</param>
    /// <returns>The HTML page (UTF-8 text, LF line ends).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ips"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The bundle does not start with a Composition.</exception>
    public static string Render(Bundle ips)
    {
        ArgumentNullException.ThrowIfNull(ips);
        if (ips.Entry.FirstOrDefault()?.Resource is not Composition composition)
        {
            throw new ArgumentException("An IPS document starts with its Composition.", nameof(ips));
        }

        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<title>").Append(IpsNarrative.Escape(composition.Title ?? "International Patient Summary")).Append("</title>\n");
        sb.Append("<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n<header>\n<h1>").Append(IpsNarrative.Escape(composition.Title ?? "International Patient Summary")).Append("</h1>\n");
        AppendNarrative(sb, composition.Text?.Div);
        sb.Append("</header>\n<main>\n");
        foreach (var section in composition.Section)
        {
            sb.Append("<section>\n<h2>").Append(IpsNarrative.Escape(section.Title ?? IpsAssembler.Display(section.Code))).Append("</h2>\n");
            AppendNarrative(sb, section.Text?.Div);
            sb.Append("</section>\n");
        }

        sb.Append("</main>\n<footer>Document ").Append(IpsNarrative.Escape(ips.Identifier?.Value ?? ips.Id))
            .Append(", ").Append(IpsNarrative.Escape(composition.Date)).Append(". Rendered from the FHIR R4 IPS document by HealthRecord.Sdk.</footer>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void AppendNarrative(StringBuilder sb, string? div)
    {
        if (string.IsNullOrWhiteSpace(div))
        {
            return;
        }

        XElement root;
        try
        {
            using var reader = XmlReader.Create(new StringReader(div), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            root = XElement.Load(reader);
        }
        catch (XmlException)
        {
            sb.Append("<p class=\"meta\">(the narrative of this part is not well-formed and is not shown)</p>\n");
            return;
        }

        Write(sb, root);
        sb.Append('\n');
    }

    private static void Write(StringBuilder sb, XNode node)
    {
        switch (node)
        {
            case XText text:
                sb.Append(IpsNarrative.Escape(text.Value));
                break;
            case XElement e:
                var name = e.Name.LocalName;
                var keep = Allowed.Contains(name);
                if (keep)
                {
                    sb.Append('<').Append(name).Append('>');
                }

                if (name != "br")
                {
                    foreach (var child in e.Nodes())
                    {
                        Write(sb, child);
                    }

                    if (keep)
                    {
                        sb.Append("</").Append(name).Append('>');
                    }
                }

                break;
        }
    }
}
