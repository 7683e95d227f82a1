using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.Tests.Consent;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Tests.Security;

public class SecurityLabelingTests
{
    private static SecurityLabeling Create(params SensitivityRuleSet[] sets)
    {
        var options = new SecurityLabelingOptions();
        if (sets.Length > 0)
        {
            options.RuleSets.Clear();
            foreach (var s in sets)
            {
                options.RuleSets.Add(s);
            }
        }

        return new SecurityLabeling([new ValueSetSecurityLabeler(Options.Create(options))], Options.Create(options));
    }

    private static List<string> Codes(Resource r) => [.. r.Meta!.Security.Select(c => c.Code!)];

    private static Resource Entry(Bundle b, string name) => b.Entry.Single(e => e.Resource!.Id == TestEhr.Id(name)).Resource!;

    [Fact]
    public void Label_OpioidUseDisorderCondition_GetsOpioidLabelsRestrictedAndPart2Basis()
    {
        var ehr = TestEhr.Bundle(TestEhr.Patient(), TestEhr.Condition("oud", TestEhr.Icd10, "F11.20", "Opioid dependence, uncomplicated"));

        var labelled = Create().Label(ehr);

        var condition = Entry(labelled, "oud");
        Assert.Contains("OPIOIDUD", Codes(condition));
        Assert.Contains("ETH", Codes(condition));
        var confidentiality = Assert.Single(condition.Meta!.Security, SecurityLabelSystems.IsConfidentiality);
        Assert.Equal("R", confidentiality.Code);
        var bases = condition.Meta!.Security.Single(c => c.Code == "OPIOIDUD").Extension.Select(e => (Coding)e.Value!).ToList();
        Assert.Contains(bases, b => b.System == "urn:healthrecord-sdk:label-rule:ds4p-core" && b.Code == "opioid-use-disorder" && b.Version == "2026.12.1");
        Assert.Contains(bases, b => b.Code == "42CFRPart2");
        Assert.Null(ehr.Entry[1].Resource!.Meta); // the input is not changed
    }

    [Fact]
    public void Label_RecordsReferringToSensitiveRecords_InheritTheirSensitivity()
    {
        var oud = TestEhr.Condition("oud", TestEhr.Icd10, "F11.20", "Opioid dependence");
        var med = new MedicationRequest
        {
            Id = TestEhr.Id("med"),
            Subject = new ResourceReference(TestEhr.Urn("patient")),
            Medication = new CodeableConcept(ClinicalCodes.RxNorm, "197696", "some product"),
            ReasonReference = [new ResourceReference(TestEhr.Urn("oud"))],
        };
        var viralLoad = TestEhr.Observation("vl", TestEhr.Loinc, "20447-9", "HIV 1 RNA viral load");
        var report = new DiagnosticReport
        {
            Id = TestEhr.Id("report"),
            Code = new CodeableConcept(TestEhr.Loinc, "11502-2", "Laboratory report"),
            Subject = new ResourceReference(TestEhr.Urn("patient")),
            Result = [new ResourceReference(TestEhr.Urn("vl"))],
        };
        var bp = TestEhr.Observation("bp", TestEhr.Loinc, "85354-9", "Blood pressure");
        var ehr = TestEhr.Bundle(TestEhr.Patient(), oud, med, viralLoad, report, bp);

        var labelled = Create().Label(ehr);

        Assert.Contains("OPIOIDUD", Codes(Entry(labelled, "med")));
        Assert.Contains("HIV", Codes(Entry(labelled, "vl")));
        Assert.Contains("HIV", Codes(Entry(labelled, "report")));
        Assert.Equal("R", Entry(labelled, "report").Meta!.Security.Single(SecurityLabelSystems.IsConfidentiality).Code);
        Assert.Empty(Entry(labelled, "bp").Meta!.Security);
        Assert.Empty(Entry(labelled, "patient").Meta!.Security); // the patient is a target, never a referrer of clinical facts
    }

    [Fact]
    public void Label_ExistingLabels_KeptWithoutDuplicates()
    {
        var condition = TestEhr.Condition("oud", TestEhr.Icd10, "F11.20", "Opioid dependence");
        condition.Meta = new Meta
        {
            Security =
            [
                new Coding(SecurityLabelSystems.ActCode, "OPIOIDUD"),
                new Coding(SecurityLabelSystems.ObservationValue, "HRELIABLE"),
                new Coding(SecurityLabelSystems.Confidentiality, "V"),
            ],
        };

        var labelled = Create().Label(TestEhr.Bundle(TestEhr.Patient(), condition));

        var labels = Entry(labelled, "oud").Meta!.Security;
        Assert.Single(labels, c => c.Code == "OPIOIDUD");
        Assert.Contains(labels, c => c.Code == "HRELIABLE");
        Assert.Equal("V", Assert.Single(labels, SecurityLabelSystems.IsConfidentiality).Code); // the higher one stays
    }

    [Fact]
    public void Label_RulesChange_RecomputesOwnLabelsAndKeepsForeignOnes()
    {
        var v1 = SensitivityRuleSet.Parse("""{"id":"host","version":"1","rules":[{"id":"r","labels":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}],"codes":["$LOINC#85354-9"]}]}""", "host");
        var v2 = SensitivityRuleSet.Parse("""{"id":"host","version":"2","rules":[{"id":"r","labels":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}],"codes":["$LOINC#0000-0"]}]}""", "host");
        var bp = TestEhr.Observation("bp", TestEhr.Loinc, "85354-9", "Blood pressure");
        bp.Meta = new Meta { Security = [new Coding(SecurityLabelSystems.ObservationValue, "HRELIABLE")] };
        var first = Create(v1);
        var second = Create(v2);

        var once = first.Label(TestEhr.Bundle(TestEhr.Patient(), bp));
        Assert.Contains("PSY", Codes(Entry(once, "bp")));
        Assert.True(first.IsCurrent(Entry(once, "bp")));
        Assert.False(second.IsCurrent(Entry(once, "bp")));

        var again = second.Label(once);
        Assert.DoesNotContain("PSY", Codes(Entry(again, "bp")));
        Assert.Contains("HRELIABLE", Codes(Entry(again, "bp")));
        Assert.True(second.IsCurrent(Entry(again, "bp")));
    }

