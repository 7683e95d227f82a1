using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>Problems, allergies, medications and immunizations.</summary>
internal sealed partial class DocumentConverter
{
    private const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    private const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    private const string AllergyClinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    private const string AllergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

    private Condition? ConvertCondition(XElement observation, XElement? concern, ConditionCategory category)
    {
        var value = observation.E("value");
        var condition = new Condition
        {
            Identifier = _ctx.Identifiers(observation.Es("id")),
            Subject = _ctx.PatientReference,
            Recorder = FirstAuthor(observation) ?? (concern is null ? null : FirstAuthor(concern)),
        };
        condition.Category.Add(category switch
        {
            ConditionCategory.Diagnosis => ConversionContext.Coded("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis"),
            ConditionCategory.HealthConcern => ConversionContext.Coded("http://hl7.org/fhir/us/core/CodeSystem/condition-category", "health-concern", "Health Concern"),
            _ => ConversionContext.Coded("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item"),
        });
        var code = _ctx.Concept(value);
        if (observation.Negated())
        {
            if (code is null || code.Coding.Count == 0)
            {
                code = new CodeableConcept(CodeSystems.Snomed, "160245001", "No current problems or disability", code?.Text);
                condition.VerificationStatus = new CodeableConcept(ConditionVerification, "confirmed");
            }
            else
            {
                condition.VerificationStatus = new CodeableConcept(ConditionVerification, "refuted");
            }
        }

        if (code is null)
        {
            var text = _ctx.Text(observation.E("text"));
            if (text is null && observation.E("code").A("code") is not ("55607006" or "ASSERTION" or "64572001" or "282291009" or "409586006" or "404684003" or "418799008" or "248536006" or "75326-9" or "29308-4" or "11450-4" or "75310-3"))
            {
                code = _ctx.Concept(observation.E("code"));
            }

            code ??= text is not null ? new CodeableConcept { Text = text } : null;
            if (code is null)
            {
                _ctx.Skip(observation.Parent?.Name.LocalName == "entry" ? observation.Parent : observation, "Problems",
                    $"The problem observation has no problem code or text (value nullFlavor {value.NullFlavor() ?? "absent"}).");
                return null;
            }

            _ctx.Warn(observation, "The problem has no coded value; its text was kept.");
        }

        condition.Code = code;
        var effective = ConversionContext.MainEffectiveTime(observation);
        var onset = _ctx.DateTimeString(effective?.E("low")) ?? _ctx.DateTimeString(effective);
        var abatement = _ctx.DateTimeString(effective?.E("high"));
        if (onset is not null)
        {
            condition.Onset = new FhirDateTime(onset);
        }

        if (abatement is not null)
        {
            condition.Abatement = new FhirDateTime(abatement);
        }

        condition.RecordedDateElement = AuthorTime(observation) is { } recorded ? new FhirDateTime(recorded)
            : concern is not null && _ctx.DateTimeString(concern.E("effectiveTime").E("low")) is { } concernStart ? new FhirDateTime(concernStart) : null;

        var status = observation.Related("REFR").FirstOrDefault(o => o.E("code").A("code") == "33999-4" || o.HasTemplate(T + "6")).E("value").A("code");
        var clinical = status switch
        {
            "55561003" => "active",
            "73425007" => "inactive",
            "413322009" => "resolved",
            _ when abatement is not null => "resolved",
            _ => (concern ?? observation).E("statusCode").A("code") switch
            {
                "completed" when concern is not null => "resolved",
                "suspended" or "aborted" => "inactive",
                _ => "active",
            },
        };
        if (condition.VerificationStatus?.Coding.FirstOrDefault()?.Code != "refuted")
        {
            condition.ClinicalStatus = new CodeableConcept(ConditionClinical, clinical);
        }

        if (observation.Es("value").Count() > 1)
        {
            _ctx.Warn(observation, "The problem observation has several values; only the first was converted.");
        }

        return _ctx.Add(condition, observation);
    }

