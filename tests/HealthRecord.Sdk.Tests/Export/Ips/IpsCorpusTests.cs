#nullable disable warnings
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export.Ips;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Export.Ips;

/// <summary>
/// Every person the corpus makes (each Synthea bundle, each C-CDA document through the adapter, the HL7 v2 messages)
/// gets an IPS that passes the structural checks and the IPS constraints; a deterministic sample (every
/// <see cref="ValidationStride"/>-th file of each kind, and every HL7 v2 person) is also validated against base R4
/// (validating everything costs minutes on this machine, see docs/ips.md).
/// </summary>
public class IpsCorpusTests(ITestOutputHelper output)
{
    private const int ValidationStride = 6;

    private static readonly Lazy<ServiceProvider> Provider = new(() => new ServiceCollection()
        .AddHealthRecord(hr => hr.AddCcda().AddHl7V2().Configure(o => o.SaveToStore = false))
        .BuildServiceProvider());

    public static TheoryData<string, string> Files()
    {
        var data = new TheoryData<string, string>();
        if (!Corpus.IsAvailable)
        {
            data.Add("none", "");
            return data;
        }

        foreach (var kind in new[] { "fhir-bundles/synthea", "ccda" })
        {
            foreach (var file in Directory.EnumerateFiles(Corpus.PathOf(kind), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(kind, Path.GetRelativePath(Corpus.Root!, file));
            }
        }

        data.Add("hl7v2", "hl7v2");
        return data;
    }

    [CorpusTheory]
    [MemberData(nameof(Files))]
    public async Task BuildAsync_EveryCorpusPerson_IsAWellFormedIps(string kind, string path)
    {
        var result = await Provider.Value.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest
        {
            Sources = [new SourceRequest(kind.Replace('/', '-'), Corpus.PathOf(path))],
        });
        var validate = kind == "hl7v2" || Index(kind, path) % ValidationStride == 0;
        foreach (var ehr in result.Ehrs)
        {
            var ips = await Provider.Value.GetRequiredService<IIpsDocumentBuilder>().BuildAsync(ehr, new IpsRequest { IncludeProvenance = true });

            var problems = IpsChecks.Structure(ips.Bundle).Concat(IpsChecks.IpsProfileConstraints(ips.Bundle)).ToList();
            Assert.True(problems.Count == 0, $"{path} person {ehr.PersonId}: {string.Join("\n", problems.Take(20))}");
            if (validate)
            {
                var (added, inherited) = IpsChecks.ValidateR4Against(ips.Bundle, r => ehr.Find(r)?.Resource);
                Assert.True(added.Count == 0, $"{path} person {ehr.PersonId}: {string.Join("\n", added.Take(20))}");
                foreach (var e in inherited)
                {
                    output.WriteLine($"{path}: invalid as the source gave it (not added by the IPS): {e}");
                }
            }

            output.WriteLine($"{path}: person {ehr.PersonId}: {ips.Bundle.Entry.Count} entries; {string.Join(", ", ips.Sections.Select(s => $"{s.Code}={s.Entries}"))}{(validate ? "; validated" : "")}");
        }
    }

    [CorpusFact]
    public async Task BuildAsync_MyraJonesFromSixSources_OneIpsWithoutDuplicateProblemsMedicationsOrAllergies()
    {
        var folder = Corpus.PathOf("fhir-bundles/ccda-on-fhir-myra-jones");
        var sources = new List<SourceRequest> { new("ccda", Corpus.PathOf("ccda/HL7-ccda-on-fhir/Myra_Jones_v2.xml")) };
        sources.AddRange(Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(f => new SourceRequest(Path.GetFileNameWithoutExtension(f).Split('_')[0], f)));
        var result = await Provider.Value.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = sources });

        var ehr = Assert.Single(result.Ehrs);
        var ips = await Provider.Value.GetRequiredService<IIpsDocumentBuilder>().BuildAsync(ehr, new IpsRequest { IncludeProvenance = true });

        Assert.Empty(IpsChecks.Structure(ips.Bundle));
        var (added, inherited) = IpsChecks.ValidateR4Against(ips.Bundle, r => ehr.Find(r)?.Resource);
        Assert.True(added.Count == 0, string.Join("\n", added.Take(20)));
        output.WriteLine($"invalid as the sources gave them: {string.Join("; ", inherited)}");
        foreach (var code in new[] { IpsSections.Problems, IpsSections.Medications, IpsSections.Allergies })
        {
            var section = ips.Composition.Section.Single(s => s.Code.Coding[0].Code == code);
            var entries = section.Entry.Select(e => IpsChecks.Resolve(ips.Bundle, e.Reference)).ToList();
            Assert.NotEmpty(entries);

            // No two entries of a section share a concept (a shared system|code, or the same text when uncoded).
            var keys = entries.SelectMany(r => KeysOf(r).Distinct()).ToList();
            var duplicated = keys.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicated.Count == 0, $"section {code} repeats {string.Join(", ", duplicated)}");

            // Each entry names the sources that asserted it, so a clinician sees which EMR said what.
            Assert.All(entries, r => Assert.Contains(ips.Bundle.Entry.Select(e => e.Resource).OfType<Provenance>(), p => p.Target.Any(t => t.Reference == Url(ips.Bundle, r))));
            output.WriteLine($"{section.Title}: {section.Entry.Count} entries from {string.Join(", ", ehr.Sources)}");
        }
    }

    private static string Url(Bundle ips, Resource r) => ips.Entry.First(e => ReferenceEquals(e.Resource, r)).FullUrl;

    private static IEnumerable<string> KeysOf(Resource r)
    {
        var concept = r switch
        {
            Condition c => c.Code,
            AllergyIntolerance a => a.Code,
            MedicationStatement m => m.Medication as CodeableConcept,
            MedicationRequest m => m.Medication as CodeableConcept,
            _ => null,
        };
        var keys = CodeSystems.KeysOf(concept);
        return keys.Count > 0 ? keys : [ClinicalText.Normalize(concept?.Text) ?? r.Id];
    }

    private static int Index(string kind, string path) =>
        Directory.EnumerateFiles(Corpus.PathOf(kind), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(Corpus.Root!, f)).ToList().IndexOf(path);
}
