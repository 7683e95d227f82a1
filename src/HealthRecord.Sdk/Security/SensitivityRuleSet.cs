using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HealthRecord.Sdk.Errors;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Security;

/// <summary>
/// A set of sensitivity rules read from a data file: each rule gives one or more security labels to records
/// whose clinical codes (or labels already given) are in its code sets. The format is the one of the LEAP and
/// ASU SHARES labeling services (<c>id</c>, <c>basis</c>, <c>labels</c>, <c>codeSets[].codes</c> as
/// <c>"$ALIAS#code"</c> strings or <c>{system, code}</c> objects), optionally wrapped in an object that names the
/// rule set (<c>id</c>, <c>version</c>, <c>name</c>, <c>origin</c>, <c>licence</c>, <c>rules</c>). A code ending in
/// <c>*</c> matches every code that starts with it (ICD-10-CM categories). An optional <c>maps</c> array
/// (<c>{from, to, display, source}</c>, codes as <c>"$ALIAS#code"</c>) maps concepts of one system to another, e.g. a
/// SNOMED CT concept to the ICD-10-CM code whose category decides its labels: a record carrying <c>from</c> matches
/// the rules of <c>to</c> too.
/// </summary>
/// <remarks>Immutable and thread-safe once loaded.</remarks>
public sealed class SensitivityRuleSet
{
    private readonly Dictionary<CodeKey, List<SensitivityRule>> _exact = [];
    private readonly List<(CodeKey Prefix, SensitivityRule Rule)> _prefixes = [];
    private readonly Dictionary<CodeKey, List<CodeKey>> _maps = [];

    private SensitivityRuleSet(string id, string version, string name, string origin, string licence, IReadOnlyList<SensitivityRule> rules, IReadOnlyList<CodeMapping> mappings)
    {
        Mappings = mappings;
        foreach (var m in mappings)
        {
            if (!_maps.TryGetValue(m.From, out var targets))
            {
                _maps[m.From] = targets = [];
            }

            if (!targets.Contains(m.To))
            {
                targets.Add(m.To);
            }
        }

        Id = id;
        Version = version;
        Name = name;
        Origin = origin;
        Licence = licence;
        Rules = rules;
        foreach (var rule in rules)
        {
            foreach (var code in rule.Codes)
            {
                if (code.Code.EndsWith('*'))
                {
                    _prefixes.Add((code with { Code = code.Code.TrimEnd('*') }, rule));
                }
                else
                {
                    if (!_exact.TryGetValue(code, out var list))
                    {
                        _exact[code] = list = [];
                    }

                    list.Add(rule);
                }
            }
        }
    }

    /// <summary>The rule-set id (recorded in each label's basis).</summary>
    public string Id { get; }

    /// <summary>The rule-set version (recorded in each label's basis); labels are recomputed when it changes.</summary>
    public string Version { get; }

    /// <summary>A human-readable name.</summary>
    public string Name { get; }

    /// <summary>Where the rules come from.</summary>
    public string Origin { get; }

    /// <summary>The licence of the rule data.</summary>
    public string Licence { get; }

    /// <summary>The rules.</summary>
    public IReadOnlyList<SensitivityRule> Rules { get; }

    /// <summary>The concept mappings (e.g. SNOMED CT to ICD-10-CM) through which a code also matches its targets' rules.</summary>
    public IReadOnlyList<CodeMapping> Mappings { get; }

    /// <summary>
    /// The rules whose code sets contain the code, or one of the codes it maps to (see <see cref="Mappings"/>); each rule
    /// once.
    /// </summary>
    /// <param name="code">A canonical code (see <see cref="ClinicalCodes.Canonical"/>).</param>
    /// <returns>The matching rules.</returns>
    public IEnumerable<SensitivityRule> Match(CodeKey code)
    {
        if (!_maps.TryGetValue(code, out var targets))
        {
            return MatchOne(code);
        }

        return MatchOne(code).Concat(targets.SelectMany(MatchOne)).Distinct();
    }

    private IEnumerable<SensitivityRule> MatchOne(CodeKey code)
    {
        if (_exact.TryGetValue(code, out var list))
        {
            foreach (var r in list)
            {
                yield return r;
            }
        }

        foreach (var (prefix, rule) in _prefixes)
        {
            if (prefix.System == code.System && code.Code.StartsWith(prefix.Code, StringComparison.Ordinal))
            {
                yield return rule;
            }
        }
    }

