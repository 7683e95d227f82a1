using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Merge;

public class PerElementMergePolicyTests
{
    private static Condition Problem(string status, string recorded, params Coding[] codings) => new()
    {
        ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", status),
        Code = new CodeableConcept { Coding = [.. codings] },
        RecordedDate = recorded,
        Onset = new FhirDateTime("2018-04-01"),
    };

    [Fact]
    public void Merge_TwoCopies_UnitesCodingsTakesLatestStatusAndReportsTheConflict()
    {
        var clinic = Problem("active", "2018-04-02", new Coding(CodeSystems.Snomed, "59621000"));
        clinic.Note = [new Annotation { Text = "Diet controlled" }];
        var hospital = Problem("resolved", "2021-01-10", new Coding("urn:oid:2.16.840.1.113883.6.96", "59621000"), new Coding(CodeSystems.Icd10Cm, "I10"));
        hospital.Note = [new Annotation { Text = "diet controlled." }, new Annotation { Text = "Seen in ER" }];
        var cluster = new MergeCluster("Condition", [new MergeMember("clinic", "Condition/1", clinic, 0), new MergeMember("hospital", "Condition/2", hospital, 1)]);

        var result = MergePolicies.PerElement().Merge(cluster);
        var merged = Assert.IsType<Condition>(result.Resource);

        Assert.Equal(0, result.ChosenIndex);
        Assert.Equal(["http://hl7.org/fhir/sid/icd-10-cm|I10", "http://snomed.info/sct|59621000"], CodeSystems.KeysOf(merged.Code));
        Assert.Equal("resolved", merged.ClinicalStatus!.Coding[0].Code);
        Assert.Equal(["Diet controlled", "Seen in ER"], merged.Note.Select(n => n.Text));
        var conflict = Assert.Single(result.Conflicts);
        Assert.Equal("clinicalStatus", conflict.Element);
        Assert.Equal("hospital:Condition/2", conflict.ChosenFrom);
        Assert.Equal("clinic:Condition/1", Assert.Single(conflict.Alternatives).From);
        Assert.Equal("active", clinic.ClinicalStatus!.Coding[0].Code); // members are not modified
    }

    [Fact]
    public void FromName_PerElement_IsKnown() =>
        Assert.Equal("per-element", MergePolicies.FromName("per-element").Name);
}
