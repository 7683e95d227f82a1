using FluentValidation;
using FluentValidation.Results;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Validation;

/// <summary>
/// The built-in checks every incoming record passes before it may enter an EHR: a clinical record
/// names its patient, and a fact that is defined by its code has one (a placeholder such as <c>UNK</c> is
/// no code); a not-done immunization names the vaccine not given; an <c>OperationOutcome</c> (a converter's
/// or server's log of its own processing) is no clinical record. A record that fails is rejected with the
/// messages as its reason. Hosts add their own rules by registering more <see cref="IValidator{T}"/> of
/// <see cref="Resource"/>.
/// </summary>
public sealed class SourceRecordValidator : AbstractValidator<Resource>, IValidator<Resource>
{
    private const string NullFlavorSystem = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";
    private const string DataAbsentReasonSystem = "http://terminology.hl7.org/CodeSystem/data-absent-reason";

    private static readonly Dictionary<string, string> CodeElements = new(StringComparer.Ordinal)
    {
        ["Condition"] = "code",
        ["Observation"] = "code",
        ["Procedure"] = "code",
        ["AllergyIntolerance"] = "code",
        ["DiagnosticReport"] = "code",
        ["Immunization"] = "vaccineCode",
        ["MedicationRequest"] = "medication",
        ["MedicationStatement"] = "medication",
        ["MedicationAdministration"] = "medication",
        ["MedicationDispense"] = "medication",
    };

    /// <summary>Creates the validator.</summary>
    public SourceRecordValidator()
    {
        RuleFor(r => r.Id).NotEmpty().WithMessage("The record has no id.");

        RuleFor(r => r)
            .Must(HasSubject)
            .When(r => PatientCompartment.IsPatientRecord(r.TypeName))
            .WithMessage(r => $"{r.TypeName}.{PatientCompartment.SubjectElement(r.TypeName)} is missing: a clinical record must name its patient.")
            .OverridePropertyName("subject");

        RuleFor(r => r)
            .Must(HasCode)
            .When(r => CodeElements.ContainsKey(r.TypeName))
            .WithMessage(r => $"{r.TypeName}.{CodeElements[r.TypeName]} is missing or has neither a coded value nor text: the record does not say what it is about.")
            .OverridePropertyName("code");

        RuleFor(r => r)
            .Must(r => r is not OperationOutcome)
            .WithMessage("An OperationOutcome is a log of a converter's or server's own processing, not a fact about the patient: it is not taken into the EHR.")
            .OverridePropertyName("resourceType");

        RuleFor(r => r)
            .Must(r => r is not Immunization { Status: Immunization.ImmunizationStatusCodes.NotDone } i || NamesAVaccine(i.VaccineCode))
            .WithMessage("Immunization.status is not-done and vaccineCode names no vaccine (no code, or only a placeholder such as CVX 998 'no vaccine administered'): the record states nothing.")
            .OverridePropertyName("vaccineCode");
    }

    // The rule sets a full run that passed reports, reported alike for records that pass the pre-check.
    private string[]? _ruleSetsOfAPass;

    /// <summary>
    /// Validates a record. Almost every record passes: the rules' conditions are checked directly first, and only a
    /// record that fails one of them runs the rules themselves (for their messages). The result is the same; the
    /// per-record context, rule and message machinery is skipped for the records that pass.
    /// </summary>
    /// <param name="instance">The record.</param>
    /// <returns>The failures, if any.</returns>
    ValidationResult IValidator<Resource>.Validate(Resource instance)
    {
        if (instance is not null && PassesAll(instance) && _ruleSetsOfAPass is { } ruleSets)
        {
            return new ValidationResult { RuleSetsExecuted = [.. ruleSets] };
        }

        var result = Validate(instance!);
        if (result.IsValid && instance is not null && PassesAll(instance))
        {
            _ruleSetsOfAPass ??= [.. result.RuleSetsExecuted];
        }

        return result;
    }

    // Every rule of the constructor, checked without FluentValidation (at least as strict as the rules).
    private static bool PassesAll(Resource r) =>
        !string.IsNullOrWhiteSpace(r.Id)
        && (!PatientCompartment.IsPatientRecord(r.TypeName) || HasSubject(r))
        && (!CodeElements.ContainsKey(r.TypeName) || HasCode(r))
        && r is not OperationOutcome
        && (r is not Immunization { Status: Immunization.ImmunizationStatusCodes.NotDone } i || NamesAVaccine(i.VaccineCode));

    // A code that says what the record is about: not empty, not a null flavor (a bare "UNK", or any code of the
    // NullFlavor and data-absent-reason systems). A code system's own short codes ("NA" for sodium) are kept.
    private static bool IsRealCode(Coding c) =>
        !string.IsNullOrWhiteSpace(c.Code)
        && !(string.IsNullOrWhiteSpace(c.System) && PlaceholderValues.IsPlaceholder(c.Code))
        && !string.Equals(c.System, NullFlavorSystem, StringComparison.Ordinal)
        && !string.Equals(c.System, DataAbsentReasonSystem, StringComparison.Ordinal);

    // CVX 998 (no vaccine administered) and 999 (unknown) name no vaccine; neither do null-flavor codes.
    private static bool NamesAVaccine(CodeableConcept? concept) =>
        concept is not null && concept.Coding.Any(c => IsRealCode(c) && !PlaceholderValues.IsPlaceholder(c.Code)
            && !(Terminology.CodeSystems.Normalize(c.System) == Terminology.CodeSystems.Cvx && c.Code!.Trim() is "998" or "999"));

    private static bool HasSubject(Resource resource) =>
        PatientCompartment.SubjectOf(resource) is { } s && !string.IsNullOrWhiteSpace(s.Reference);

    private static bool HasCode(Resource resource)
    {
        if (!resource.TryGetValue(CodeElements[resource.TypeName], out var value))
        {
            return false;
        }

        return value switch
        {
            CodeableConcept cc => cc.Coding.Any(IsRealCode) || !PlaceholderValues.IsPlaceholder(cc.Text),
            ResourceReference r => !string.IsNullOrWhiteSpace(r.Reference) || !string.IsNullOrWhiteSpace(r.Display) || r.Identifier is not null,
            _ => value is not null,
        };
    }
}