    /// <summary>Reads a rule set from JSON.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="id">The rule-set id when the file does not name one.</param>
    /// <param name="version">The version when the file does not give one; by default a hash of the content.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="SourceReadException">The JSON is malformed or not a rule set.</exception>
    public static SensitivityRuleSet Parse(string json, string id, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip });
            var root = doc.RootElement;
            JsonElement rulesElement;
            string name = id, origin = "", licence = "";
            if (root.ValueKind == JsonValueKind.Array)
            {
                rulesElement = root;
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("rules", out rulesElement) && rulesElement.ValueKind == JsonValueKind.Array)
            {
                id = Str(root, "id") ?? id;
                version = Str(root, "version") ?? version;
                name = Str(root, "name") ?? name;
                origin = Str(root, "origin") ?? "";
                licence = Str(root, "licence") ?? Str(root, "license") ?? "";
            }
            else
            {
                throw Invalid(id, "expected an array of rules or an object with 'rules'");
            }

            var rules = new List<SensitivityRule>();
            foreach (var r in rulesElement.EnumerateArray())
            {
                rules.Add(ReadRule(r, id));
            }

            var mappings = new List<CodeMapping>();
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("maps", out var maps))
            {
                if (maps.ValueKind != JsonValueKind.Array)
                {
                    throw Invalid(id, "'maps' is not an array");
                }

                foreach (var m in maps.EnumerateArray())
                {
                    mappings.Add(ReadMapping(m, id));
                }
            }

            version ??= Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
            return new SensitivityRuleSet(id, version, name, origin, licence, rules, mappings);
        }
        catch (JsonException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, id, "rule set", ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw Invalid(id, ex.Message);
        }
    }

    /// <summary>The rule sets shipped with the SDK (see <c>docs/consent.md</c> for their origin and licence).</summary>
    /// <returns><c>ds4p-core</c> (HealthRecord.Sdk, Apache-2.0) and <c>asu-shares</c> (ASU SHARES, Apache-2.0).</returns>
    public static IReadOnlyList<SensitivityRuleSet> BuiltIn() => BuiltInSets.Value;

    /// <summary>
    /// The SDK's own DS4P rules (ICD-10-CM categories, SNOMED CT, LOINC and RxNorm codes for substance use, mental
    /// health, HIV, sexually transmitted disease, violence, reproductive health and genetic data, and the
    /// sensitivity-to-confidentiality rules). Applied by default.
    /// </summary>
    public static SensitivityRuleSet Core => BuiltInSets.Value[0];

    /// <summary>
    /// The ASU SHARES rule set (Apache-2.0): about 2,600 RxNorm codes of opioids and other controlled substances,
    /// plus LOINC and SNOMED CT codes for SHARES categories. Not applied by default (it labels every opioid analgesic
    /// prescription SUD); add it with <c>options.RuleSets.Add(SensitivityRuleSet.AsuShares)</c>. Its two test rules
    /// and its machine-generated "synthea-sud" rule (which lists vital-sign LOINC codes) are left out.
    /// </summary>
    public static SensitivityRuleSet AsuShares => BuiltInSets.Value[1];

    private static readonly Lazy<IReadOnlyList<SensitivityRuleSet>> BuiltInSets = new(() =>
    [
        LoadEmbedded("ds4p-core.json", "ds4p-core"),
        LoadEmbedded(
            "asu-shares-sensitivity-rules.json",
            "asu-shares",
            "ASU SHARES Rule Set, https://github.com/asushares/cds src/data/sensitivity-rules.json at bb3842172affe59b49040cf6c861b284460f76b4",
            "Apache-2.0",
            "synthea-sud",
            "patient-11",
            "test-rule-delete-me"),
    ]);

    private static SensitivityRuleSet LoadEmbedded(string file, string id, string? origin = null, string? licence = null, params string[] excludedRules)
    {
        var asm = typeof(SensitivityRuleSet).Assembly;
        using var stream = asm.GetManifestResourceStream("HealthRecord.Sdk.Security.ValueSets." + file)
            ?? throw new InvalidOperationException($"Embedded value set {file} is missing from the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var set = Parse(reader.ReadToEnd(), id);
        return new SensitivityRuleSet(
            set.Id,
            set.Version,
            set.Name,
            origin ?? set.Origin,
            licence ?? set.Licence,
            [.. set.Rules.Where(r => !excludedRules.Contains(r.Id, StringComparer.Ordinal))],
            set.Mappings);
    }

    private static CodeMapping ReadMapping(JsonElement m, string setId)
    {
        var from = Str(m, "from");
        var to = Str(m, "to");
        if (from is null || to is null)
        {
            throw Invalid(setId, "a mapping has no 'from' or 'to'");
        }

        return new CodeMapping(ParseAliased(from, setId), ParseAliased(to, setId), Str(m, "display"), Str(m, "source"));
    }

    private static CodeKey ParseAliased(string text, string setId)
    {
        var hash = text.IndexOf('#', StringComparison.Ordinal);
        if (hash <= 0 || hash == text.Length - 1)
        {
            throw Invalid(setId, $"code '{text}' is not 'SYSTEM#code'");
        }

        return ClinicalCodes.Canonical(text[..hash], text[(hash + 1)..]);
    }

    private static SensitivityRule ReadRule(JsonElement r, string setId)
    {
        var ruleId = Str(r, "id") ?? throw Invalid(setId, "a rule has no id");
        var labels = new List<Coding>();
        if (r.TryGetProperty("labels", out var ls) && ls.ValueKind == JsonValueKind.Array)
        {
            foreach (var l in ls.EnumerateArray())
            {
                labels.Add(ReadCoding(l, setId));
            }
        }

        if (labels.Count == 0)
        {
            throw Invalid(setId, $"rule '{ruleId}' gives no label");
        }

        var basis = r.TryGetProperty("basis", out var b) && b.ValueKind == JsonValueKind.Object ? ReadCoding(b, setId) : null;
        var codes = new List<CodeKey>();
        if (r.TryGetProperty("codes", out var direct) && direct.ValueKind == JsonValueKind.Array)
        {
            ReadCodes(direct, codes, setId);
        }

        if (r.TryGetProperty("codeSets", out var sets) && sets.ValueKind == JsonValueKind.Array)
        {
            foreach (var set in sets.EnumerateArray())
            {
                if (set.TryGetProperty("codes", out var cs) && cs.ValueKind == JsonValueKind.Array)
                {
                    ReadCodes(cs, codes, setId);
                }
            }
        }

        return new SensitivityRule(ruleId, labels, basis, codes);
    }

    private static void ReadCodes(JsonElement array, List<CodeKey> codes, string setId)
    {
        foreach (var c in array.EnumerateArray())
        {
            if (c.ValueKind == JsonValueKind.String)
            {
                codes.Add(ParseAliased(c.GetString() ?? "", setId));
            }
            else if (c.ValueKind == JsonValueKind.Object && Str(c, "code") is { Length: > 0 } code)
            {
                codes.Add(ClinicalCodes.Canonical(Str(c, "system"), code));
            }
            else
            {
                throw Invalid(setId, "a code is neither 'SYSTEM#code' nor {system, code}");
            }
        }
    }

    private static Coding ReadCoding(JsonElement e, string setId)
    {
        var code = Str(e, "code");
        if (e.ValueKind != JsonValueKind.Object || string.IsNullOrEmpty(code))
        {
            throw Invalid(setId, "a label or basis has no code");
        }

        return new Coding(ClinicalCodes.CanonicalSystem(Str(e, "system")), code, Str(e, "display"));
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static SourceReadException Invalid(string id, string reason) =>
        new(HealthRecordErrorCode.InvalidResource, id, "rule set", reason);
}

/// <summary>One sensitivity rule.</summary>
/// <param name="Id">The rule id (recorded as the code of each label's basis).</param>
/// <param name="Labels">The labels it gives.</param>
/// <param name="Policy">The policy basis (e.g. v3-ActCode#42CFRPart2), if any.</param>
/// <param name="Codes">The canonical codes it matches (clinical codes or security labels); a trailing <c>*</c> is a prefix.</param>
public sealed record SensitivityRule(string Id, IReadOnlyList<Coding> Labels, Coding? Policy, IReadOnlyList<CodeKey> Codes);

/// <summary>A concept mapping of a rule set: a record carrying <paramref name="From"/> matches the rules of <paramref name="To"/> too.</summary>
/// <param name="From">The mapped concept (canonical), e.g. a SNOMED CT concept.</param>
/// <param name="To">The code it maps to (canonical), e.g. the ICD-10-CM code whose category decides the labels.</param>
/// <param name="Display">The concept's name as the source wrote it, if given.</param>
/// <param name="Source">Where the concept was found, if given.</param>
public sealed record CodeMapping(CodeKey From, CodeKey To, string? Display, string? Source);