    private AllergyIntolerance? Allergy(XElement observation, XElement? concern)
    {
        var allergy = new AllergyIntolerance
        {
            Identifier = _ctx.Identifiers(observation.Es("id")),
            Patient = _ctx.PatientReference,
            Recorder = FirstAuthor(observation) ?? (concern is null ? null : FirstAuthor(concern)),
        };
        var type = observation.E("value").A("code");
        var substanceElement = observation.Es("participant").Select(p => p.E("participantRole").E("playingEntity")).FirstOrDefault(p => p is not null);
        var substance = _ctx.Concept(substanceElement.E("code"));
        if (substance is null && Cda.Clean(substanceElement.E("name")?.Value) is { } substanceName)
        {
            substance = new CodeableConcept { Text = substanceName };
        }

        var narrative = _ctx.Text(observation.E("text")) ?? (concern is null ? null : _ctx.Text(concern.E("text")));
        var negated = observation.Negated() || (concern is not null && concern.Negated() && observation == concern);
        var generic = substance is not null && substance.Coding.Count > 0 && substance.Coding.All(c => c.System == CodeSystems.Snomed && GenericSubstances.Contains(c.Code));
        if (negated && substance?.Coding.Count > 0 && !generic)
        {
            allergy.Code = substance;
            allergy.VerificationStatus = new CodeableConcept(AllergyVerification, "refuted");
        }
        else if (negated || (substance?.Coding.Count is null or 0 && IsNoKnownText(substance?.Text ?? narrative)))
        {
            // "No known (drug/food/environmental) allergies": negated, or a substance that is only a generic class.
            var drugClass = generic && substance!.Coding[0].Code is "410942007" or "373873005";
            allergy.Code = type switch
            {
                _ when drugClass => ConversionContext.Coded(CodeSystems.Snomed, "409137002", "No known drug allergy"),
                "416098002" or "419511003" or "59037007" => ConversionContext.Coded(CodeSystems.Snomed, "409137002", "No known drug allergy"),
                "414285001" or "235719002" or "418471000" => ConversionContext.Coded(CodeSystems.Snomed, "429625007", "No known food allergy"),
                "426232007" => ConversionContext.Coded(CodeSystems.Snomed, "428607008", "No known environmental allergy"),
                _ => ConversionContext.Coded(CodeSystems.Snomed, "716186003", "No known allergy"),
            };
            allergy.Code.Text = generic ? narrative : substance?.Text ?? narrative;
            allergy.VerificationStatus = new CodeableConcept(AllergyVerification, "confirmed");
            allergy.ClinicalStatus = new CodeableConcept(AllergyClinical, "active");
            return _ctx.Add(allergy, observation);
        }
        else if (substance is not null)
        {
            allergy.Code = substance;
            allergy.VerificationStatus = new CodeableConcept(AllergyVerification, "confirmed");
        }
        else
        {
            // No clinical resource without a concept: the caller reports the entry as not converted.
            return null;
        }

        switch (type)
        {
            case "416098002" or "419511003":
                allergy.Category = [AllergyIntolerance.AllergyIntoleranceCategory.Medication];
                allergy.Type = type == "416098002" ? AllergyIntolerance.AllergyIntoleranceType.Allergy : null;
                break;
            case "59037007":
                allergy.Category = [AllergyIntolerance.AllergyIntoleranceCategory.Medication];
                allergy.Type = AllergyIntolerance.AllergyIntoleranceType.Intolerance;
                break;
            case "414285001" or "418471000":
                allergy.Category = [AllergyIntolerance.AllergyIntoleranceCategory.Food];
                allergy.Type = type == "414285001" ? AllergyIntolerance.AllergyIntoleranceType.Allergy : null;
                break;
            case "235719002":
                allergy.Category = [AllergyIntolerance.AllergyIntoleranceCategory.Food];
                allergy.Type = AllergyIntolerance.AllergyIntoleranceType.Intolerance;
                break;
            case "426232007" or "419199007":
                allergy.Category = type == "426232007" ? [AllergyIntolerance.AllergyIntoleranceCategory.Environment] : [];
                allergy.Type = AllergyIntolerance.AllergyIntoleranceType.Allergy;
                break;
            case "418038007":
                break;
            default:
                break;
        }

        var effective = ConversionContext.MainEffectiveTime(observation);
        if ((_ctx.DateTimeString(effective?.E("low")) ?? _ctx.DateTimeString(effective)) is { } onset)
        {
            allergy.Onset = new FhirDateTime(onset);
        }

        allergy.RecordedDateElement = AuthorTime(observation) is { } recorded ? new FhirDateTime(recorded) : null;
        var abated = _ctx.DateTimeString(effective?.E("high")) is not null;
        var status = observation.Related("SUBJ").Concat(observation.Related("REFR"))
            .FirstOrDefault(o => o.E("code").A("code") == "33999-4" || o.HasTemplate(T + "28")).E("value").A("code");
        var clinical = status switch
        {
            "55561003" => "active",
            "73425007" => "inactive",
            "413322009" => "resolved",
            _ when abated => "resolved",
            _ => concern.E("statusCode").A("code") switch
            {
                "completed" => "resolved",
                "suspended" or "aborted" => "inactive",
                _ => "active",
            },
        };
        if (allergy.VerificationStatus?.Coding.FirstOrDefault()?.Code != "refuted")
        {
            allergy.ClinicalStatus = new CodeableConcept(AllergyClinical, clinical);
        }

        // Severity and criticality observations belong to the allergy observation; some writers put them on the concern act beside it.
        var besideIt = concern is not null && concern != observation ? concern.Related().ToList() : [];
        var criticality = (observation.Related().FirstOrDefault(o => o.HasTemplate(T + "145")) ?? besideIt.FirstOrDefault(o => o.HasTemplate(T + "145"))).E("value").A("code");
        allergy.Criticality = criticality switch
        {
            "CRITH" => AllergyIntolerance.AllergyIntoleranceCriticality.High,
            "CRITL" => AllergyIntolerance.AllergyIntoleranceCriticality.Low,
            "CRITU" => AllergyIntolerance.AllergyIntoleranceCriticality.UnableToAssess,
            _ => null,
        };

        var allergySeverity = Severity(observation.Related("SUBJ").FirstOrDefault(o => o.HasTemplate(T + "8")) ?? besideIt.FirstOrDefault(o => o.HasTemplate(T + "8")));
        foreach (var reaction in observation.Related("MFST"))
        {
            var manifestation = _ctx.Concept(reaction.E("value"));
            if (manifestation is null)
            {
                continue;
            }

            var component = new AllergyIntolerance.ReactionComponent
            {
                Manifestation = [manifestation],
                Severity = Severity(reaction.Related("SUBJ").FirstOrDefault(o => o.HasTemplate(T + "8"))) ?? allergySeverity,
                OnsetElement = _ctx.DateTimeOf(reaction.E("effectiveTime").E("low")),
            };
            allergy.Reaction.Add(component);
        }

        if (allergySeverity is { } severity && allergy.Reaction.Count == 0 && allergy.Criticality is null)
        {
            // A severity with no reaction to carry it: R4 has no allergy-level severity, so it says how critical the allergy is.
            allergy.Criticality = severity == AllergyIntolerance.AllergyIntoleranceSeverity.Severe
                ? AllergyIntolerance.AllergyIntoleranceCriticality.High
                : AllergyIntolerance.AllergyIntoleranceCriticality.Low;
        }

        return _ctx.Add(allergy, observation);
    }

