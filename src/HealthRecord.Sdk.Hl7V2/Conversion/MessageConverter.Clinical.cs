using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>AL1, DG1, PRB, PR1 and IN1.</summary>
internal sealed partial class MessageConverter
{
    private const string AllergyClinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    private const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    private const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    private const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";

    private void ConvertAllergy(Hl7V2Segment al1)
    {
        if (!RequirePatient())
        {
            return;
        }

        var code = V2DataTypes.Concept(al1.Field(3));
        if (code is null)
        {
            Skip("AL1-3 (allergen) is empty");
            return;
        }

        var allergy = new AllergyIntolerance
        {
            Id = IdFor("AllergyIntolerance"),
            Patient = new ResourceReference(PatientReference),
            Code = code,
            ClinicalStatus = new CodeableConcept(AllergyClinical, "active"),
            Encounter = _encounter is null ? null : Ref(_encounter),
        };
        var type = al1.Field(2).Component(1).Value;
        switch (type)
        {
            case "DA" or "MA":
                allergy.Category = [AllergyIntolerance.AllergyIntoleranceCategory.Medication];
                break;
            case "FA":
                allergy.Category = [AllergyIntolerance.AllergyIntoleranceCategory.Food];
                break;
            case "EA" or "AA" or "PA" or "LA":
                allergy.Category = [AllergyIntolerance.AllergyIntoleranceCategory.Environment];
                break;
            default:
                break;
        }

        if (type is "DA" or "FA" or "EA" or "AA" or "PA" or "LA")
        {
            allergy.Type = AllergyIntolerance.AllergyIntoleranceType.Allergy;
        }
        else if (type is "MA" or "MC" or "FI" or "EI" or "DI")
        {
            allergy.Type = AllergyIntolerance.AllergyIntoleranceType.Intolerance;
        }

        var severity = al1.Field(4).Component(1).Value;
        allergy.Criticality = severity switch
        {
            "SV" => AllergyIntolerance.AllergyIntoleranceCriticality.High,
            "MO" or "MI" => AllergyIntolerance.AllergyIntoleranceCriticality.Low,
            "U" => AllergyIntolerance.AllergyIntoleranceCriticality.UnableToAssess,
            _ => null,
        };
        var reactions = al1.Repetitions(5).Select(r => r.Value).OfType<string>().ToList();
        if (reactions.Count > 0)
        {
            var reaction = new AllergyIntolerance.ReactionComponent
            {
                Severity = severity switch
                {
                    "SV" => AllergyIntolerance.AllergyIntoleranceSeverity.Severe,
                    "MO" => AllergyIntolerance.AllergyIntoleranceSeverity.Moderate,
                    "MI" => AllergyIntolerance.AllergyIntoleranceSeverity.Mild,
                    _ => null,
                },
            };
            foreach (var text in reactions)
            {
                reaction.Manifestation.Add(new CodeableConcept { Text = text });
            }

            allergy.Reaction.Add(reaction);
        }

        allergy.Onset = DateTimeOf(al1.Field(6).Component(1).Value, allergy, "AL1-6");
        _noteTarget = allergy;
        Add(allergy, "AllergyIntolerance");
    }

    private void ConvertDiagnosis(Hl7V2Segment dg1)
    {
        if (!RequirePatient())
        {
            return;
        }

        var method = dg1.Get(2);
        var code = V2DataTypes.Concept(dg1.Field(3), V2DataTypes.CodeSystemUri(method));
        var description = dg1.Get(4);
        if (code is null && description is null)
        {
            Skip("DG1-3 (diagnosis code) and DG1-4 (description) are empty");
            return;
        }

        code ??= new CodeableConcept();
        code.Text ??= description;
        var condition = new Condition
        {
            Id = IdFor("Condition"),
            Subject = new ResourceReference(PatientReference),
            Code = code,
            Encounter = _encounter is null ? null : Ref(_encounter),
        };
        condition.Category.Add(new CodeableConcept(ConditionCategory, "encounter-diagnosis", "Encounter Diagnosis", null));
        condition.Onset = DateTimeOf(dg1.Field(5).Component(1).Value, condition, "DG1-5");
        condition.VerificationStatus = dg1.Get(6) switch
        {
            "F" => new CodeableConcept(ConditionVerification, "confirmed"),
            "W" or "A" => new CodeableConcept(ConditionVerification, "provisional"),
            _ => null,
        };
        if (dg1.Get(21) == "D")
        {
            condition.VerificationStatus = new CodeableConcept(ConditionVerification, "entered-in-error");
        }

        foreach (var xcn in dg1.Repetitions(16))
        {
            condition.Asserter ??= Practitioner(xcn);
        }

        condition.RecordedDateElement = DateTimeOf(dg1.Field(19).Component(1).Value, condition, "DG1-19");
        if (dg1.Field(20) is { IsEmpty: false } id && V2DataTypes.Identifier(id, _options) is { } identifier)
        {
            condition.Identifier.Add(identifier);
        }

        _noteTarget = condition;
        Add(condition, "Condition (encounter diagnosis)");
    }

