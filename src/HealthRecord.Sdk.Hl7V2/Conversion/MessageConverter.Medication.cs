using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>RXE and RXO (pharmacy orders) with their ORC and RXR: MedicationRequest.</summary>
internal sealed partial class MessageConverter
{
    private MedicationRequest? _medicationRequest;

    /// <summary>RXE (RDE, RDS) or RXO (OMP, ORM): one MedicationRequest per pharmacy order.</summary>
    private void ConvertMedicationRequest(Hl7V2Segment segment, bool encoded)
    {
        if (!RequirePatient())
        {
            return;
        }

        // RXE-2 give code, RXE-3/4 min/max amount, RXE-5 units, RXE-7 administration instructions, RXE-10/11 dispense
        // amount/units, RXE-12 refills; RXO-1 requested give code, RXO-2/3 min/max, RXO-4 units, RXO-7 instructions,
        // RXO-11/12 dispense amount/units, RXO-13 refills.
        var (code, min, max, units, instructions, dispense, dispenseUnits, refills) = encoded
            ? (2, 3, 4, 5, 7, 10, 11, 12)
            : (1, 2, 3, 4, 7, 11, 12, 13);
        var medication = V2DataTypes.Concept(segment.Field(code));
        if (medication is null)
        {
            _medicationRequest = null;
            Skip($"{segment.Id}-{code} (give code) is empty: a MedicationRequest needs a medication");
            return;
        }

        var request = new MedicationRequest
        {
            Id = IdFor("MedicationRequest"),
            Subject = new ResourceReference(PatientReference),
            Medication = medication,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Status = OrderStatus(),
            Encounter = _encounter is null ? null : Ref(_encounter),
        };
        if (_order is not null)
        {
            foreach (var (field, type) in new[] { (2, "PLAC"), (3, "FILL") })
            {
                var ei = _order.Field(field);
                if (ei.Component(1).Value is { } id)
                {
                    request.Identifier.Add(new Identifier(V2DataTypes.EntitySystem(ei, _options), id) { Type = V2DataTypes.TableConcept(type, "0203") });
                }
            }

            request.AuthoredOnElement = DateTimeOf(_order.Field(9).Component(1).Value, request, "ORC-9");
            request.Requester = Practitioner(_order.Field(12));
        }

        var dosage = new Dosage();
        var low = V2DataTypes.Decimal(segment.Get(min));
        var high = V2DataTypes.Decimal(segment.Get(max));
        Quantity Amount(decimal value)
        {
            var quantity = new Quantity { Value = value };
            V2DataTypes.SetUnit(quantity, segment.Field(units));
            return quantity;
        }

        if (low is not null)
        {
            dosage.DoseAndRate.Add(new Dosage.DoseAndRateComponent
            {
                Dose = high is not null && high != low ? new Hl7.Fhir.Model.Range { Low = Amount(low.Value), High = Amount(high.Value) } : Amount(low.Value),
            });
        }

        var text = string.Join("\n", segment.Repetitions(instructions).Select(r => r.Component(2).Value ?? r.Component(1).Value).OfType<string>());
        if (text.Length > 0)
        {
            dosage.Text = text;
        }

        if (dosage.DoseAndRate.Count > 0 || dosage.Text is not null)
        {
            request.DosageInstruction.Add(dosage);
        }

        if (V2DataTypes.Decimal(segment.Get(dispense)) is { } amount)
        {
            var quantity = new Quantity { Value = amount };
            V2DataTypes.SetUnit(quantity, segment.Field(dispenseUnits));
            request.DispenseRequest = new MedicationRequest.DispenseRequestComponent { Quantity = quantity };
        }

        if (int.TryParse(segment.Get(refills), out var repeats) && repeats >= 0)
        {
            request.DispenseRequest ??= new MedicationRequest.DispenseRequestComponent();
            request.DispenseRequest.NumberOfRepeatsAllowed = repeats;
        }

        _medicationRequest = request;
        _noteTarget = request;
        Add(request, encoded ? "MedicationRequest (pharmacy encoded order)" : "MedicationRequest (pharmacy order)");
    }

    private MedicationRequest.MedicationrequestStatus OrderStatus()
    {
        var control = _order?.Get(1);
        var status = _order?.Get(5);
        return (control, status) switch
        {
            (_, "CM") => MedicationRequest.MedicationrequestStatus.Completed,
            ("CA" or "OC" or "CR", _) or (_, "CA") => MedicationRequest.MedicationrequestStatus.Cancelled,
            ("DC" or "OD", _) or (_, "DC") => MedicationRequest.MedicationrequestStatus.Stopped,
            ("HD" or "OH", _) or (_, "HD") => MedicationRequest.MedicationrequestStatus.OnHold,
            (_, "ER") => MedicationRequest.MedicationrequestStatus.EnteredInError,
            (null, null) => MedicationRequest.MedicationrequestStatus.Unknown,
            _ => MedicationRequest.MedicationrequestStatus.Active,
        };
    }

    private void MergeMedicationRoute(Hl7V2Segment rxr)
    {
        var dosage = _medicationRequest!.DosageInstruction.FirstOrDefault();
        if (dosage is null)
        {
            dosage = new Dosage();
            _medicationRequest.DosageInstruction.Add(dosage);
        }

        dosage.Route ??= V2DataTypes.Concept(rxr.Field(1), "http://terminology.hl7.org/CodeSystem/v2-0162");
        dosage.Site ??= V2DataTypes.Concept(rxr.Field(2), "http://terminology.hl7.org/CodeSystem/v2-0163");
        dosage.Method ??= V2DataTypes.Concept(rxr.Field(4), "http://terminology.hl7.org/CodeSystem/v2-0165");
        Merge(_medicationRequest, "RXR route, site and method added to the MedicationRequest's dosage");
    }
}