    /// <summary>SNOMED codes of substance classes, not substances: "substance", "drug or medicament", "pharmaceutical product".</summary>
    private static readonly HashSet<string?> GenericSubstances = new(StringComparer.Ordinal) { "105590001", "410942007", "373873005" };

    private static AllergyIntolerance.AllergyIntoleranceSeverity? Severity(XElement? severity) => severity.E("value").A("code") switch
    {
        "24484000" or "442452003" or "399166001" => AllergyIntolerance.AllergyIntoleranceSeverity.Severe,
        "6736007" or "371924009" => AllergyIntolerance.AllergyIntoleranceSeverity.Moderate,
        "255604002" or "371923003" => AllergyIntolerance.AllergyIntoleranceSeverity.Mild,
        _ => null,
    };

    private CodeableConcept? Product(XElement statement)
    {
        var material = statement.E("consumable").E("manufacturedProduct").E("manufacturedMaterial")
            ?? statement.E("product").E("manufacturedProduct").E("manufacturedMaterial");
        var concept = _ctx.Concept(material.E("code"));
        if (concept is not null)
        {
            if (concept.Text is null && Cda.Clean(material.E("name")?.Value) is { } withName && concept.Coding.All(c => c.Display is null))
            {
                concept.Text = withName;
            }

            return concept;
        }

        return Cda.Clean(material.E("name")?.Value) is { } name ? new CodeableConcept { Text = name } : null;
    }

