using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HealthRecord.Sdk.Deidentification.Tests;

/// <summary>One identifier found in an input: what kind, and its text.</summary>
internal sealed record InputIdentifier(string Kind, string Value);

/// <summary>
/// Extracts the identifiers of an input straight from its own format (FHIR JSON, C-CDA XML, HL7 v2 ER7), independently of
/// the de-identification rules, and searches output bytes for them: case-insensitive, as whole tokens (not inside a longer
/// word or number), with base64 content decoded. Tokens too short to search meaningfully (under 3 characters; identifier
/// values under 4) are skipped.
/// </summary>
internal static partial class IdentifierOracle
{
    // ---------- FHIR JSON ----------

    public static List<InputIdentifier> FromFhirJson(string json)
    {
        var found = new List<InputIdentifier>();
        using var doc = JsonDocument.Parse(json);
        WalkJson(doc.RootElement, null, found);
        return found;
    }

    private static void WalkJson(JsonElement e, string? key, List<InputIdentifier> found)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                // HumanName: family/given parts.
                if (e.TryGetProperty("family", out var family) || e.TryGetProperty("given", out _))
                {
                    if (family.ValueKind == JsonValueKind.String)
                    {
                        AddWords(found, "name", family.GetString());
                    }

                    if (e.TryGetProperty("given", out var given) && given.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var g in given.EnumerateArray())
                        {
                            AddWords(found, "name", g.GetString());
                        }
                    }
                }

                // Address.
                if (e.TryGetProperty("city", out _) || e.TryGetProperty("line", out _) || e.TryGetProperty("postalCode", out _))
                {
                    if (e.TryGetProperty("line", out var lines) && lines.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var l in lines.EnumerateArray())
                        {
                            Add(found, "address line", l.GetString());
                        }
                    }

                    // A city that is its own state (Synthea's "Mexico City") is state-level geography, which Safe Harbor keeps.
                    if (e.TryGetProperty("city", out var city) && !(e.TryGetProperty("state", out var state) && state.GetString() == city.GetString()))
                    {
                        Add(found, "city", city.GetString());
                    }

                    if (e.TryGetProperty("postalCode", out var zip))
                    {
                        Add(found, "postcode", zip.GetString());
                    }
                }

                // ContactPoint.
                if (e.TryGetProperty("system", out var sys) && sys.ValueKind == JsonValueKind.String
                    && sys.GetString() is "phone" or "fax" or "email" or "url" or "sms" or "pager" && e.TryGetProperty("value", out var tel))
                {
                    Add(found, "telecom", tel.GetString());
                }

                // Identifier values.
                if (key == "identifier" && e.TryGetProperty("value", out var idValue) && idValue.ValueKind == JsonValueKind.String)
                {
                    Add(found, "identifier", idValue.GetString());
                }

                // Extensions that carry a name (mother's maiden name).
                if (e.TryGetProperty("url", out var url) && url.GetString()?.Contains("MaidenName", StringComparison.OrdinalIgnoreCase) == true
                    && e.TryGetProperty("valueString", out var maiden))
                {
                    AddWords(found, "name", maiden.GetString());
                }

                // Narrative and notes.
                if (key == "text" && e.TryGetProperty("div", out var div))
                {
                    AddSentences(found, Regex.Replace(div.GetString() ?? "", "<[^>]*>", "\n"));
                }

                if (key == "note" && e.TryGetProperty("text", out var note))
                {
                    AddSentences(found, note.GetString());
                }

                foreach (var p in e.EnumerateObject())
                {
                    WalkJson(p.Value, p.Name, found);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    WalkJson(item, key, found);
                }

                break;
            case JsonValueKind.String:
                var s = e.GetString() ?? "";
                if (IsoDate().Match(s) is { Success: true } m)
                {
                    Add(found, key == "birthDate" ? "birth date" : "date", m.Value);
                }

                break;
        }
    }

    // ---------- C-CDA ----------

    private static readonly XNamespace V3 = "urn:hl7-org:v3";

    public static List<InputIdentifier> FromCcda(XDocument doc)
    {
        var found = new List<InputIdentifier>();
        foreach (var name in doc.Descendants(V3 + "name").Where(n => n.Elements(V3 + "given").Any() || n.Elements(V3 + "family").Any()))
        {
            foreach (var part in name.Elements().Where(p => p.Name == V3 + "given" || p.Name == V3 + "family"))
            {
                AddWords(found, "name", part.Value);
            }
        }

        foreach (var addr in doc.Descendants(V3 + "addr"))
        {
            foreach (var line in addr.Elements(V3 + "streetAddressLine"))
            {
                Add(found, "address line", line.Value);
            }

            foreach (var city in addr.Elements(V3 + "city"))
            {
                Add(found, "city", city.Value);
            }

            foreach (var zip in addr.Elements(V3 + "postalCode"))
            {
                Add(found, "postcode", zip.Value);
            }
        }

        foreach (var telecom in doc.Descendants(V3 + "telecom"))
        {
            var value = (string?)telecom.Attribute("value");
            if (value is not null)
            {
                var colon = value.IndexOf(':', StringComparison.Ordinal);
                Add(found, "telecom", colon >= 0 && !value.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? value[(colon + 1)..] : value);
            }
        }

        foreach (var id in doc.Descendants(V3 + "id"))
        {
            var extension = (string?)id.Attribute("extension");
            Add(found, "identifier", extension ?? (string?)id.Attribute("root"));
        }

        foreach (var attr in doc.Descendants().Attributes("value"))
        {
            if (attr.Parent!.Name.Namespace == V3 && Hl7Date().Match(attr.Value) is { Success: true } m && ValidDate(m.Value) is { } iso)
            {
                var kind = attr.Parent.Name.LocalName == "birthTime" ? "birth date" : "date";
                Add(found, kind, iso);
                Add(found, kind, m.Value);
            }
        }

        foreach (var text in doc.Descendants(V3 + "section").Elements(V3 + "text"))
        {
            foreach (var block in text.DescendantsAndSelf().Where(b => !b.HasElements))
            {
                AddSentences(found, block.Value);
            }
        }

        return found;
    }

    // ---------- HL7 v2 ----------

    public static List<InputIdentifier> FromHl7V2(string message)
    {
        var found = new List<InputIdentifier>();
        foreach (var segment in message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = segment.Split('|');
            var name = fields[0].Trim();
            string F(int i) => name == "MSH" ? (i - 1 < fields.Length && i >= 1 ? fields[i - 1] : "") : (i < fields.Length ? fields[i] : "");
            switch (name)
            {
                case "PID":
                    foreach (var cx in Repetitions(F(3)))
                    {
                        Add(found, "identifier", Component(cx, 1));
                    }

                    foreach (var i in new[] { 5, 6, 9 })
                    {
                        foreach (var xpn in Repetitions(F(i)))
                        {
                            AddWords(found, "name", Subcomponent(Component(xpn, 1), 1));
                            AddWords(found, "name", Component(xpn, 2));
                            AddWords(found, "name", Component(xpn, 3));
                        }
                    }

                    foreach (var xad in Repetitions(F(11)))
                    {
                        Add(found, "address line", Subcomponent(Component(xad, 1), 1));
                        Add(found, "city", Component(xad, 3));
                        Add(found, "postcode", Component(xad, 5));
                    }

                    foreach (var i in new[] { 13, 14 })
                    {
                        foreach (var xtn in Repetitions(F(i)))
                        {
                            Add(found, "telecom", Component(xtn, 1));
                            Add(found, "telecom", Component(xtn, 4));
                            Add(found, "telecom", Component(xtn, 7));
                        }
                    }

                    Add(found, "identifier", Component(F(19), 1));
                    Add(found, "identifier", Component(F(20), 1));
                    if (Hl7Date().Match(F(7)) is { Success: true } birth && ValidDate(birth.Value) is { } iso)
                    {
                        Add(found, "birth date", iso);
                    }

                    break;
                case "NK1":
                    foreach (var xpn in Repetitions(F(2)))
                    {
                        AddWords(found, "name", Subcomponent(Component(xpn, 1), 1));
                        AddWords(found, "name", Component(xpn, 2));
                    }

                    foreach (var xad in Repetitions(F(4)))
                    {
                        Add(found, "address line", Subcomponent(Component(xad, 1), 1));
                        Add(found, "city", Component(xad, 3));
                        Add(found, "postcode", Component(xad, 5));
                    }

                    foreach (var xtn in Repetitions(F(5)))
                    {
                        Add(found, "telecom", Component(xtn, 1));
                    }

                    break;
                case "NTE":
                    AddSentences(found, F(3));
                    break;
                case "OBX" when F(2) is "TX" or "FT":
                    AddSentences(found, F(5));
                    break;
            }

            // Full dates anywhere (timestamps of every segment).
            foreach (var field in fields.Skip(1))
            {
                foreach (Match m in Hl7DateInText().Matches(field))
                {
                    if (ValidDate(m.Value) is { } iso)
                    {
                        Add(found, "date", iso);
                    }
                }
            }
        }

        return found;
    }

    private static IEnumerable<string> Repetitions(string field) => field.Split('~');

    private static string Component(string field, int i)
    {
        var parts = field.Split('^');
        return i - 1 < parts.Length ? parts[i - 1] : "";
    }

    private static string Subcomponent(string component, int i)
    {
        var parts = component.Split('&');
        return i - 1 < parts.Length ? parts[i - 1] : "";
    }

    // ---------- shared ----------

    private static string? ValidDate(string digitsOrIso)
    {
        var digits = digitsOrIso.Replace("-", "", StringComparison.Ordinal);
        if (digits.Length < 8)
        {
            return null;
        }

        return DateOnly.TryParseExact(digits[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d.Year is > 1800 and < 2200
            ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : null;
    }

    // Placeholders some documents put where a name or id should be: not identifiers of anyone.
    private static readonly HashSet<string> Placeholders = new(StringComparer.OrdinalIgnoreCase) { "unknown", "provider", "patient", "none", "null", "test", "unk" };

    private static void Add(List<InputIdentifier> found, string kind, string? value)
    {
        value = value?.Trim();
        // Identifier values must be distinctive: at least 4 characters, and 5 digits when numeric (a 4-digit number is a year).
        var min = kind is "identifier" or "telecom" ? (value?.All(char.IsDigit) == true ? 5 : 4) : 3;
        if (!string.IsNullOrEmpty(value) && value.Length >= min && value.Any(char.IsLetterOrDigit) && !Placeholders.Contains(value))
        {
            found.Add(new InputIdentifier(kind, value));
        }
    }

    private static void AddWords(List<InputIdentifier> found, string kind, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        foreach (var word in value.Split([' ', ',', '.'], StringSplitOptions.RemoveEmptyEntries))
        {
            Add(found, kind, word);
        }
    }

    private static void AddSentences(List<InputIdentifier> found, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }

        foreach (var sentence in text.Split(['.', ';', '\n', '\r', '!', '?'], StringSplitOptions.RemoveEmptyEntries))
        {
            var words = sentence.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length >= 6)
            {
                Add(found, "narrative", string.Join(' ', words));
            }
        }
    }

    /// <summary>The input identifiers found in the output: each as "kind 'value' in '…context…'".</summary>
    /// <param name="identifiers">The input's identifiers.</param>
    /// <param name="vocabulary">The input's code display texts: a word of them in the output is explained by the kept codes.</param>
    /// <param name="outputText">The output.</param>
    public static List<string> Leaks(IEnumerable<InputIdentifier> identifiers, IReadOnlyCollection<string> vocabulary, string outputText)
    {
        var haystack = Normalize(outputText);
        var codes = Normalize(string.Join("\n", vocabulary));
        var leaks = new List<string>();
        foreach (var id in identifiers.Distinct())
        {
            var needle = Normalize(id.Value);
            if (needle.Length == 0 || ContainsToken(codes, needle) >= 0)
            {
                continue;
            }

            var at = ContainsToken(haystack, needle);
            if (at >= 0)
            {
                var from = Math.Max(0, at - 60);
                leaks.Add($"{id.Kind} '{id.Value}' in '…{haystack[from..Math.Min(haystack.Length, at + needle.Length + 60)]}…'");
            }
        }

        return leaks;
    }

    /// <summary>The display texts of the codes of a FHIR JSON input.</summary>
    public static List<string> VocabularyOfFhirJson(string json) =>
        [.. DisplayValue().Matches(json).Select(m => Regex.Unescape(m.Groups[1].Value))];

    /// <summary>The display names of the codes of a C-CDA input.</summary>
    public static List<string> VocabularyOfCcda(XDocument doc) =>
        [.. doc.Descendants().Attributes("displayName").Select(a => a.Value)];

    /// <summary>The texts of coded HL7 v2 fields (code^text^system triples).</summary>
    public static List<string> VocabularyOfHl7V2(string message)
    {
        var words = new List<string>();
        foreach (var field in message.Split(['\r', '\n', '|', '~']))
        {
            var parts = field.Split('^');
            if (parts.Length >= 3 && parts[0].Length > 0 && parts[2].Length > 0)
            {
                words.Add(parts[1]);
            }
        }

        return words;
    }

    /// <summary>All output files' text, with every base64 string in them decoded and appended.</summary>
    public static string OutputText(IEnumerable<byte[]> files)
    {
        var sb = new StringBuilder();
        foreach (var bytes in files)
        {
            var text = Encoding.UTF8.GetString(bytes);
            sb.Append(text).Append('\n');
            foreach (Match m in Base64().Matches(text))
            {
                try
                {
                    sb.Append(Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value))).Append('\n');
                }
                catch (FormatException)
                {
                    // Not base64 after all.
                }
            }
        }

        return sb.ToString();
    }

    private static string Normalize(string s) => WhiteSpace().Replace(s.ToLowerInvariant(), " ").Trim();

    private static int ContainsToken(string haystack, string needle)
    {
        for (var i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + 1, StringComparison.Ordinal))
        {
            var before = i == 0 || !char.IsLetterOrDigit(haystack[i - 1]) || !char.IsLetterOrDigit(needle[0]);
            var end = i + needle.Length;
            var after = end >= haystack.Length || !char.IsLetterOrDigit(haystack[end]) || !char.IsLetterOrDigit(needle[^1]);
            if (before && after)
            {
                return i;
            }
        }

        return -1;
    }

    [GeneratedRegex(@"""display""\s*:\s*""((?:[^""\\]|\\.)*)""")]
    private static partial Regex DisplayValue();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}")]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"^\d{8}")]
    private static partial Regex Hl7Date();

    [GeneratedRegex(@"(?<!\d)(?:19|20)\d{6}(?=\d{0,10}(?:[.+\-]\d+)?(?!\d))")]
    private static partial Regex Hl7DateInText();

    [GeneratedRegex(@"""([A-Za-z0-9+/]{16,}={0,2})""")]
    private static partial Regex Base64();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
