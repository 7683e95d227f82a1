using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Ccda.Tests;

/// <summary>
/// The same patient as C-CDA and as FHIR (Myra Jones: the HL7 C-CDA and Cerner's FHIR conversion of it):
/// aggregated together, each fact appears once, with both formats as its sources.
/// </summary>
public class CrossFormatAggregationTests
{
    [CorpusFact]
    public async System.Threading.Tasks.Task AggregateAsync_CcdaAndItsFhirConversion_HaveNoCrossFormatDuplicates()
    {
        using var provider = new ServiceCollection().AddHealthRecord(hr => hr.AddCcda().Configure(o => o.SaveToStore = false)).BuildServiceProvider();
        var result = await provider.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest
        {
            Sources =
            [
                new SourceRequest("ccda", Corpus.PathOf("ccda/HL7-ccda-on-fhir/Myra_Jones_v2.xml")),
                // Cerner's bundle names its patient (Patient/1) without including it: the host declares whose records they are (#17).
                new SourceRequest("cerner", Corpus.PathOf("fhir-bundles/ccda-on-fhir-myra-jones/Cerner_Myra_Jones_v2_fhir_bundle.json")) { Patient = "urn:oid:1.3.6.1.4.1.22812.3.2009316.3|160920144139807" },
            ],
        });

        var ehr = Assert.Single(result.Ehrs);
        // Only Cerner's OperationOutcome (the converter's own log, no clinical fact) is rejected.
        Assert.DoesNotContain(result.Lineage, l => l.Action == Model.LineageAction.Rejected && !l.SourceResource.StartsWith("OperationOutcome/", StringComparison.Ordinal));

        // No two records of one type share a coding: a fact both formats report is one record.
        foreach (var type in ehr.Records.GroupBy(r => r.Resource.TypeName))
        {
            var codings = type.SelectMany(r => Codings(r.Resource).Distinct()).ToList();
            Assert.True(codings.Count == codings.Distinct().Count(), $"{type.Key} has a duplicated fact: {string.Join(", ", codings.GroupBy(c => c).Where(g => g.Count() > 1).Select(g => g.Key))}");
        }

        // Every clinical fact the Cerner conversion carries is merged with the C-CDA's own copy.
        foreach (var type in new[] { "AllergyIntolerance", "Immunization", "Encounter", "Condition" })
        {
            var fromCerner = ehr.Records.Where(r => r.Resource.TypeName == type && r.Sources.Any(s => s.SourceName == "cerner")).ToList();
            Assert.NotEmpty(fromCerner);
            Assert.All(fromCerner, r => Assert.Contains(r.Sources, s => s.SourceName == "ccda"));
        }
    }

    private static IEnumerable<string> Codings(Resource resource)
    {
        foreach (var element in new[] { "code", "vaccineCode" })
        {
            if (resource.TryGetValue(element, out var value) && value is CodeableConcept cc)
            {
                foreach (var c in cc.Coding.Where(c => c.Code is not null))
                {
                    yield return $"{c.System}|{c.Code}";
                }
            }
        }
    }
}
