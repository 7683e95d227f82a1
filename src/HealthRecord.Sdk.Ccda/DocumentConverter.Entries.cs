using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>Entry dispatch: which converter handles which statement in which section.</summary>
internal sealed partial class DocumentConverter
{
    private const string T = "2.16.840.1.113883.10.20.22.4.";
    private bool _birthSexSet;

    private bool ConvertEntry(XElement entry, string kind)
    {
        var statement = entry.Statement();
        if (statement is null)
        {
            _ctx.Skip(entry, kind, "The entry holds no clinical statement.");
            return false;
        }

        if (statement.NullFlavor() is { } nf)
        {
            _ctx.Skip(entry, kind, $"The entry's {statement.Name.LocalName} is a nullFlavor ({nf}) and carries no data.");
            return false;
        }

        if (kind == SectionKind.Unsupported)
        {
            var section = entry.Parent;
            _ctx.Skip(entry, kind, $"The section '{Cda.Clean(section.E("title")?.Value) ?? section.E("code").A("code") ?? "untitled"}' (templateId {section.TemplateIds().FirstOrDefault() ?? "none"}) is not a supported section kind.");
            return false;
        }

        if (kind is not (SectionKind.Allergies or SectionKind.Problems or SectionKind.Medications or SectionKind.Immunizations) && IsNegatedPlaceholder(statement)
            || statement.Name.LocalName == "organizer" && IsPlaceholderOrganizer(statement))
        {
            var said = _ctx.Text(statement.E("text")) ?? _ctx.Text(statement.E("code").E("originalText"))
                ?? statement.Es("component").Select(c => c.Statement()).Select(c => _ctx.Text(c.E("text"))).FirstOrDefault(t => t is not null);
            _ctx.Skip(entry, kind, "The entry states that nothing is recorded (negationInd=\"true\" and no code)" + (said is null ? "." : $": \"{said}\"."));
            return false;
        }

        var name = statement.Name.LocalName;
        if (name == "act" && statement.HasTemplate(T + "202"))
        {
            return Note(statement, kind);
        }

        return kind switch
        {
            SectionKind.Allergies => AllergyEntry(statement, kind),
            SectionKind.Problems => ProblemEntry(statement, kind, entry.Parent?.TemplateIds().Any(t => t is "2.16.840.1.113883.10.20.22.2.24" or "2.16.840.1.113883.10.20.22.2.43" or "2.16.840.1.113883.10.20.22.2.34" or "2.16.840.1.113883.10.20.22.2.35" or "2.16.840.1.113883.10.20.22.2.36") == true ? ConditionCategory.Diagnosis : ConditionCategory.ProblemList),
            SectionKind.Medications => MedicationEntry(statement, kind, MedicationRequest.MedicationRequestIntent.Order),
            SectionKind.Immunizations => ImmunizationEntry(statement, kind),
            SectionKind.Results => ResultEntry(statement, kind, "laboratory"),
            SectionKind.VitalSigns => ResultEntry(statement, kind, "vital-signs"),
            SectionKind.Procedures => ProcedureEntry(statement, kind),
            SectionKind.Encounters => EncounterEntry(statement, kind),
            SectionKind.SocialHistory => SocialHistoryEntry(statement, kind),
            SectionKind.PlanOfTreatment => PlanEntry(statement, kind),
            SectionKind.FamilyHistory => FamilyHistoryEntry(statement, kind),
            SectionKind.MedicalEquipment => EquipmentEntry(statement, kind),
            SectionKind.Goals => GoalEntry(statement, kind),
            SectionKind.HealthConcerns => HealthConcernEntry(statement, kind),
            SectionKind.Notes => Unexpected(statement, kind),
            SectionKind.FunctionalStatus => ObservationEntry(statement, kind, "functional-status"),
            SectionKind.MentalStatus => ObservationEntry(statement, kind, "cognitive-status"),
            SectionKind.Nutrition => ObservationEntry(statement, kind, "exam"),
            SectionKind.AdvanceDirectives => ObservationEntry(statement, kind, "advance-directive"),
            SectionKind.Findings => ObservationEntry(statement, kind, statement.Parent?.Parent?.HasTemplate("2.16.840.1.113883.10.20.6.1.2") == true ? "imaging" : "exam"),
            _ => Unexpected(statement, kind),
        };
    }

    private bool Unexpected(XElement statement, string kind)
    {
        _ctx.Skip(statement.Parent!, kind,
            $"A {statement.Name.LocalName} (moodCode {statement.A("moodCode") ?? "none"}, templateId {statement.TemplateIds().FirstOrDefault() ?? "none"}) is not expected in a {kind} section.");
        return false;
    }

