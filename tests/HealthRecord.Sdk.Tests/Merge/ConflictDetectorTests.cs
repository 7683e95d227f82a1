using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Merge;

public class ConflictDetectorTests
{
    private static MergeMember M(string source, Resource r, int rank = 0) => new(source, $"{r.TypeName}/{source}", r, rank);

    private static AllergyIntolerance Allergy(string verification) => new()
    {
        Code = new CodeableConcept(CodeSystems.RxNorm, "7980"),
        VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", verification),
    };

    private static Observation Weight(decimal value, string unit) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept(CodeSystems.Loinc, "29463-7"),
        Value = new Quantity { Value = value, Code = unit, System = CodeSystems.Ucum },
    };

    [Fact]
    public void Detect_AllergyConfirmedHereRefutedThere_NamesBothValuesAndSources()
    {
        var conflict = Assert.Single(ConflictDetector.Detect([M("clinic", Allergy("confirmed")), M("hospital", Allergy("refuted"))], 0));
        Assert.Equal("verificationStatus", conflict.Element);
        Assert.StartsWith("confirmed", conflict.ChosenValue, StringComparison.Ordinal);
        Assert.Equal("clinic:AllergyIntolerance/clinic", conflict.ChosenFrom);
        var alternative = Assert.Single(conflict.Alternatives);
        Assert.StartsWith("refuted", alternative.Value, StringComparison.Ordinal);
        Assert.Equal("hospital:AllergyIntolerance/hospital", alternative.From);
    }

    [Fact]
    public void Detect_SameWeightInKilogramsAndPounds_IsNoConflict() =>
        Assert.Empty(ConflictDetector.Detect([M("a", Weight(70m, "kg")), M("b", Weight(154.3m, "[lb_av]"))], 0));

    [Fact]
    public void Detect_DifferentValuesForTheSameLab_IsAConflict() =>
        Assert.Equal("value", Assert.Single(ConflictDetector.Detect([M("a", Weight(70m, "kg")), M("b", Weight(74m, "kg"))], 0)).Element);

    [Fact]
    public void Detect_StatusCodedWithOidAndUri_IsNoConflict()
    {
        var a = Allergy("confirmed");
        var b = Allergy("confirmed");
        b.VerificationStatus!.Coding[0].System = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification/";
        b.VerificationStatus.Coding[0].Display = "Confirmed (reported)";
        Assert.Empty(ConflictDetector.Detect([M("a", a), M("b", b)], 0));
    }

    [Fact]
    public void Detect_AbatementDateAndTimestampOnThatDay_IsNoConflict()
    {
        var a = new Condition { Code = new CodeableConcept(CodeSystems.Snomed, "1"), Abatement = new FhirDateTime("2020-02-03") };
        var b = new Condition { Code = new CodeableConcept(CodeSystems.Snomed, "1"), Abatement = new FhirDateTime("2020-02-03T10:00:00-05:00") };
        Assert.Empty(ConflictDetector.Detect([M("a", a), M("b", b)], 0));
    }

    private static AllergyIntolerance Clinical(string? system, string code, string? display, string? text) => new()
    {
        Code = new CodeableConcept(CodeSystems.RxNorm, "1191"),
        ClinicalStatus = new CodeableConcept { Coding = [new Coding(system, code, display)], Text = text },
    };

    [Fact]
    public void Detect_StatusesDifferingOnlyInDisplayTextOrSystemSpelling_AreNoConflict()
    {
        // Myra Jones: one converter writes "active", another "active (Active)", a third drops the scheme of the system.
        const string system = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
        Assert.Empty(ConflictDetector.Detect(
        [
            M("cerner", Clinical(system, "active", null, null)),
            M("dh", Clinical(system, "active", "Active", null)),
            M("mdix", Clinical("//terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active", "Active")),
            M("redox", Clinical(null, "active", null, "active")),
        ], 0));
    }

    [Fact]
    public void Detect_DifferentStatusCodesWithTheSameDisplay_IsAConflict() =>
        Assert.Single(ConflictDetector.Detect([M("a", Clinical("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Status", null)), M("b", Clinical("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "resolved", "Status", null))], 0));

    [Fact]
    public void Detect_ValuesEqualOnlyAtTheLessPreciseValuesPrecision_IsNoConflict()
    {
        Assert.Empty(ConflictDetector.Detect([M("a", Weight(70.24m, "kg")), M("b", Weight(70.2m, "kg"))], 0));
        Assert.Single(ConflictDetector.Detect([M("a", Weight(70.24m, "kg")), M("b", Weight(70.3m, "kg"))], 0));
    }
}
