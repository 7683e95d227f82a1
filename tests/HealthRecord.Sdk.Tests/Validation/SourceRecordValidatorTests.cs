using HealthRecord.Sdk.Terminology;
using HealthRecord.Sdk.Validation;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Validation;

public class SourceRecordValidatorTests
{
    private readonly SourceRecordValidator _validator = new();

    private static Immunization Shot(Immunization.ImmunizationStatusCodes status, CodeableConcept vaccine) => new()
    {
        Id = "i1",
        Status = status,
        VaccineCode = vaccine,
        Patient = new ResourceReference("Patient/p"),
        Occurrence = new FhirDateTime("2020-10-01"),
    };

    [Fact]
    public void Validate_OperationOutcomeFromAConverter_IsRejectedWithItsReason()
    {
        var log = new OperationOutcome { Id = "oo", Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = OperationOutcome.IssueType.Required, Diagnostics = "'class' element is REQUIRED" }] };
        var result = _validator.Validate(log);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("OperationOutcome", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(CodeSystems.Cvx, "998")]
    [InlineData(CodeSystems.Cvx, "UNK")]
    [InlineData("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "UNK")]
    [InlineData(null, "UNK")]
    public void Validate_NotDoneImmunizationWithoutAVaccine_IsRejected(string? system, string code)
    {
        var result = _validator.Validate(Shot(Immunization.ImmunizationStatusCodes.NotDone, new CodeableConcept(system, code)));
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("not-done", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NotDoneImmunizationOfANamedVaccine_IsKept() =>
        Assert.True(_validator.Validate(Shot(Immunization.ImmunizationStatusCodes.NotDone, new CodeableConcept(CodeSystems.Cvx, "140"))).IsValid);

    [Fact]
    public void Validate_ConditionCodedOnlyWithANullFlavor_IsRejected()
    {
        var c = new Condition { Id = "c", Subject = new ResourceReference("Patient/p"), Code = new CodeableConcept(null, "UNK") };
        Assert.False(_validator.Validate(c).IsValid);
    }

    [Fact]
    public void Validate_ShortCodeOfARealSystem_IsKept()
    {
        // "NA" is a null flavor, but also a lab's own code for sodium: with a system it is a code.
        var o = new Observation { Id = "o", Status = ObservationStatus.Final, Subject = new ResourceReference("Patient/p"), Code = new CodeableConcept("urn:oid:1.2.3.4.5", "NA") };
        Assert.True(_validator.Validate(o).IsValid);
    }
}