    private bool ProblemEntry(XElement statement, string kind, ConditionCategory category)
    {
        switch (statement.Name.LocalName)
        {
            case "act":
                // Concern acts (problem, discharge/admission/pre/post-operative diagnosis) wrap problem observations.
                var observations = statement.Related().Where(s => s.Name.LocalName == "observation").ToList();
                if (observations.Count == 0)
                {
                    _ctx.Skip(statement.Parent!, kind, "The concern act holds no problem observation.");
                    return false;
                }

                var any = false;
                foreach (var observation in observations)
                {
                    any |= ConvertCondition(observation, statement, category) is not null;
                }

                return any;
            case "observation":
                return ConvertCondition(statement, null, category) is not null;
            default:
                return Unexpected(statement, kind);
        }
    }

    private bool AllergyEntry(XElement statement, string kind)
    {
        switch (statement.Name.LocalName)
        {
            case "act":
                var observations = statement.Related().Where(s => s.Name.LocalName == "observation").ToList();
                if (observations.Count == 0)
                {
                    if (statement.Negated() || IsNoKnownText(_ctx.Text(statement.E("text"))))
                    {
                        Allergy(statement, statement);
                        return true;
                    }

                    _ctx.Skip(statement.Parent!, kind, "The allergy concern act holds no allergy observation.");
                    return false;
                }

                // Severity, criticality, status and reaction observations some writers put beside the allergy observation
                // describe it: they are read by Allergy, never made into allergies of their own (no substance, no concept).
                var allergies = observations.Where(o => !IsAllergySupportingObservation(o)).ToList();
                if (allergies.Count == 0)
                {
                    _ctx.Skip(statement.Parent!, kind, "The allergy concern act holds only severity, criticality, status or reaction observations and no allergy observation.");
                    return false;
                }

                var converted = false;
                foreach (var observation in allergies)
                {
                    converted |= Allergy(observation, statement) is not null;
                }

                if (!converted)
                {
                    _ctx.Skip(statement.Parent!, kind, "The allergy names no substance (code nullFlavor and no name): no AllergyIntolerance without a concept.");
                }

                return converted;
            case "observation":
                if (Allergy(statement, null) is null)
                {
                    _ctx.Skip(statement.Parent!, kind, "The allergy names no substance (code nullFlavor and no name): no AllergyIntolerance without a concept.");
                    return false;
                }

                return true;
            default:
                return Unexpected(statement, kind);
        }
    }

    /// <summary>Severity (4.8), reaction (4.9), status (4.28) and criticality (4.145) observations: parts of an allergy, not allergies.</summary>
    private static bool IsAllergySupportingObservation(XElement observation) =>
        !observation.HasTemplate(T + "7") && (observation.HasTemplate(T + "8") || observation.HasTemplate(T + "9") || observation.HasTemplate(T + "28") || observation.HasTemplate(T + "145"));

    private bool MedicationEntry(XElement statement, string kind, MedicationRequest.MedicationRequestIntent intent)
    {
        switch (statement.Name.LocalName)
        {
            case "substanceAdministration":
                return Medication(statement, kind, intent) is not null;
            case "act":
                // Discharge and admission medication acts wrap medication activities.
                var activities = statement.Related().Where(s => s.Name.LocalName == "substanceAdministration").ToList();
                if (activities.Count == 0)
                {
                    _ctx.Skip(statement.Parent!, kind, "The medication act holds no medication activity.");
                    return false;
                }

                var any = false;
                foreach (var activity in activities)
                {
                    any |= Medication(activity, kind, intent) is not null;
                }

                return any;
            case "supply":
                return MedicationSupply(statement, kind) is not null;
            default:
                return Unexpected(statement, kind);
        }
    }

    private bool ImmunizationEntry(XElement statement, string kind) => statement.Name.LocalName switch
    {
        "substanceAdministration" => ConvertImmunization(statement, kind) is not null,
        _ => Unexpected(statement, kind),
    };

    private bool ResultEntry(XElement statement, string kind, string category)
    {
        switch (statement.Name.LocalName)
        {
            case "organizer":
                return category == "vital-signs" ? VitalSignsPanel(statement, kind) : ConvertDiagnosticReport(statement, kind);
            case "observation":
                return ConvertObservation(statement, kind, category) is not null;
            case "procedure" when category == "laboratory":
                return ConvertProcedure(statement, kind) is not null;
            default:
                return Unexpected(statement, kind);
        }
    }

