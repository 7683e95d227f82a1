using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>PV1 and PV2.</summary>
internal sealed partial class MessageConverter
{
    private const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    private const string ParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

    private void ConvertEncounter(Hl7V2Segment pv1)
    {
        if (!RequirePatient())
        {
            return;
        }

        var patientClass = pv1.Get(2);
        if (patientClass == "N")
        {
            Skip("PV1-2 is 'N' (not applicable): the message describes no visit");
            return;
        }

        var encounter = new Encounter
        {
            Id = IdFor("Encounter"),
            Subject = new ResourceReference(PatientReference),
            Class = patientClass switch
            {
                "I" or "B" => new Coding(ActCode, "IMP", "inpatient encounter"),
                "O" or "R" or "C" => new Coding(ActCode, "AMB", "ambulatory"),
                "E" => new Coding(ActCode, "EMER", "emergency"),
                "P" => new Coding(ActCode, "PRENC", "pre-admission"),
                null or "U" => new Coding("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "UNK", "unknown"),
                var other => new Coding("http://terminology.hl7.org/CodeSystem/v2-0004", V2DataTypes.Code(other) ?? "U"),
            },
        };
        if (pv1.Field(19) is { IsEmpty: false } visit && V2DataTypes.Identifier(visit, _options) is { } visitNumber)
        {
            visitNumber.Type ??= V2DataTypes.TableConcept("VN", "0203", "Visit number");
            encounter.Identifier.Add(visitNumber);
        }

        var admit = DateTimeOf(pv1.Field(44).Component(1).Value, encounter, "PV1-44");
        var discharge = DateTimeOf(pv1.Field(45).Component(1).Value, encounter, "PV1-45");
        if (admit is not null || discharge is not null)
        {
            encounter.Period = new Period { StartElement = admit, EndElement = discharge };
        }

        encounter.Status = (_message.MessageType, _message.TriggerEvent) switch
        {
            ("ADT", "A03") => Encounter.EncounterStatus.Finished,
            ("ADT", "A05" or "A14" or "A38") => Encounter.EncounterStatus.Planned,
            ("ADT", "A11" or "A27") => Encounter.EncounterStatus.Cancelled,
            ("ADT", "A01" or "A02" or "A04" or "A06" or "A07" or "A13") when discharge is null => Encounter.EncounterStatus.InProgress,
            _ when discharge is not null => Encounter.EncounterStatus.Finished,
            _ when admit is not null => Encounter.EncounterStatus.InProgress,
            _ => Encounter.EncounterStatus.Unknown,
        };
        foreach (var (field, code, display) in new[] { (7, "ATND", "attender"), (8, "REF", "referrer"), (9, "CON", "consultant"), (17, "ADM", "admitter") })
        {
            foreach (var xcn in pv1.Repetitions(field))
            {
                if (Practitioner(xcn) is { } practitioner)
                {
                    var participant = new Encounter.ParticipantComponent { Individual = practitioner };
                    participant.Type.Add(new CodeableConcept(ParticipationType, code, display, null));
                    encounter.Participant.Add(participant);
                }
            }
        }

        if (pv1.Field(3) is { IsEmpty: false } location && LocationDisplay(location) is { } where)
        {
            encounter.Location.Add(new Encounter.LocationComponent { Location = new ResourceReference { Display = where } });
        }

        if (pv1.Get(10) is { } service)
        {
            encounter.ServiceType = V2DataTypes.Concept(pv1.Field(10), "http://terminology.hl7.org/CodeSystem/v2-0069") ?? new CodeableConcept(null, service);
        }

        var admitSource = V2DataTypes.Concept(pv1.Field(14), "http://terminology.hl7.org/CodeSystem/v2-0023");
        var disposition = V2DataTypes.Concept(pv1.Field(36), "http://terminology.hl7.org/CodeSystem/v2-0112");
        if (admitSource is not null || disposition is not null)
        {
            encounter.Hospitalization = new Encounter.HospitalizationComponent { AdmitSource = admitSource, DischargeDisposition = disposition };
        }

        _encounter = encounter;
        Add(encounter, "Encounter");
    }

    private static string? LocationDisplay(Hl7V2Value pl)
    {
        var parts = new[] { pl.Component(1).SubComponent(1).Value, pl.Component(2).Value, pl.Component(3).Value, pl.Component(4).SubComponent(1).Value, pl.Component(9).Value };
        var text = string.Join(", ", parts.Where(p => !string.IsNullOrWhiteSpace(p)));
        return text.Length == 0 ? null : text;
    }

    private void MergeVisitAdditional(Hl7V2Segment pv2)
    {
        if (_encounter is null)
        {
            Skip("PV2 without a converted PV1: no visit to add to");
            return;
        }

        var added = false;
        if (V2DataTypes.Concept(pv2.Field(3)) is { } reason)
        {
            _encounter.ReasonCode.Add(reason);
            added = true;
        }

        if (pv2.Get(12) is { } description)
        {
            _encounter.Text = new Narrative
            {
                Status = Narrative.NarrativeStatus.Generated,
                Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + System.Net.WebUtility.HtmlEncode(description) + "</div>",
            };
            added = true;
        }

        if (added)
        {
            Merge(_encounter, "PV2-3 admit reason and PV2-12 visit description added to the Encounter");
        }
        else
        {
            Skip("PV2 holds no admit reason (PV2-3) nor visit description (PV2-12), the fields this adapter converts");
        }
    }
}