    private Resource? Medication(XElement sa, string kind, MedicationRequest.MedicationRequestIntent intent)
    {
        var medication = Product(sa);
        if (medication is null)
        {
            var text = _ctx.Text(sa.E("text"));
            if (text is null)
            {
                _ctx.Skip(sa.Parent?.Name.LocalName == "entry" ? sa.Parent : sa, kind, "The medication activity names no medication (code nullFlavor, no originalText, no name).");
                return null;
            }

            medication = new CodeableConcept { Text = text };
            _ctx.Warn(sa, "The medication is not coded; the entry text was used as its name.");
        }

        var dosage = Dosage(sa);
        var statusCode = sa.E("statusCode").A("code");
        if (IsEvent(sa))
        {
            var statement = new MedicationStatement
            {
                Identifier = _ctx.Identifiers(sa.Es("id")),
                Status = sa.Negated() ? MedicationStatement.MedicationStatusCodes.NotTaken : statusCode switch
                {
                    "active" => MedicationStatement.MedicationStatusCodes.Active,
                    "completed" => MedicationStatement.MedicationStatusCodes.Completed,
                    "aborted" => MedicationStatement.MedicationStatusCodes.Stopped,
                    "suspended" or "held" => MedicationStatement.MedicationStatusCodes.OnHold,
                    "cancelled" => MedicationStatement.MedicationStatusCodes.NotTaken,
                    "new" => MedicationStatement.MedicationStatusCodes.Intended,
                    "nullified" => MedicationStatement.MedicationStatusCodes.EnteredInError,
                    _ => MedicationStatement.MedicationStatusCodes.Unknown,
                },
                Medication = medication,
                Subject = _ctx.PatientReference,
                Effective = _ctx.Effective(ConversionContext.MainEffectiveTime(sa)),
                DateAssertedElement = AuthorTime(sa) is { } asserted ? new FhirDateTime(asserted) : null,
                InformationSource = FirstAuthor(sa),
                ReasonCode = Reasons(sa),
                Dosage = dosage is null ? [] : [dosage],
            };
            return _ctx.Add(statement, sa);
        }

        var request = new MedicationRequest
        {
            Identifier = _ctx.Identifiers(sa.Es("id")),
            Status = statusCode switch
            {
                "active" => MedicationRequest.MedicationrequestStatus.Active,
                "completed" => MedicationRequest.MedicationrequestStatus.Completed,
                "aborted" => MedicationRequest.MedicationrequestStatus.Stopped,
                "cancelled" => MedicationRequest.MedicationrequestStatus.Cancelled,
                "suspended" or "held" => MedicationRequest.MedicationrequestStatus.OnHold,
                "new" => MedicationRequest.MedicationrequestStatus.Draft,
                "nullified" => MedicationRequest.MedicationrequestStatus.EnteredInError,
                _ => MedicationRequest.MedicationrequestStatus.Unknown,
            },
            Intent = sa.A("moodCode") == "PRP" ? MedicationRequest.MedicationRequestIntent.Proposal : intent,
            DoNotPerform = sa.Negated() ? true : null,
            Medication = medication,
            Subject = _ctx.PatientReference,
            AuthoredOnElement = AuthorTime(sa) is { } authored ? new FhirDateTime(authored) : null,
            Requester = FirstAuthor(sa),
            ReasonCode = Reasons(sa),
            DosageInstruction = dosage is null ? [] : [dosage],
        };
        var supply = sa.Related("REFR").FirstOrDefault(s => s.Name.LocalName == "supply" && s.A("moodCode") == "INT");
        if (supply is not null)
        {
            request.DispenseRequest = new MedicationRequest.DispenseRequestComponent
            {
                NumberOfRepeatsAllowed = int.TryParse(supply.E("repeatNumber").A("value"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var repeats) ? Math.Max(0, repeats - 1) : null,
                Quantity = _ctx.QuantityOf(supply.E("quantity")),
            };
        }

        return _ctx.Add(request, sa);
    }

    private Resource? MedicationSupply(XElement supply, string kind)
    {
        var medication = Product(supply);
        if (medication is null)
        {
            _ctx.Skip(supply.Parent?.Name.LocalName == "entry" ? supply.Parent : supply, kind, "The supply names no medication product.");
            return null;
        }

        var request = new MedicationRequest
        {
            Identifier = _ctx.Identifiers(supply.Es("id")),
            Status = supply.E("statusCode").A("code") switch
            {
                "active" => MedicationRequest.MedicationrequestStatus.Active,
                "completed" => MedicationRequest.MedicationrequestStatus.Completed,
                _ => MedicationRequest.MedicationrequestStatus.Unknown,
            },
            Intent = IsEvent(supply) ? MedicationRequest.MedicationRequestIntent.Order : MedicationRequest.MedicationRequestIntent.Plan,
            Medication = medication,
            Subject = _ctx.PatientReference,
            Requester = FirstAuthor(supply),
            DispenseRequest = new MedicationRequest.DispenseRequestComponent
            {
                Quantity = _ctx.QuantityOf(supply.E("quantity")),
                ValidityPeriod = _ctx.PeriodOf(ConversionContext.MainEffectiveTime(supply)),
            },
        };
        return _ctx.Add(request, supply);
    }

    private Dosage? Dosage(XElement sa)
    {
        var dosage = new Dosage { Text = _ctx.Text(sa.E("text")), Route = _ctx.Concept(sa.E("routeCode")), Site = _ctx.Concept(sa.E("approachSiteCode")) };
        var timing = new Timing();
        foreach (var time in sa.Es("effectiveTime").Skip(1))
        {
            switch (time.XsiType())
            {
                case "PIVL_TS":
                    var period = _ctx.QuantityOf(time.E("period"), warnOnMissing: true);
                    if (period?.Value is { } value && UnitOfTime(time.E("period").A("unit")) is { } unit)
                    {
                        timing.Repeat ??= new Timing.RepeatComponent();
                        timing.Repeat.Period = value;
                        timing.Repeat.PeriodUnit = unit;
                    }
                    else if (time.E("period") is { } p && p.NullFlavor() is null)
                    {
                        _ctx.Warn(time, $"The dosing period '{p.A("value")} {p.A("unit")}' is not a time quantity; it was not converted.");
                    }

                    break;
                case "EIVL_TS":
                    if (time.E("event").A("code") is { } eventCode && Enum.TryParse<Timing.EventTiming>(eventCode, ignoreCase: true, out var when))
                    {
                        timing.Repeat ??= new Timing.RepeatComponent();
                        timing.Repeat.When = [when];
                    }

                    break;
                default:
                    break;
            }
        }

        if (timing.Repeat is not null)
        {
            dosage.Timing = timing;
        }

        var dose = sa.E("doseQuantity");
        if (dose is not null && dose.NullFlavor() is null)
        {
            var component = new Dosage.DoseAndRateComponent();
            if (_ctx.QuantityOf(dose) is { } quantity)
            {
                component.Dose = quantity;
            }
            else if (_ctx.RangeOf(dose) is { } range)
            {
                component.Dose = range;
            }

            if (component.Dose is not null)
            {
                dosage.DoseAndRate.Add(component);
            }
        }

        if (sa.Es("precondition").Any())
        {
            dosage.AsNeeded = new FhirBoolean(true);
        }

        if (sa.Related("SUBJ").FirstOrDefault(s => s.HasTemplate(T + "20")) is { } instruction)
        {
            dosage.PatientInstruction = _ctx.Text(instruction.E("text")) ?? _ctx.Concept(instruction.E("code"))?.Text;
        }

        return dosage.Text is null && dosage.Route is null && dosage.Site is null && dosage.Timing is null && dosage.DoseAndRate.Count == 0 && dosage.AsNeeded is null && dosage.PatientInstruction is null
            ? null
            : dosage;
    }

    private static Timing.UnitsOfTime? UnitOfTime(string? unit) => unit switch
    {
        "s" => Timing.UnitsOfTime.S,
        "min" => Timing.UnitsOfTime.Min,
        "h" or "hr" => Timing.UnitsOfTime.H,
        "d" => Timing.UnitsOfTime.D,
        "wk" => Timing.UnitsOfTime.Wk,
        "mo" => Timing.UnitsOfTime.Mo,
        "a" => Timing.UnitsOfTime.A,
        _ => null,
    };

    private Resource? ConvertImmunization(XElement sa, string kind)
    {
        if (!IsEvent(sa))
        {
            return Medication(sa, kind, MedicationRequest.MedicationRequestIntent.Plan);
        }

        var material = sa.E("consumable").E("manufacturedProduct").E("manufacturedMaterial");
        var vaccine = Product(sa);
        if (vaccine is null)
        {
            // No clinical resource without a concept: an immunization that names no vaccine is a placeholder, not a fact.
            _ctx.Skip(sa.Parent?.Name.LocalName == "entry" ? sa.Parent : sa, kind, "The immunization names no vaccine (code nullFlavor, no originalText, no name): no Immunization without a concept.");
            return null;
        }

        var statusCode = sa.E("statusCode").A("code");
        var immunization = new Immunization
        {
            Identifier = _ctx.Identifiers(sa.Es("id")),
            Status = sa.Negated() || statusCode is "aborted" or "cancelled" ? Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.NotDone
                : statusCode == "nullified" ? Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.EnteredInError
                : Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.Completed,
            VaccineCode = vaccine,
            Patient = _ctx.PatientReference,
            LotNumber = Cda.Clean(material.E("lotNumberText")?.Value),
            Route = _ctx.Concept(sa.E("routeCode")),
            Site = _ctx.Concept(sa.E("approachSiteCode")),
            DoseQuantity = _ctx.QuantityOf(sa.E("doseQuantity")) is { } dose && dose.Unit is not null ? dose : null,
            Manufacturer = OrganizationRef(sa.E("consumable").E("manufacturedProduct").E("manufacturerOrganization")),
            ReasonCode = Reasons(sa).Where(_ => !sa.Negated()).ToList(),
        };
        var effective = ConversionContext.MainEffectiveTime(sa);
        var occurrence = _ctx.DateTimeString(effective) ?? _ctx.DateTimeString(effective?.E("low")) ?? _ctx.DateTimeString(effective?.E("center"));
        immunization.Occurrence = occurrence is not null ? new FhirDateTime(occurrence) : DateAbsent();
        if (sa.Negated())
        {
            immunization.StatusReason = sa.Related("RSON").Select(r => _ctx.Concept(r.E("code")) is { } c && r.HasTemplate(T + "53") ? c : _ctx.Concept(r.E("value"))).FirstOrDefault(c => c is not null);
        }

        foreach (var performer in Performers(sa))
        {
            immunization.Performer.Add(new Immunization.PerformerComponent
            {
                Actor = performer,
                Function = ConversionContext.Coded("http://terminology.hl7.org/CodeSystem/v2-0443", "AP", "Administering Provider"),
            });
        }

        var result = _ctx.Add(immunization, sa);
        foreach (var reaction in sa.Related("CAUS").Where(r => r.Name.LocalName == "observation"))
        {
            if (ConvertObservation(reaction, kind, "exam") is { } detail)
            {
                immunization.Reaction.Add(new Immunization.ReactionComponent { Detail = ConversionContext.Ref(detail), DateElement = _ctx.DateTimeOf(reaction.E("effectiveTime").E("low")) });
            }
        }

        return result;
    }
}