    private void ConvertProblem(Hl7V2Segment prb)
    {
        if (!RequirePatient())
        {
            return;
        }

        var code = V2DataTypes.Concept(prb.Field(3));
        if (code is null)
        {
            Skip("PRB-3 (problem id) is empty");
            return;
        }

        var condition = new Condition
        {
            Id = IdFor("Condition"),
            Subject = new ResourceReference(PatientReference),
            Code = code,
            Encounter = _encounter is null ? null : Ref(_encounter),
        };
        condition.Category.Add(new CodeableConcept(ConditionCategory, "problem-list-item", "Problem List Item", null));
        if (prb.Get(4) is { } instance)
        {
            condition.Identifier.Add(new Identifier { Value = instance });
        }

        condition.RecordedDateElement = DateTimeOf(prb.Field(7).Component(1).Value, condition, "PRB-7") ?? DateTimeOf(prb.Field(2).Component(1).Value, condition, "PRB-2");
        condition.Abatement = DateTimeOf(prb.Field(9).Component(1).Value, condition, "PRB-9");
        condition.Onset = DateTimeOf(prb.Field(16).Component(1).Value, condition, "PRB-16");
        var status = prb.Field(14).Component(1).Value?.ToUpperInvariant();
        condition.ClinicalStatus = status switch
        {
            "A" or "ACTIVE" => new CodeableConcept(ConditionClinical, "active"),
            "I" or "INACTIVE" => new CodeableConcept(ConditionClinical, "inactive"),
            "R" or "RESOLVED" => new CodeableConcept(ConditionClinical, "resolved"),
            "C" or "RECURRENCE" => new CodeableConcept(ConditionClinical, "recurrence"),
            _ => null,
        };
        var action = prb.Get(1);
        if (action == "DE")
        {
            condition.VerificationStatus = new CodeableConcept(ConditionVerification, "entered-in-error");
            condition.ClinicalStatus = null;
        }
        else if (condition.ClinicalStatus is null)
        {
            condition.ClinicalStatus = condition.Abatement is null ? new CodeableConcept(ConditionClinical, "active") : new CodeableConcept(ConditionClinical, "resolved");
            Warn(condition, status is null
                ? "PRB-14 (life-cycle status) is empty; the clinical status was inferred from PRB-9 (resolution date)"
                : $"PRB-14 life-cycle status '{status}' is not recognised; the clinical status was inferred from PRB-9 (resolution date)");
        }

        _noteTarget = condition;
        Add(condition, action == "DE" ? "Condition (problem list item, deleted: entered-in-error)" : "Condition (problem list item)");
    }

    private void ConvertProcedure(Hl7V2Segment pr1)
    {
        if (!RequirePatient())
        {
            return;
        }

        var code = V2DataTypes.Concept(pr1.Field(3), V2DataTypes.CodeSystemUri(pr1.Get(2)));
        var description = pr1.Get(4);
        if (code is null && description is null)
        {
            Skip("PR1-3 (procedure code) and PR1-4 (description) are empty");
            return;
        }

        code ??= new CodeableConcept();
        code.Text ??= description;
        var procedure = new Procedure
        {
            Id = IdFor("Procedure"),
            Subject = new ResourceReference(PatientReference),
            Code = code,
            Status = EventStatus.Completed,
            Encounter = _encounter is null ? null : Ref(_encounter),
        };
        procedure.Performed = DateTimeOf(pr1.Field(5).Component(1).Value, procedure, "PR1-5");
        foreach (var (field, role) in new[] { (8, "anesthesiologist"), (11, "surgeon"), (12, "procedure practitioner") })
        {
            foreach (var xcn in pr1.Repetitions(field))
            {
                if (Practitioner(xcn) is { } actor)
                {
                    procedure.Performer.Add(new Procedure.PerformerComponent { Actor = actor, Function = new CodeableConcept { Text = role } });
                }
            }
        }

        _noteTarget = procedure;
        Add(procedure, "Procedure");
    }

    private void ConvertCoverage(Hl7V2Segment in1)
    {
        if (!RequirePatient())
        {
            return;
        }

        var companyId = in1.Field(3);
        var companyName = in1.Field(4).Component(1).Value;
        var payor = Organization(companyName, companyId.IsEmpty ? null : V2DataTypes.Identifier(companyId, _options));
        if (payor is null)
        {
            Skip("IN1-3 (insurance company id) and IN1-4 (name) are empty: a Coverage needs a payor");
            return;
        }

        var coverage = new Coverage
        {
            Id = IdFor("Coverage"),
            Status = FinancialResourceStatusCodes.Active,
            Beneficiary = new ResourceReference(PatientReference),
        };
        coverage.Payor.Add(payor);
        if (in1.Get(36) is { } policy)
        {
            coverage.Identifier.Add(new Identifier { Value = policy, Type = V2DataTypes.TableConcept("MB", "0203", "Member Number") });
            coverage.SubscriberId = policy;
        }

        if (in1.Field(2) is { IsEmpty: false } plan && V2DataTypes.Concept(plan) is { } planConcept)
        {
            coverage.Class.Add(new Coverage.ClassComponent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/coverage-class", "plan"),
                Value = planConcept.Coding.FirstOrDefault()?.Code ?? planConcept.Text,
                Name = planConcept.Coding.FirstOrDefault()?.Display,
            });
        }

        if (in1.Get(8) is { } group)
        {
            coverage.Class.Add(new Coverage.ClassComponent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/coverage-class", "group"),
                Value = group,
                Name = in1.Get(9),
            });
        }

        var start = V2DataTypes.Date(in1.Get(12));
        var end = V2DataTypes.Date(in1.Get(13));
        if (start is not null || end is not null)
        {
            coverage.Period = new Period { Start = start, End = end };
        }

        coverage.Type = V2DataTypes.Concept(in1.Field(15), "http://terminology.hl7.org/CodeSystem/v2-0086");
        var relationship = in1.Field(17).Component(1).Value;
        if (relationship is not null)
        {
            var code = relationship switch
            {
                "SEL" => "self",
                "SPO" => "spouse",
                "CHD" => "child",
                "DOM" => "common",
                _ => "other",
            };
            coverage.Relationship = new CodeableConcept("http://terminology.hl7.org/CodeSystem/subscriber-relationship", code) { Text = relationship };
        }

        Add(coverage, "Coverage (payor as Organization)");
    }
}