    private bool ProcedureEntry(XElement statement, string kind)
    {
        switch (statement.Name.LocalName)
        {
            case "procedure" or "act":
                return (IsEvent(statement) ? (Resource?)ConvertProcedure(statement, kind) : ConvertServiceRequest(statement, kind)) is not null;
            case "observation":
                // Procedure activity observations (4.13) are procedures; indications in a procedure-indications section are reasons.
                return (IsEvent(statement) ? (statement.HasTemplate(T + "19") ? (Resource?)ConvertObservation(statement, kind, "exam") : ConvertProcedure(statement, kind)) : ConvertServiceRequest(statement, kind)) is not null;
            case "substanceAdministration":
                return Medication(statement, kind, MedicationRequest.MedicationRequestIntent.Order) is not null;
            case "encounter":
                return ConvertEncounter(statement, kind) is not null;
            default:
                return Unexpected(statement, kind);
        }
    }

    private bool EncounterEntry(XElement statement, string kind) => statement.Name.LocalName switch
    {
        "encounter" => (IsEvent(statement) ? (Resource?)ConvertEncounter(statement, kind) : ConvertServiceRequest(statement, kind)) is not null,
        _ => Unexpected(statement, kind),
    };

    private bool SocialHistoryEntry(XElement statement, string kind)
    {
        switch (statement.Name.LocalName)
        {
            case "observation" when statement.HasTemplate(T + "200") || statement.E("code").A("code") == "76689-9":
                _birthSexSet = SetBirthSex(statement);
                if (!_birthSexSet)
                {
                    _ctx.Skip(statement.Parent!, kind, "The birth sex observation has no F, M or UNK value.");
                }

                return _birthSexSet;
            case "observation":
                return SocialObservation(statement, kind) is not null;
            case "organizer":
                return ObservationEntry(statement, kind, "social-history");
            default:
                return Unexpected(statement, kind);
        }
    }

    private bool PlanEntry(XElement statement, string kind)
    {
        var name = statement.Name.LocalName;
        if (name == "observation" && string.Equals(statement.A("moodCode"), "GOL", StringComparison.Ordinal))
        {
            return ConvertGoal(statement, kind) is not null;
        }

        if (name == "act" && statement.HasTemplate(T + "20"))
        {
            return Instruction(statement, kind) is not null;
        }

        if (IsEvent(statement))
        {
            return name switch
            {
                "act" when statement.HasTemplate(T + "141") => ConvertCommunication(statement, kind) is not null,
                "act" or "procedure" => ConvertProcedure(statement, kind) is not null,
                "observation" => ConvertObservation(statement, kind, "survey") is not null,
                "encounter" => ConvertEncounter(statement, kind) is not null,
                "substanceAdministration" => Medication(statement, kind, MedicationRequest.MedicationRequestIntent.Plan) is not null,
                _ => Unexpected(statement, kind),
            };
        }

        return name switch
        {
            "act" or "procedure" or "observation" or "encounter" => ConvertServiceRequest(statement, kind) is not null,
            "substanceAdministration" => Medication(statement, kind, MedicationRequest.MedicationRequestIntent.Plan) is not null,
            "supply" => MedicationSupply(statement, kind) is not null,
            _ => Unexpected(statement, kind),
        };
    }

    private bool ObservationEntry(XElement statement, string kind, string category)
    {
        switch (statement.Name.LocalName)
        {
            case "observation" when statement.HasTemplate(T + "4", T + "68", T + "70", T + "72", T + "73"):
                return ConvertCondition(statement, null, ConditionCategory.ProblemList) is not null;
            case "observation":
                return ConvertObservation(statement, kind, category) is not null;
            case "organizer":
                return Panel(statement, kind, category);
            case "act" or "procedure" when IsEvent(statement):
                return ConvertProcedure(statement, kind) is not null;
            case "supply" when kind == SectionKind.FunctionalStatus:
                return DeviceUse(statement, kind) is not null;
            default:
                return Unexpected(statement, kind);
        }
    }

    private bool EquipmentEntry(XElement statement, string kind)
    {
        switch (statement.Name.LocalName)
        {
            case "supply":
                return DeviceUse(statement, kind) is not null;
            case "procedure" or "observation" or "act":
                return ConvertProcedure(statement, kind) is not null;
            case "organizer":
                var any = false;
                foreach (var component in statement.Es("component").Select(c => c.Statement()).OfType<XElement>())
                {
                    any |= component.Name.LocalName switch
                    {
                        "supply" => DeviceUse(component, kind) is not null,
                        "procedure" or "observation" or "act" => ConvertProcedure(component, kind) is not null,
                        _ => false,
                    };
                }

                if (!any)
                {
                    _ctx.Skip(statement.Parent!, kind, "The equipment organizer holds no device supply or procedure.");
                }

                return any;
            default:
                return Unexpected(statement, kind);
        }
    }

