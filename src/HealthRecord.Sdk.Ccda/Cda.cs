using System.Text;
using System.Xml.Linq;

namespace HealthRecord.Sdk.Ccda;

/// <summary>Names and small helpers over the CDA XML tree.</summary>
internal static class Cda
{
    public static readonly XNamespace V3 = "urn:hl7-org:v3";
    public static readonly XNamespace Sdtc = "urn:hl7-org:sdtc";
    public static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>The first child of that v3 name.</summary>
    public static XElement? E(this XElement? element, string name) => element?.Element(V3 + name);

    /// <summary>The children of that v3 name.</summary>
    public static IEnumerable<XElement> Es(this XElement? element, string name) => element?.Elements(V3 + name) ?? [];

    /// <summary>An attribute's trimmed value, or null when absent or blank.</summary>
    public static string? A(this XElement? element, string name)
    {
        var value = element?.Attribute(name)?.Value.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>The nullFlavor, when the element has one.</summary>
    public static string? NullFlavor(this XElement? element) => element.A("nullFlavor");

    /// <summary>Whether the element is absent or carries a nullFlavor.</summary>
    public static bool IsNull(this XElement? element) => element is null || element.NullFlavor() is not null;

    /// <summary>The xsi:type's local name, when given.</summary>
    public static string? XsiType(this XElement? element)
    {
        var type = element?.Attribute(Xsi + "type")?.Value.Trim();
        if (string.IsNullOrEmpty(type))
        {
            return null;
        }

        var colon = type.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 ? type[(colon + 1)..] : type;
    }

    /// <summary>The templateId roots of the element.</summary>
    public static IEnumerable<string> TemplateIds(this XElement? element) =>
        element.Es("templateId").Select(t => t.A("root")).OfType<string>();

    /// <summary>Whether the element declares the template (any version extension).</summary>
    public static bool HasTemplate(this XElement? element, params string[] roots) =>
        element.TemplateIds().Any(r => roots.Contains(r, StringComparer.Ordinal));

    /// <summary>Whether <c>negationInd="true"</c>.</summary>
    public static bool Negated(this XElement? element) => string.Equals(element.A("negationInd"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The clinical statement inside an entry, entryRelationship or component.</summary>
    public static XElement? Statement(this XElement? holder) =>
        holder?.Elements().FirstOrDefault(e => e.Name.Namespace == V3 && StatementNames.Contains(e.Name.LocalName));

    /// <summary>The clinical statements of a holder's entryRelationships (optionally of one typeCode).</summary>
    public static IEnumerable<XElement> Related(this XElement? statement, string? typeCode = null) =>
        statement.Es("entryRelationship")
            .Where(r => typeCode is null || string.Equals(r.A("typeCode"), typeCode, StringComparison.OrdinalIgnoreCase))
            .Select(r => r.Statement()).OfType<XElement>();

    public static readonly HashSet<string> StatementNames = new(StringComparer.Ordinal)
    {
        "act", "observation", "organizer", "procedure", "substanceAdministration", "supply", "encounter", "regionOfInterest", "observationMedia",
    };

    /// <summary>A readable XPath: local names, 1-based positions among same-named siblings.</summary>
    public static string XPath(this XElement element)
    {
        var parts = new Stack<string>();
        for (var e = element; e is not null; e = e.Parent)
        {
            var name = e.Name.Namespace == V3 ? e.Name.LocalName : (e.Name.Namespace == Sdtc ? "sdtc:" + e.Name.LocalName : e.Name.LocalName);
            if (e.Parent is { } parent)
            {
                var same = parent.Elements(e.Name).ToList();
                if (same.Count > 1)
                {
                    name += "[" + (same.IndexOf(e) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";
                }
            }

            parts.Push(name);
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>Normalises whitespace of free text; null when nothing is left.</summary>
    public static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }

            if (space && sb.Length > 0)
            {
                sb.Append(' ');
            }

            space = false;
            sb.Append(c);
        }

        return sb.ToString();
    }
}
