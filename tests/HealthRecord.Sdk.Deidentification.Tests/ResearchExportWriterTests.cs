using System.Text;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Deidentification.Tests;

public class ResearchExportWriterTests
{
    [Fact]
    public async Task CompleteAsync_SampleEhr_WritesNdjsonPerTypeCsvPerDomainAndTheRiskReport()
    {
        var ehr = Assert.Single(await Pipeline.AggregateAsync([.. TestHost.SampleSources]));
        var result = Pipeline.Deidentifier(DeidentificationMode.SafeHarbor).Deidentify(ehr);
        using var temp = TestHost.TempFolder();
        ResearchExportSummary summary;
        await using (var writer = new ResearchExportWriter(temp.Path))
        {
            await writer.AddAsync(result);
            summary = await writer.CompleteAsync();
        }

        Assert.Equal(1, summary.Persons);
        foreach (var (type, count) in summary.ResourcesByType)
        {
            var lines = await File.ReadAllLinesAsync(Path.Combine(temp.Path, "fhir", type + ".ndjson"));
            Assert.Equal(count, lines.Length);
            Assert.All(lines, l => Assert.StartsWith("{\"resourceType\":\"" + type + "\"", l, StringComparison.Ordinal));
        }

        foreach (var domain in ResearchExportWriter.Domains.Keys)
        {
            var lines = await File.ReadAllLinesAsync(Path.Combine(temp.Path, "csv", domain + ".csv"));
            Assert.Equal(ResearchExportWriter.Domains[domain], lines[0]);
            Assert.Equal(summary.RowsByDomain[domain], lines.Length - 1);
            Assert.All(lines.Skip(1), l => Assert.StartsWith(result.PersonId + ",", l, StringComparison.Ordinal));
        }

        Assert.True(summary.RowsByDomain["conditions"] > 0);
        Assert.Equal(summary.ResourcesByType.GetValueOrDefault("Encounter"), summary.RowsByDomain["encounters"]);
        Assert.Equal(1, summary.KAnonymity.K);
        Assert.True(File.Exists(Path.Combine(temp.Path, "k-anonymity.json")));
        Assert.Contains("\"changes\"", await File.ReadAllTextAsync(Path.Combine(temp.Path, "report.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void PermitsResearch_ConsentForResearch_PermitsAndWithoutConsentDoesNot()
    {
        using var services = TestHost.Create();
        var evaluator = services.GetRequiredService<IConsentEvaluator>();
        var recipient = ConsentRecipient.Parse("Organization/research-institute");
        var consent = new Hl7.Fhir.Model.Consent
        {
            Status = Hl7.Fhir.Model.Consent.ConsentState.Active,
            Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
            Category = [new CodeableConcept("http://loinc.org", "59284-0")],
            Patient = new ResourceReference("Patient/p1"),
            Policy = [new Hl7.Fhir.Model.Consent.PolicyComponent { Uri = "http://hl7.org/fhir/ConsentPolicy/opt-in" }],
            Provision = new Hl7.Fhir.Model.Consent.provisionComponent
            {
                Type = Hl7.Fhir.Model.Consent.ConsentProvisionType.Permit,
                Purpose = [new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH")],
            },
        };
        Assert.True(ResearchExportWriter.PermitsResearch(evaluator, [consent], recipient));
        Assert.False(ResearchExportWriter.PermitsResearch(evaluator, [], recipient));
        consent.Provision.Type = Hl7.Fhir.Model.Consent.ConsentProvisionType.Deny;
        Assert.False(ResearchExportWriter.PermitsResearch(evaluator, [consent], recipient));
    }
}
