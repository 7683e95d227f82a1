using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Terminology;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Tests.Deduplication;

public class MyraJonesDeduplicationTests(ITestOutputHelper output)
{
    private static readonly string[] Vendors = ["Cerner_Myra_Jones_v2_fhir_bundle.json", "DH_Myra_Jones_v2_fhir_bundle.json", "Google_Myra_Jones.fhir.output.json", "MDIX_CCDA_output.json", "Redox_Myra_Jones_v2_fhir_bundle.json"];

    private static async Task<AggregationResult> AggregateAsync()
    {
        using var sp = new ServiceCollection().AddHealthRecord(hr => hr.Configure((HealthRecordOptions o) => o.SaveToStore = false)).BuildServiceProvider();
        var sources = Vendors.Select(v => new SourceRequest(v.Split('_')[0].ToLowerInvariant(), Corpus.PathOf("fhir-bundles/ccda-on-fhir-myra-jones/" + v))).ToList();
        return await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = sources });
    }

    [CorpusFact]
    public async Task Aggregate_FiveVendorConversions_OneEhrWithoutDuplicates()
    {
        var result = await AggregateAsync();
        var ehr = Assert.Single(result.Ehrs);
        output.WriteLine(string.Join(", ", ehr.CountByType()));
        foreach (var r in ehr.Records.OrderBy(r => r.Resource.TypeName, StringComparer.Ordinal))
        {
            output.WriteLine($"{r.Reference} [{string.Join(" ", r.Sources.Select(s => s.SourceName))}] {Describe(r.Resource)}");
        }

        // The malformed Google file is reported, not fatal.
        Assert.Contains(result.Issues, i => i.SourceName == "google" && i.Severity == IssueSeverity.Error);
        var duplicates = ehr.Records
            .Select(r => (r.Resource.TypeName, Key: Describe(r.Resource)))
            .Where(x => x.Key.Length > 0)
            .GroupBy(x => x)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.TypeName} {g.Key.Key} x{g.Count()}")
            .ToList();
        Assert.Empty(duplicates);

        // Lineage and Provenance: each merged record names every contributing source record, one entity each.
        foreach (var record in ehr.Records.Where(r => r.Sources.Count > 1))
        {
            var provenance = Assert.Single(ehr.Provenance, p => p.Target.Any(t => t.Reference == Model.EhrIds.FullUrl(record.Resource.Id!)));
            Assert.Equal(record.Sources.Count, provenance.Entity.Count);
            Assert.All(provenance.Entity, e => Assert.Equal(Provenance.ProvenanceEntityRole.Source, e.Role));
        }

        Assert.Equal(ehr.Lineage.Count, ehr.Lineage.Select(l => (l.SourceName, l.SourceResource)).Distinct().Count());
    }

    [CorpusFact]
    public async Task Aggregate_OneSourceThatIsAFolderOfTheFiveExports_MergesInsideIt()
    {
        // The README's hospital=./exports/hospital/ shape: several exports of one patient in one source folder.
        var folder = Directory.CreateTempSubdirectory("myra-jones-");
        try
        {
            foreach (var v in Vendors)
            {
                File.Copy(Corpus.PathOf("fhir-bundles/ccda-on-fhir-myra-jones/" + v), Path.Combine(folder.FullName, v));
            }

            using var sp = new ServiceCollection().AddHealthRecord(hr => hr.Configure((HealthRecordOptions o) => o.SaveToStore = false)).BuildServiceProvider();
            var result = await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = [new SourceRequest("hospital", folder.FullName)] });
            var ehr = Assert.Single(result.Ehrs);
            foreach (var issue in result.Issues.Concat(ehr.Issues).Take(20))
            {
                output.WriteLine($"issue {issue.SourceName} {issue.Location} {issue.Message}");
            }

            foreach (var r in ehr.Records.Where(r => r.Resource is Condition or MedicationRequest or MedicationStatement or AllergyIntolerance))
            {
                output.WriteLine($"{r.Reference} x{r.Sources.Count} {Describe(r.Resource)}");
            }

            // Pneumonia, asthma, costal chondritis: one record each, not one per export.
            Assert.Equal(3, ehr.Records.Count(r => r.Resource is Condition));
            Assert.Single(ehr.Records, r => r.Resource is AllergyIntolerance);

            // Statuses that differ only in display text or in the spelling of their system are no conflict.
            Assert.DoesNotContain(ehr.Conflicts, c => c.Element == "clinicalStatus" && c.EhrResource.StartsWith("AllergyIntolerance/", StringComparison.Ordinal));

            // A converter's OperationOutcome log is rejected with its reason, not kept as a record.
            Assert.DoesNotContain(ehr.Records, r => r.Resource is OperationOutcome);
            Assert.Contains(ehr.Lineage, l => l.SourceResource.StartsWith("OperationOutcome/", StringComparison.Ordinal) && l.Action == LineageAction.Rejected && l.Reason!.Contains("OperationOutcome", StringComparison.Ordinal));

            // Albuterol under a clinical drug, an ingredient and a medication reference: one current medication.
            var view = HealthRecord.Sdk.Views.EhrCurrentView.Of(ehr);
            output.WriteLine(string.Join("; ", view.Medications.Select(m => m.Display)));
            Assert.Single(view.Medications, m => m.Display.Contains("lbuterol", StringComparison.Ordinal));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    internal static string Describe(Resource r) => r switch
    {
        Condition c => Concept(c.Code) + " " + HealthRecord.Sdk.Fhir.ClinicalDates.Of(c)?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        AllergyIntolerance a => Concept(a.Code),
        MedicationRequest m => Concept(m.Medication as CodeableConcept) + " " + m.AuthoredOn?[..Math.Min(10, m.AuthoredOn.Length)],
        MedicationStatement m => Concept(m.Medication as CodeableConcept),
        Medication m => Concept(m.Code),
        Immunization i => Concept(i.VaccineCode) + " " + HealthRecord.Sdk.Fhir.ClinicalDates.Of(i)?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        Observation o => Concept(o.Code) + " " + HealthRecord.Sdk.Fhir.ClinicalDates.Of(o)?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + " " + HealthRecord.Sdk.Merge.ConflictDetector.Display(o.Value),
        Procedure p => Concept(p.Code) + " " + HealthRecord.Sdk.Fhir.ClinicalDates.Of(p)?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        Encounter e => string.Join("+", e.Type.Select(Concept)) + " " + HealthRecord.Sdk.Fhir.ClinicalDates.Of(e)?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        Practitioner p => ClinicalText.Normalize(p.Name.FirstOrDefault()?.Family + " " + p.Name.FirstOrDefault()?.Given.FirstOrDefault()) ?? "",
        Organization o => ClinicalText.Normalize(o.Name) ?? "",
        _ => "",
    };

    private static string Concept(CodeableConcept? cc) =>
        cc is null ? "" : CodeSystems.KeysOf(cc).FirstOrDefault() ?? ClinicalText.Normalize(cc.Text) ?? "";
}
