using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>PID, PD1, MRG and NK1.</summary>
internal sealed partial class MessageConverter
{
    private void ConvertPatient(Hl7V2Segment pid)
    {
        var patient = new Patient { Id = IdFor("Patient") };
        foreach (var field in new[] { 2, 3, 4 })
        {
            foreach (var cx in pid.Repetitions(field))
            {
                if (V2DataTypes.Identifier(cx, _options) is { } identifier && !patient.Identifier.Any(i => i.System == identifier.System && i.Value == identifier.Value))
                {
                    if (field == 2)
                    {
                        identifier.Use = Identifier.IdentifierUse.Old;
                    }

                    patient.Identifier.Add(identifier);
                }
            }
        }

        if (pid.Get(19) is { } ssn && !patient.Identifier.Any(i => i.System == "http://hl7.org/fhir/sid/us-ssn"))
        {
            patient.Identifier.Add(new Identifier("http://hl7.org/fhir/sid/us-ssn", ssn) { Type = V2DataTypes.TableConcept("SS", "0203") });
        }

        if (pid.Get(20) is { } license)
        {
            patient.Identifier.Add(new Identifier(null, license) { Type = V2DataTypes.TableConcept("DL", "0203") });
        }

        foreach (var xpn in pid.Repetitions(5))
        {
            if (V2DataTypes.Name(xpn) is { } name)
            {
                patient.Name.Add(name);
            }
        }

        if (pid.Get(6) is { } mothersMaiden)
        {
            patient.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", new FhirString(mothersMaiden)));
        }

        var birth = pid.Field(7).Component(1).Value;
        patient.BirthDate = V2DataTypes.Date(birth);
        if (birth is not null && patient.BirthDate is null)
        {
            Warn(patient, $"PID-7 '{birth}' is not a valid date; birth date not converted");
        }

        patient.Gender = pid.Get(8) switch
        {
            "M" => AdministrativeGender.Male,
            "F" => AdministrativeGender.Female,
            "O" or "A" or "N" => AdministrativeGender.Other,
            "U" => AdministrativeGender.Unknown,
            null => null,
            var other => WarnGender(patient, other),
        };
        foreach (var xad in pid.Repetitions(11))
        {
            if (V2DataTypes.Address(xad) is { } address)
            {
                patient.Address.Add(address);
            }
        }

        foreach (var (field, defaultUse) in new[] { (13, ContactPoint.ContactPointUse.Home), (14, ContactPoint.ContactPointUse.Work) })
        {
            foreach (var xtn in pid.Repetitions(field))
            {
                if (V2DataTypes.Telecom(xtn) is { } telecom)
                {
                    telecom.Use ??= telecom.System == ContactPoint.ContactPointSystem.Email ? null : defaultUse;
                    patient.Telecom.Add(telecom);
                }
            }
        }

        if (V2DataTypes.Concept(pid.Field(15)) is { } language)
        {
            patient.Communication.Add(new Patient.CommunicationComponent { Language = language, Preferred = true });
        }

        patient.MaritalStatus = V2DataTypes.Concept(pid.Field(16), "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus");
        if (pid.Get(24) is { } multiple)
        {
            patient.MultipleBirth = int.TryParse(pid.Get(25), out var order) ? new Integer(order) : new FhirBoolean(multiple == "Y");
        }

        if (pid.Field(29).Component(1).Value is { } death)
        {
            patient.Deceased = DateTimeOf(death, patient, "PID-29");
        }
        else if (pid.Get(30) is { } deathIndicator)
        {
            patient.Deceased = new FhirBoolean(deathIndicator == "Y");
        }

        if (pid.RepetitionCount(10) > 0 || pid.RepetitionCount(22) > 0)
        {
            Warn(patient, "PID-10 race and PID-22 ethnic group are not converted (US Core extensions are out of scope)");
        }

        _patient = patient;
        Add(patient, "Patient");
    }

