using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>RXA, RXR and the OBX segments of a VXU that describe the immunization.</summary>
internal sealed partial class MessageConverter
{
    private void ConvertImmunization(Hl7V2Segment rxa)
    {
        if (!RequirePatient())
        {
            return;
        }

        var vaccine = V2DataTypes.Concept(rxa.Field(5), "http://hl7.org/fhir/sid/cvx");
        if (vaccine is null)
        {
            _immunization = null;
            Skip("RXA-5 (administered code) is empty: an Immunization needs a vaccine code");
            return;
        }

        var immunization = new Immunization
        {
            Id = IdFor("Immunization"),
            Patient = new ResourceReference(PatientReference),
            VaccineCode = vaccine,
            Encounter = _encounter is null ? null : Ref(_encounter),
        };
        if (DateTimeOf(rxa.Field(3).Component(1).Value, immunization, "RXA-3") is { } occurrence)
        {
            immunization.Occurrence = occurrence;
        }
        else
        {
            immunization.Occurrence = new FhirString("unknown");
            Warn(immunization, "RXA-3 (start of administration) is missing or invalid; occurrence recorded as 'unknown'");
        }

        if (_order is not null)
        {
            foreach (var (field, type) in new[] { (2, "PLAC"), (3, "FILL") })
            {
                var ei = _order.Field(field);
                if (ei.Component(1).Value is { } id)
                {
                    immunization.Identifier.Add(new Identifier(V2DataTypes.EntitySystem(ei, _options), id)
                    {
                        Type = V2DataTypes.TableConcept(type, "0203"),
                    });
                }
            }
        }

        var amount = rxa.Get(6);
        if (V2DataTypes.Decimal(amount) is { } dose && dose != 999m)
        {
            var quantity = new Quantity { Value = dose };
            V2DataTypes.SetUnit(quantity, rxa.Field(7));
            immunization.DoseQuantity = quantity;
        }

        var source = rxa.Field(9);
        var sourceCode = source.Component(1).Value;
        if (sourceCode is not null)
        {
            immunization.PrimarySource = sourceCode == "00";
            if (sourceCode != "00")
            {
                immunization.ReportOrigin = V2DataTypes.Concept(source, "urn:oid:2.16.840.1.114222.4.5.274");
            }
        }

        foreach (var xcn in rxa.Repetitions(10))
        {
            if (Practitioner(xcn) is { } performer)
            {
                immunization.Performer.Add(new Immunization.PerformerComponent
                {
                    Actor = performer,
                    Function = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0443", "AP", "Administering Provider", null),
                });
            }
        }

        immunization.LotNumber = rxa.Get(15);
        immunization.ExpirationDate = V2DataTypes.Date(rxa.Field(16).Component(1).Value);
        if (rxa.Field(17) is { IsEmpty: false } mvx)
        {
            var manufacturerCode = mvx.Component(1).Value;
            immunization.Manufacturer = Organization(mvx.Component(2).Value ?? manufacturerCode,
                manufacturerCode is null ? null : new Identifier(V2DataTypes.CodeSystemUri(mvx.Component(3).Value) ?? V2DataTypes.CodeSystemUri("MVX"), manufacturerCode));
        }

        var completion = rxa.Get(20);
        switch (completion)
        {
            case "RE":
                immunization.Status = Immunization.ImmunizationStatusCodes.NotDone;
                immunization.StatusReason = V2DataTypes.Concept(rxa.Field(18), "urn:oid:2.16.840.1.114222.4.5.274")
                    ?? new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActReason", "PATOBJ", "patient objection", null);
                break;
            case "NA":
                immunization.Status = Immunization.ImmunizationStatusCodes.NotDone;
                immunization.StatusReason = V2DataTypes.Concept(rxa.Field(18), "urn:oid:2.16.840.1.114222.4.5.274")
                    ?? V2DataTypes.Concept(rxa.Field(19), "urn:oid:2.16.840.1.114222.4.5.274");
                break;
            case "PA":
                immunization.Status = Immunization.ImmunizationStatusCodes.Completed;
                immunization.IsSubpotent = true;
                break;
            default:
                immunization.Status = Immunization.ImmunizationStatusCodes.Completed;
                break;
        }

        if (rxa.Get(21) == "D")
        {
            immunization.Status = Immunization.ImmunizationStatusCodes.EnteredInError;
        }

        foreach (var reason in rxa.Repetitions(19))
        {
            if (completion != "NA" && V2DataTypes.Concept(reason) is { } indication)
            {
                immunization.ReasonCode.Add(indication);
            }
        }

        _immunization = immunization;
        _noteTarget = immunization;
        Add(immunization, immunization.Status switch
        {
            Immunization.ImmunizationStatusCodes.NotDone => completion == "RE" ? "Immunization (refused: not-done)" : "Immunization (not administered: not-done)",
            Immunization.ImmunizationStatusCodes.EnteredInError => "Immunization (deleted: entered-in-error)",
            _ => "Immunization",
        });
    }

    private void MergeRoute(Hl7V2Segment rxr)
    {
        _immunization!.Route = V2DataTypes.Concept(rxr.Field(1), "http://terminology.hl7.org/CodeSystem/v2-0162");
        _immunization.Site = V2DataTypes.Concept(rxr.Field(2), "http://terminology.hl7.org/CodeSystem/v2-0163");
        Merge(_immunization, "RXR-1 route and RXR-2 site added to the Immunization");
    }

    /// <summary>VXU OBX with LOINC codes the IG maps into the Immunization itself (funding, eligibility, VIS).</summary>
    private bool MergeImmunizationObservation(Hl7V2Segment obx)
    {
        var immunization = _immunization!;
        var code = obx.Field(3).Component(1).Value;
        var value = obx.Field(5);
        switch (code)
        {
            case "30963-3":
                immunization.FundingSource = V2DataTypes.Concept(value);
                Merge(immunization, "OBX 30963-3 (vaccine funding source) → Immunization.fundingSource");
                return true;
            case "64994-7":
                if (V2DataTypes.Concept(value) is { } eligibility)
                {
                    immunization.ProgramEligibility.Add(eligibility);
                }

                Merge(immunization, "OBX 64994-7 (funding program eligibility) → Immunization.programEligibility");
                return true;
            case "69764-9" or "30956-7" or "29768-9" or "29769-7":
                var education = EducationFor(immunization, obx.Get(4));
                switch (code)
                {
                    case "69764-9":
                        education.DocumentType = value.Component(2).Value ?? value.Component(1).Value;
                        break;
                    case "30956-7":
                        education.DocumentType ??= value.Component(2).Value ?? value.Component(1).Value;
                        break;
                    case "29768-9":
                        education.PublicationDateElement = DateTimeOf(value.Component(1).Value, immunization, "OBX-5 (VIS publication date)");
                        break;
                    default:
                        education.PresentationDateElement = DateTimeOf(value.Component(1).Value, immunization, "OBX-5 (VIS presentation date)");
                        break;
                }

                Merge(immunization, $"OBX {code} (vaccine information statement) → Immunization.education");
                return true;
            default:
                return false;
        }
    }

    private Immunization.EducationComponent EducationFor(Immunization immunization, string? subId)
    {
        var key = "vis-" + (subId ?? string.Empty);
        var education = immunization.Education.FirstOrDefault(e => e.ElementId == key);
        if (education is null)
        {
            education = new Immunization.EducationComponent { ElementId = key };
            immunization.Education.Add(education);
        }

        return education;
    }
}
