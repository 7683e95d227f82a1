using FluentValidation;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Validation;

/// <summary>
/// The built-in checks every incoming record passes before it may enter an EHR: a clinical record
/// names its patient, and a fact that is defined by its code has one. A record that fails is rejected
/// with the messages as its reason. Hosts add their own rules by registering more
/// <see cref="IValidator{T}"/> of <see cref="Resource"/>.
/// </summary>
public sealed class SourceRecordValidator : AbstractValidator<Resource>
{
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
    }

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
            CodeableConcept cc => cc.Coding.Any(c => !string.IsNullOrWhiteSpace(c.Code)) || !string.IsNullOrWhiteSpace(cc.Text),
            ResourceReference r => !string.IsNullOrWhiteSpace(r.Reference) || !string.IsNullOrWhiteSpace(r.Display) || r.Identifier is not null,
            _ => value is not null,
        };
    }
}