    [Fact]
    public void Label_SameInputTwice_IsByteIdentical()
    {
        var ehr = TestEhr.Bundle(TestEhr.Patient(), TestEhr.Condition("hiv", TestEhr.Icd10, "B20", "HIV disease"), TestEhr.Observation("vl", TestEhr.Loinc, "20447-9", "HIV viral load"));
        var labeling = Create();

        Assert.Equal(FhirJson.Serialize(labeling.Label(ehr)), FhirJson.Serialize(labeling.Label(labeling.Label(ehr))));
    }

    [Fact]
    public void Services_Default_RegisterBuiltInValueSets()
    {
        using var sp = TestEhr.Services();
        var labeler = Assert.Single(sp.GetServices<ISecurityLabeler>());
        Assert.Equal("ds4p-core", Assert.Single(labeler.RuleSets).Id);
    }

    [Fact]
    public void Label_AsuSharesRuleSet_LabelsOpioidProductsButNotVitals()
    {
        var asu = SensitivityRuleSet.AsuShares;
        var med = new MedicationRequest { Id = TestEhr.Id("med"), Medication = new CodeableConcept(ClinicalCodes.RxNorm, "1819", "buprenorphine") };
        var bp = TestEhr.Observation("bp", TestEhr.Loinc, "85354-9", "Blood pressure");

        var labelled = Create(asu).Label(TestEhr.Bundle(TestEhr.Patient(), med, bp));

        Assert.Contains("SUD", Codes(Entry(labelled, "med")));
        Assert.Empty(Entry(labelled, "bp").Meta!.Security);
        Assert.DoesNotContain(asu.Rules, r => r.Id is "patient-11" or "test-rule-delete-me" or "synthea-sud");
    }

    private static SecurityLabeling LeapLabeling() => Create(
        SensitivityRuleSet.Parse(File.ReadAllText(Corpus.PathOf("consent/leap-cds/labeling/sensitivity-rules.json")), "leap-sensitivity"),
        SensitivityRuleSet.Parse(File.ReadAllText(Corpus.PathOf("consent/leap-cds/labeling/confidentiality-rules.json")), "leap-confidentiality"));

    private static Resource Read(string path) => FhirJson.Parse(File.ReadAllText(Corpus.PathOf(path)));

    [CorpusFact]
    public void LabelInPlace_LeapKetamineObservation_GetsSudAndRestrictedWithBasis()
    {
        // leap-cds-expected.csv: "correctly labels an unlabeled resource"
        var obs = Read("consent/leap-cds/observations/observations-ketamine.json");

        LeapLabeling().LabelInPlace(obs);

        var sud = Assert.Single(obs.Meta!.Security, c => c.Code == "SUD");
        Assert.Contains(sud.Extension, e => e.Url == SecurityLabelSystems.BasisExtension && e.Value is Coding { Code: "42CFRPart2" });
        Assert.Contains(sud.Extension, e => e.Value is Coding { Code: "sample-rule-1" });
        var r = Assert.Single(obs.Meta!.Security, SecurityLabelSystems.IsConfidentiality);
        Assert.Equal("R", r.Code);
        Assert.Equal(2, obs.Meta!.Security.Count);
    }

    [CorpusFact]
    public void LabelInPlace_LeapBacteriaObservation_GetsNoLabel()
    {
        // leap-cds-expected.csv: "correctly refrains from labeling a non-sensitiveresource"
        var obs = Read("consent/leap-cds/observations/observation-bacteria.json");

        LeapLabeling().LabelInPlace(obs);

        Assert.Empty(obs.Meta!.Security);
    }

    [CorpusFact]
    public void LabelInPlace_LeapKetamineAlreadyLabelled_NoRedundantLabel()
    {
        // leap-cds-expected.csv: "does not add redundant labels" and "correctly adds labels to a resource with existing labels"
        var obs = Read("consent/leap-cds/observations/observations-ketamine.json");
        obs.Meta = new Meta { Security = [new Coding(SecurityLabelSystems.ActCode, "SUD"), new Coding(SecurityLabelSystems.ObservationValue, "HRELIABLE")] };

        LeapLabeling().LabelInPlace(obs);

        Assert.Single(obs.Meta!.Security, c => c.Code == "SUD");
        Assert.Contains(obs.Meta!.Security, c => c.Code == "HRELIABLE");
        Assert.Contains(obs.Meta!.Security, c => c.Code == "R");
    }

    [Fact]
    public void Label_Ds4pBasisExample_KeepsItsForeignLabel()
    {
        var obs = FhirJson.Parse(File.ReadAllText(Corpus.Fixture("consent/extension-sec-label-basis.json")));
        var before = obs.Meta!.Security.Count;

        Create().LabelInPlace(obs);

        Assert.Equal(before, obs.Meta!.Security.Count);
        Assert.Contains(obs.Meta!.Security, c => c.Code == "R" && !SecurityLabeling.IsSdkLabel(c));
    }
}