    private AdministrativeGender? WarnGender(Patient patient, string value)
    {
        Warn(patient, $"PID-8 '{value}' is not an HL7 table 0001 sex; gender not converted");
        return null;
    }

    private void MergePatientAdditional(Hl7V2Segment pd1)
    {
        if (_patient is null)
        {
            Skip("PD1 without PID: no patient to add to");
            return;
        }

        foreach (var xcn in pd1.Repetitions(4))
        {
            if (Practitioner(xcn) is { } gp)
            {
                _patient.GeneralPractitioner.Add(gp);
            }
        }

        if (pd1.Field(3).Component(1).Value is { } facility)
        {
            _patient.ManagingOrganization = Organization(facility, null);
        }

        Merge(_patient, "PD1-3 primary facility and PD1-4 primary care provider added to the Patient");
    }

    private void MergeMerge(Hl7V2Segment mrg)
    {
        if (_patient is null)
        {
            Skip("MRG without PID: no surviving patient to link");
            return;
        }

        var linked = 0;
        foreach (var cx in mrg.Repetitions(1).Concat(mrg.Repetitions(4)))
        {
            if (V2DataTypes.Identifier(cx, _options) is { } prior)
            {
                _patient.Link.Add(new Patient.LinkComponent
                {
                    Other = new ResourceReference { Identifier = prior, Display = "Patient record merged into this one" },
                    Type = Patient.LinkType.Replaces,
                });
                linked++;
            }
        }

        if (linked == 0)
        {
            Skip("MRG-1 holds no prior patient identifier");
            return;
        }

        Merge(_patient, $"MRG: {linked} prior patient identifier(s) linked with Patient.link type 'replaces'");
    }

    private void ConvertRelatedPerson(Hl7V2Segment nk1)
    {
        if (!RequirePatient())
        {
            return;
        }

        var person = new RelatedPerson { Id = IdFor("RelatedPerson"), Patient = new ResourceReference(PatientReference) };
        foreach (var xpn in nk1.Repetitions(2))
        {
            if (V2DataTypes.Name(xpn) is { } name)
            {
                person.Name.Add(name);
            }
        }

        if (V2DataTypes.Concept(nk1.Field(3), "http://terminology.hl7.org/CodeSystem/v2-0063") is { } relationship)
        {
            person.Relationship.Add(relationship);
        }

        if (V2DataTypes.Concept(nk1.Field(7), "http://terminology.hl7.org/CodeSystem/v2-0131") is { } role)
        {
            person.Relationship.Add(role);
        }

        foreach (var xad in nk1.Repetitions(4))
        {
            if (V2DataTypes.Address(xad) is { } address)
            {
                person.Address.Add(address);
            }
        }

        foreach (var (field, use) in new[] { (5, ContactPoint.ContactPointUse.Home), (6, ContactPoint.ContactPointUse.Work) })
        {
            foreach (var xtn in nk1.Repetitions(field))
            {
                if (V2DataTypes.Telecom(xtn) is { } telecom)
                {
                    telecom.Use ??= telecom.System == ContactPoint.ContactPointSystem.Email ? null : use;
                    person.Telecom.Add(telecom);
                }
            }
        }

        person.Gender = nk1.Get(15) switch
        {
            "M" => AdministrativeGender.Male,
            "F" => AdministrativeGender.Female,
            "O" or "A" or "N" => AdministrativeGender.Other,
            "U" => AdministrativeGender.Unknown,
            _ => null,
        };
        person.BirthDate = V2DataTypes.Date(nk1.Field(16).Component(1).Value);
        var start = V2DataTypes.Date(nk1.Get(8));
        var end = V2DataTypes.Date(nk1.Get(9));
        if (start is not null || end is not null)
        {
            person.Period = new Period { Start = start, End = end };
        }

        if (person.Name.Count == 0 && person.Relationship.Count == 0)
        {
            Skip("NK1 holds neither a name (NK1-2) nor a relationship (NK1-3)");
            return;
        }

        Add(person, "RelatedPerson");
    }
}
