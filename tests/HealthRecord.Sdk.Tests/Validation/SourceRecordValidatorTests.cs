using CsCheck;
using FluentValidation;
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

    private static readonly string?[] Ids = [null, "", " ", "r1"];
    private static readonly string?[] Subjects = [null, "", "Patient/p"];
    private static readonly (string? System, string? Code, string? Text)[] Codes =
        [(null, null, null), (null, "UNK", null), (CodeSystems.Cvx, "998", null), (CodeSystems.Cvx, "140", null), (null, null, " "), (null, null, "flu")];

    private static readonly Gen<Resource> Records =
        from type in Gen.Int[0, 5]
        from id in Gen.Int[0, Ids.Length - 1]
        from subject in Gen.Int[0, Subjects.Length]
        from code in Gen.Int[0, Codes.Length]
        from notDone in Gen.Bool
        select Record(type, Ids[id], subject < Subjects.Length ? Subjects[subject] : null, subject < Subjects.Length, code < Codes.Length ? Codes[code] : null, notDone);

    private static Resource Record(int type, string? id, string? reference, bool hasSubject, (string? System, string? Code, string? Text)? concept, bool notDone)
    {
        var subject = hasSubject ? new ResourceReference(reference) : null;
        var code = concept is { } c ? new CodeableConcept { Text = c.Text, Coding = c.Code is null ? [] : [new Coding(c.System, c.Code)] } : null;
        return type switch
        {
            0 => new Condition { Id = id, Subject = subject!, Code = code! },
            1 => new Observation { Id = id, Status = ObservationStatus.Final, Subject = subject!, Code = code! },
            2 => new Immunization { Id = id, Patient = subject!, VaccineCode = code!, Status = notDone ? Immunization.ImmunizationStatusCodes.NotDone : Immunization.ImmunizationStatusCodes.Completed },
            3 => new Patient { Id = id },
            4 => new OperationOutcome { Id = id },
            _ => new Organization { Id = id, Name = "Clinic" },
        };
    }

    [Fact]
    public void Validate_ThroughTheInterface_GivesWhatTheRulesGive() =>
        Records.Sample(record =>
        {
            var rules = _validator.Validate(record);
            var fast = ((IValidator<Resource>)_validator).Validate(record);
            Assert.Equal(rules.IsValid, fast.IsValid);
            Assert.Equal(rules.Errors.Select(e => e.ErrorMessage), fast.Errors.Select(e => e.ErrorMessage));
            Assert.Equal(rules.RuleSetsExecuted, fast.RuleSetsExecuted);
        }, iter: 2_000);

    [Fact]
    public void Validate_ShortCodeOfARealSystem_IsKept()
    {
        // "NA" is a null flavor, but also a lab's own code for sodium: with a system it is a code.
        var o = new Observation { Id = "o", Status = ObservationStatus.Final, Subject = new ResourceReference("Patient/p"), Code = new CodeableConcept("urn:oid:1.2.3.4.5", "NA") };
        Assert.True(_validator.Validate(o).IsValid);
    }
}