    private bool GoalEntry(XElement statement, string kind) => statement.Name.LocalName switch
    {
        "observation" or "act" => ConvertGoal(statement, kind) is not null,
        _ => Unexpected(statement, kind),
    };

    private bool HealthConcernEntry(XElement statement, string kind)
    {
        switch (statement.Name.LocalName)
        {
            case "act":
                var problems = statement.Related().Where(s => s.Name.LocalName == "observation" && s.E("value") is not null).ToList();
                if (problems.Count == 0)
                {
                    return HealthConcernFromAct(statement, kind) is not null;
                }

                var any = false;
                foreach (var problem in problems)
                {
                    any |= ConvertCondition(problem, statement, ConditionCategory.HealthConcern) is not null;
                }

                return any;
            case "observation" when statement.HasTemplate(T + "4"):
                return ConvertCondition(statement, null, ConditionCategory.HealthConcern) is not null;
            case "observation":
                return ConvertObservation(statement, kind, "survey") is not null;
            default:
                return Unexpected(statement, kind);
        }
    }

    private static bool IsNegatedPlaceholder(XElement statement)
    {
        if (!statement.Negated())
        {
            return false;
        }

        var code = statement.E("code");
        var coded = code.A("code") is not null || code.Es("translation").Any(t => t.A("code") is not null);
        var valued = statement.Es("value").Any(v => v.A("code") is not null || v.A("value") is not null);
        return !coded && !valued;
    }

    /// <summary>An organizer with no code whose components all say "nothing recorded" (or that has no components).</summary>
    private static bool IsPlaceholderOrganizer(XElement organizer)
    {
        var code = organizer.E("code");
        if (code.A("code") is not null || code.Es("translation").Any(t => t.A("code") is not null))
        {
            return false;
        }

        var components = organizer.Es("component").Select(c => c.Statement()).ToList();
        return components.All(c => c is null || c.NullFlavor() is not null || IsNegatedPlaceholder(c));
    }

    private static bool IsEvent(XElement statement) => statement.A("moodCode") is null or "EVN";

    private static bool IsNoKnownText(string? text) =>
        text is not null && (text.Contains("no known", StringComparison.OrdinalIgnoreCase) || text.Contains("NKA", StringComparison.Ordinal) || text.Contains("NKDA", StringComparison.Ordinal));

    /// <summary>Authors of a statement as references (practitioners or devices).</summary>
    private ResourceReference? FirstAuthor(XElement statement) =>
        statement.Es("author").Select(a => PractitionerRef(a.E("assignedAuthor"))).FirstOrDefault(r => r is not null);

    private string? AuthorTime(XElement statement) => statement.Es("author").Select(a => _ctx.DateTimeString(a.E("time"))).FirstOrDefault(t => t is not null);

    private List<ResourceReference> Performers(XElement statement) =>
        statement.Es("performer").Select(p => PractitionerRef(p.E("assignedEntity"))).OfType<ResourceReference>().ToList();

    /// <summary>
    /// The reasons (indications) of a statement: the values of its RSON observations, and of the problem observations
    /// inside an RSON concern act (one vendor wraps each prescription's diagnosis so). A generic "Problem" / "Clinical
    /// finding" / "Disease" coding beside a real one (e.g. an ICD-9-CM translation) is dropped: it names no reason.
    /// </summary>
    private List<CodeableConcept> Reasons(XElement statement)
    {
        var reasons = new List<CodeableConcept>();
        foreach (var related in statement.Related("RSON"))
        {
            var observations = related.Name.LocalName switch
            {
                "observation" => [related],
                "act" => related.Related().Where(o => o.Name.LocalName == "observation").ToList(),
                _ => new List<XElement>(),
            };
            foreach (var observation in observations)
            {
                if (_ctx.Concept(observation.E("value")) is not { } reason)
                {
                    continue;
                }

                if (reason.Coding.Count > 1)
                {
                    reason.Coding.RemoveAll(c => c.System == CodeSystems.Snomed && c.Code is "55607006" or "404684003" or "64572001");
                }

                if (!reasons.Any(r => r.IsExactly(reason)))
                {
                    reasons.Add(reason);
                }
            }
        }

        return reasons;
    }

    internal enum ConditionCategory
    {
        ProblemList,
        Diagnosis,
        HealthConcern,
    }
}
