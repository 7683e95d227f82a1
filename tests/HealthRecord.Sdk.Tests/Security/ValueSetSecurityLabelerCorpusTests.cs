using System.Text.Json;
using System.Xml.Linq;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Tests.Security;

/// <summary>
/// Every diagnosis of the shared corpus (FHIR Conditions of the Synthea bundles, bulk export and FHIR examples; C-CDA
/// problem observations; HL7 v2 DG1/PRB segments), labelled by the built-in rules and checked against
/// <see cref="SensitivityOracle"/> (ICD ranges and display keywords written in the tests, not the SDK's sets).
/// </summary>
public class ValueSetSecurityLabelerCorpusTests(ITestOutputHelper output)
{
    private const string CdaNs = "urn:hl7-org:v3";
    private const string ProblemObservation = "2.16.840.1.113883.10.20.22.4.4";

    /// <summary>One diagnosis found in the corpus: where, its codings (system, code, display), and its text.</summary>
    public sealed record Diagnosis(string File, List<(string System, string Code, string? Display)> Codings, string? Text);

    private static readonly Dictionary<string, string> V2Systems = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SCT"] = ClinicalCodes.Snomed, ["SNM"] = ClinicalCodes.Snomed, ["SNOMED"] = ClinicalCodes.Snomed,
        ["I10"] = ClinicalCodes.Icd10Cm, ["I10C"] = ClinicalCodes.Icd10Cm, ["ICD10"] = ClinicalCodes.Icd10Cm,
        ["I9"] = ClinicalCodes.Icd9Cm, ["I9C"] = ClinicalCodes.Icd9Cm, ["ICD9"] = ClinicalCodes.Icd9Cm,
    };

    internal static List<Diagnosis> ReadCorpusDiagnoses()
    {
        var found = new List<Diagnosis>();
        var root = Path.GetFullPath(Corpus.PathOf("."));
        string Rel(string f) => Path.GetRelativePath(root, f).Replace('\\', '/');

        // FHIR JSON: bundles, bulk NDJSON, single examples (a malformed file is skipped; the Google Myra Jones file is malformed as published).
        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Where(f => !f.Contains("consent", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(file));
                CollectFhir(doc.RootElement, Rel(file), found);
            }
            catch (JsonException)
            {
            }
        }

        foreach (var file in Directory.EnumerateFiles(root, "*.ndjson", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                using var doc = JsonDocument.Parse(line);
                CollectFhir(doc.RootElement, Rel(file), found);
            }
        }

        // C-CDA problem observations: the value (and its translations) is the diagnosis.
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "ccda"), "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var xml = XDocument.Load(file);
            XNamespace v3 = CdaNs;
            foreach (var obs in xml.Descendants(v3 + "observation").Where(o => o.Elements(v3 + "templateId").Any(t => (string?)t.Attribute("root") == ProblemObservation)))
            {
                var value = obs.Element(v3 + "value");
                if (value is null)
                {
                    continue;
                }

                var codings = new List<(string, string, string?)>();
                foreach (var cd in new[] { value }.Concat(value.Elements(v3 + "translation")))
                {
                    if ((string?)cd.Attribute("code") is { Length: > 0 } code && (string?)cd.Attribute("codeSystem") is { Length: > 0 } oid)
                    {
                        codings.Add(("urn:oid:" + oid, code, (string?)cd.Attribute("displayName")));
                    }
                }

                if (codings.Count > 0)
                {
                    found.Add(new Diagnosis(Rel(file), codings, null));
                }
            }
        }

        // HL7 v2: DG1-3 and PRB-3 (CE/CWE: code^text^system^alt code^alt text^alt system).
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "hl7v2"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(file).TrimStart('\uFEFF');
            var components = '^';
            foreach (var segment in text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (segment.StartsWith("MSH", StringComparison.Ordinal) && segment.Length > 4)
                {
                    components = segment[4];
                }

                if (!(segment.StartsWith("DG1|", StringComparison.Ordinal) || segment.StartsWith("PRB|", StringComparison.Ordinal)))
                {
                    continue;
                }

                var fields = segment.Split('|');
                if (fields.Length < 4)
                {
                    continue;
                }

                var ce = fields[3].Split(components);
                var codings = new List<(string, string, string?)>();
                for (var i = 0; i + 2 < ce.Length || (i < ce.Length && i == 0); i += 3)
                {
                    if (ce[i].Length > 0)
                    {
                        var sys = i + 2 < ce.Length ? ce[i + 2] : "";
                        codings.Add((V2Systems.TryGetValue(sys, out var uri) ? uri : "urn:x-v2:" + sys, ce[i], i + 1 < ce.Length ? ce[i + 1] : null));
                    }
                }

                if (codings.Count > 0)
                {
                    found.Add(new Diagnosis(Rel(file), codings, fields.Length > 4 && segment.StartsWith("DG1", StringComparison.Ordinal) ? fields[4] : null));
                }
            }
        }

        return found;
    }

    private static void CollectFhir(JsonElement e, string file, List<Diagnosis> found)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            if (e.TryGetProperty("resourceType", out var rt) && rt.ValueKind == JsonValueKind.String && rt.GetString() == "Condition"
                && e.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.Object)
            {
                var codings = new List<(string, string, string?)>();
                if (code.TryGetProperty("coding", out var cs) && cs.ValueKind == JsonValueKind.Array)
                {
                    foreach (var c in cs.EnumerateArray())
                    {
                        if (c.TryGetProperty("code", out var cc) && cc.GetString() is { Length: > 0 } value)
                        {
                            codings.Add((c.TryGetProperty("system", out var s) ? s.GetString() ?? "" : "", value, c.TryGetProperty("display", out var d) ? d.GetString() : null));
                        }
                    }
                }

                var text = code.TryGetProperty("text", out var t) ? t.GetString() : null;
                if (codings.Count > 0)
                {
                    found.Add(new Diagnosis(file, codings, text));
                }
            }

            foreach (var p in e.EnumerateObject())
            {
                CollectFhir(p.Value, file, found);
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
            {
                CollectFhir(item, file, found);
            }
        }
    }

    internal static SortedSet<string> Expected(Diagnosis d)
    {
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (system, code, display) in d.Codings)
        {
            expected.UnionWith(SensitivityOracle.FromText(display));
            var s = system.Trim().TrimEnd('/').Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
            var category = s switch
            {
                "http://hl7.org/fhir/sid/icd-10-cm" or "http://hl7.org/fhir/sid/icd-10" or "urn:oid:2.16.840.1.113883.6.90" or "urn:oid:2.16.840.1.113883.6.3" => SensitivityOracle.FromIcd10(code),
                "http://hl7.org/fhir/sid/icd-9-cm" or "urn:oid:2.16.840.1.113883.6.103" or "urn:oid:2.16.840.1.113883.6.2" => SensitivityOracle.FromIcd9(code),
                _ => null,
            };
            if (category is not null)
            {
                expected.Add(category);
            }
        }

        expected.UnionWith(SensitivityOracle.FromText(d.Text));
        return expected;
    }

    internal static SortedSet<string> Labelled(SecurityLabeling labeling, Diagnosis d)
    {
        var condition = new Condition
        {
            Id = "c",
            Code = new CodeableConcept { Coding = [.. d.Codings.Select(c => new Coding(c.System.Replace(" ", "", StringComparison.Ordinal), c.Code, c.Display))], Text = d.Text },
        };
        labeling.LabelInPlace(condition);
        return new SortedSet<string>(
            condition.Meta!.Security.Where(c => c.System == SecurityLabelSystems.ActCode && SensitivityOracle.Categories.Contains(c.Code)).Select(c => c.Code!),
            StringComparer.Ordinal);
    }

    internal static SecurityLabeling DefaultLabeling()
    {
        var options = Options.Create(new SecurityLabelingOptions());
        return new SecurityLabeling([new ValueSetSecurityLabeler(options)], options);
    }

    [CorpusFact]
    public void Assign_EverySensitiveDiagnosisInTheCorpus_AgreesWithTheOracle()
    {
        var diagnoses = ReadCorpusDiagnoses();
        var labeling = DefaultLabeling();
        var disagreements = new List<string>();
        var perCategory = SensitivityOracle.Categories.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        var sensitive = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var d in diagnoses)
        {
            var expected = Expected(d);
            var actual = Labelled(labeling, d);
            var what = $"{d.File}: {string.Join(", ", d.Codings.Select(c => $"{c.System}|{c.Code} '{c.Display}'"))} '{d.Text}'";
            if (!expected.SetEquals(actual))
            {
                disagreements.Add($"{what}: oracle [{string.Join(",", expected)}], labeler [{string.Join(",", actual)}]");
            }

            foreach (var c in expected)
            {
                perCategory[c]++;
            }

            if (expected.Count > 0)
            {
                sensitive.Add($"[{string.Join(",", expected)}] {what}");
            }
        }

        foreach (var s in sensitive)
        {
            output.WriteLine(s);
        }

        output.WriteLine($"{diagnoses.Count} diagnoses, {diagnoses.Count(d => Expected(d).Count > 0)} sensitive: " + string.Join(", ", perCategory.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));

        // Locked figures of the dev corpus (a changed corpus or a regression shows here).
        Assert.Equal(953, diagnoses.Count);
        Assert.Equal(50, diagnoses.Count(d => Expected(d).Count > 0));
        Assert.Equal("ETH 4, PSY 5, HIV 0, STD 0, SDV 32, SEX 9, GDIS 0", string.Join(", ", perCategory.Select(kv => $"{kv.Key} {kv.Value}")));
    }
}
