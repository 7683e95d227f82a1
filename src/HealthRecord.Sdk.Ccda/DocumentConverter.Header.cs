using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>The header: recordTarget, author, custodian, legalAuthenticator, encompassingEncounter, documentationOf.</summary>
internal sealed partial class DocumentConverter
{
    private const string UsCoreRace = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    private const string UsCoreEthnicity = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
    private const string UsCoreBirthSex = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";
    private const string RaceSystem = "urn:oid:2.16.840.1.113883.6.238";
    private static readonly HashSet<string> OmbRace = ["1002-5", "2028-9", "2054-5", "2076-8", "2106-3"];
    private static readonly HashSet<string> OmbEthnicity = ["2135-2", "2186-5"];

    private readonly ConversionContext _ctx;
    private readonly XElement _root;

    public DocumentConverter(ConversionContext ctx)
    {
        _ctx = ctx;
        _root = ctx.Document.Root!;
    }

    private void ConvertPatient()
    {
        var targets = _root.Es("recordTarget").ToList();
        if (targets.Count > 1)
        {
            _ctx.Warn(targets[1], $"The document has {targets.Count} recordTargets; only the first is the subject of the converted records.");
            foreach (var extra in targets.Skip(1))
            {
                _ctx.Skip(extra, "Header", "Only one recordTarget (the first) is converted; C-CDA documents are about one patient.");
            }
        }

        var role = targets.FirstOrDefault().E("patientRole") ?? new XElement(Cda.V3 + "patientRole");
        var person = role.E("patient");
        var patient = new Patient
        {
            Identifier = _ctx.Identifiers(role.Es("id")),
            Name = _ctx.Names(person.Es("name")),
            Telecom = _ctx.Telecoms(role.Es("telecom")),
            Address = _ctx.Addresses(role.Es("addr")),
            BirthDateElement = _ctx.DateOf(person.E("birthTime")),
        };
        var gender = person.E("administrativeGenderCode");
        patient.Gender = gender.A("code") switch
        {
            "M" => AdministrativeGender.Male,
            "F" => AdministrativeGender.Female,
            "UN" => AdministrativeGender.Other,
            _ when gender is not null && gender.NullFlavor() is not null => AdministrativeGender.Unknown,
            _ => null,
        };
        if (gender.A("code") is { } g && g is not ("M" or "F" or "UN"))
        {
            _ctx.Warn(gender!, $"The administrative gender '{g}' is not M, F or UN; it was not converted.");
        }

        if (person.E("maritalStatusCode") is { } marital && _ctx.Concept(marital) is { } maritalStatus)
        {
            patient.MaritalStatus = maritalStatus;
        }

        var deceasedTime = person?.Element(Cda.Sdtc + "deceasedTime");
        var deceasedInd = person?.Element(Cda.Sdtc + "deceasedInd")?.Attribute("value")?.Value;
        if (_ctx.DateTimeOf(deceasedTime) is { } died)
        {
            patient.Deceased = died;
        }
        else if (deceasedInd is not null)
        {
            patient.Deceased = new FhirBoolean(string.Equals(deceasedInd, "true", StringComparison.OrdinalIgnoreCase));
        }

        AddRaceOrEthnicity(patient, UsCoreRace, person.E("raceCode"), person?.Elements(Cda.Sdtc + "raceCode") ?? [], OmbRace);
        AddRaceOrEthnicity(patient, UsCoreEthnicity, person.E("ethnicGroupCode"), person?.Elements(Cda.Sdtc + "ethnicGroupCode") ?? [], OmbEthnicity);

        foreach (var language in person.Es("languageCommunication"))
        {
            var code = language.E("languageCode").A("code");
            if (code is null)
            {
                continue;
            }

            patient.Communication.Add(new Patient.CommunicationComponent
            {
                Language = new CodeableConcept("urn:ietf:bcp:47", code),
                Preferred = language.E("preferenceInd").A("value") is { } pref ? string.Equals(pref, "true", StringComparison.OrdinalIgnoreCase) : null,
            });
        }

        foreach (var guardian in person.Es("guardian"))
        {
            var contact = new Patient.ContactComponent
            {
                Name = _ctx.Names(guardian.E("guardianPerson").Es("name")).FirstOrDefault(),
                Telecom = _ctx.Telecoms(guardian.Es("telecom")),
                Address = _ctx.Addresses(guardian.Es("addr")).FirstOrDefault(),
            };
            contact.Relationship.Add(ConversionContext.Coded("http://terminology.hl7.org/CodeSystem/v2-0131", "N", "Next-of-Kin"));
            if (_ctx.Concept(guardian.E("code")) is { } relation)
            {
                contact.Relationship.Add(relation);
            }

            patient.Contact.Add(contact);
        }

        if (patient.Name.Count == 0)
        {
            _ctx.Warn(role, "The patient has no usable name.");
        }

        var idKey = ConversionContext.IdKey(role) ?? ConversionContext.ContentHash(role);
        _ctx.PersonKey = string.Join('|', idKey, patient.Name.FirstOrDefault()?.Family ?? "", patient.BirthDate ?? "");
        patient.Id = Model.EhrIds.From("ccda", "Patient", _ctx.PersonKey, _ctx.DocumentKey);
        if (role.E("providerOrganization") is { } provider && OrganizationRef(provider) is { } managing)
        {
            patient.ManagingOrganization = managing;
        }

        _ctx.Resources.Insert(0, (patient, role.XPath()));
        _ctx.Patient = patient;
        _ctx.PatientReference = new ResourceReference("Patient/" + patient.Id);
    }

    private void AddRaceOrEthnicity(Patient patient, string url, XElement? main, IEnumerable<XElement> extra, HashSet<string> omb)
    {
        var codes = new[] { main }.Concat(extra).OfType<XElement>().ToList();
        if (codes.Count == 0)
        {
            return;
        }

        var extension = new Extension { Url = url };
        var texts = new List<string>();
        foreach (var cd in codes)
        {
            if (cd.NullFlavor() is { } nf)
            {
                if (nf is "UNK" or "ASKU")
                {
                    extension.Extension.Add(new Extension("ombCategory", new Coding("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", nf, nf == "UNK" ? "Unknown" : "Asked but no answer")));
                    texts.Add(nf == "UNK" ? "Unknown" : "Asked but no answer");
                }

                continue;
            }

            if (cd.A("code") is not { } code)
            {
                continue;
            }

            var coding = new Coding(RaceSystem, code, cd.A("displayName"));
            extension.Extension.Add(new Extension(omb.Contains(code) ? "ombCategory" : "detailed", coding));
            texts.Add(cd.A("displayName") ?? code);
        }

        if (extension.Extension.Count == 0)
        {
            return;
        }

        extension.Extension.Add(new Extension("text", new FhirString(string.Join(", ", texts.Distinct(StringComparer.Ordinal)))));
        patient.Extension.Add(extension);
    }

    /// <summary>Sets the US Core birth-sex extension from a Birth Sex observation.</summary>
    private bool SetBirthSex(XElement observation)
    {
        var value = observation.E("value");
        var code = value.A("code") ?? (value.NullFlavor() is not null ? "UNK" : null);
        if (_ctx.Patient is null || code is not ("F" or "M" or "UNK"))
        {
            return false;
        }

        _ctx.Patient.Extension.RemoveAll(e => e.Url == UsCoreBirthSex);
        _ctx.Patient.Extension.Add(new Extension(UsCoreBirthSex, new Code(code)));
        return true;
    }

    /// <summary>A reference to the practitioner (or device) of an assignedAuthor/assignedEntity, made once per document.</summary>
    private ResourceReference? PractitionerRef(XElement? assigned)
    {
        if (assigned is null || assigned.NullFlavor() is not null)
        {
            return null;
        }

        if (assigned.E("assignedAuthoringDevice") is { } device)
        {
            var key = ConversionContext.IdKey(assigned) ?? ConversionContext.ContentHash(device);
            return _ctx.Shared("Device", key, assigned, () =>
            {
                var d = new Device { Identifier = _ctx.Identifiers(assigned.Es("id")) };
                if (Cda.Clean(device.E("manufacturerModelName")?.Value) is { } model)
                {
                    d.DeviceName.Add(new Device.DeviceNameComponent { Name = model, Type = DeviceNameType.ModelName });
                }

                if (Cda.Clean(device.E("softwareName")?.Value) is { } software)
                {
                    d.Version.Add(new Device.VersionComponent { Value = software });
                }

                return d;
            });
        }

        var person = assigned.E("assignedPerson") ?? assigned.E("associatedPerson");
        var names = _ctx.Names(person.Es("name"));
        var identifiers = _ctx.Identifiers(assigned.Es("id"));
        if (names.Count == 0 && identifiers.Count == 0)
        {
            return assigned.E("representedOrganization") is { } onlyOrg ? OrganizationRef(onlyOrg) : null;
        }

        var practitionerKey = ConversionContext.IdKey(assigned) is { } idKey && identifiers.Count > 0
            ? idKey
            : ConversionContext.ContentHash(person ?? assigned);
        var display = names.FirstOrDefault() is { } n ? Cda.Clean(string.Join(' ', n.Given.Append(n.Family ?? n.Text ?? ""))) : null;
        var reference = _ctx.Shared("Practitioner", practitionerKey, assigned, () => new Practitioner
        {
            Identifier = identifiers,
            Name = names,
            Telecom = _ctx.Telecoms(assigned.Es("telecom")),
            Address = _ctx.Addresses(assigned.Es("addr")),
            Qualification = _ctx.Concept(assigned.E("code")) is { } specialty ? [new Hl7.Fhir.Model.Practitioner.QualificationComponent { Code = specialty }] : [],
        });
        return new ResourceReference(reference.Reference, display);
    }

    /// <summary>A reference to the organization, made once per document.</summary>
    private ResourceReference? OrganizationRef(XElement? org)
    {
        if (org is null || org.NullFlavor() is not null)
        {
            return null;
        }

        var name = Cda.Clean(string.Join(' ', org.Es("name").Select(n => n.Value)));
        var identifiers = _ctx.Identifiers(org.Es("id"));
        if (name is null && identifiers.Count == 0)
        {
            return null;
        }

        var key = ConversionContext.IdKey(org) is { } idKey && identifiers.Count > 0 ? idKey + "|" + name : "name|" + name + "|" + ConversionContext.ContentHash(org);
        var reference = _ctx.Shared("Organization", key, org, () => new Organization
        {
            Identifier = identifiers,
            Name = name,
            Telecom = _ctx.Telecoms(org.Es("telecom")),
            Address = _ctx.Addresses(org.Es("addr")),
        });
        return new ResourceReference(reference.Reference, name);
    }

    private ResourceReference? LocationRef(XElement? role)
    {
        if (role is null || role.NullFlavor() is not null)
        {
            return null;
        }

        var place = role.E("playingEntity") ?? role.E("location");
        var name = Cda.Clean(string.Join(' ', place.Es("name").Select(n => n.Value)));
        var identifiers = _ctx.Identifiers(role.Es("id"));
        var address = _ctx.Addresses(role.Es("addr").Concat(place.Es("addr"))).FirstOrDefault();
        if (name is null && identifiers.Count == 0 && address is null)
        {
            return null;
        }

        var key = (ConversionContext.IdKey(role) ?? "") + "|" + name + "|" + ConversionContext.ContentHash(role);
        var reference = _ctx.Shared("Location", key, role, () => new Location
        {
            Identifier = identifiers,
            Name = name,
            Type = _ctx.Concept(role.E("code")) is { } type ? [type] : [],
            Address = address,
            Telecom = _ctx.Telecoms(role.Es("telecom")),
        });
        return new ResourceReference(reference.Reference, name);
    }

    private void ConvertEncompassingEncounter()
    {
        var encounter = _root.E("componentOf").E("encompassingEncounter");
        if (encounter is null)
        {
            return;
        }

        var resource = new Encounter
        {
            Identifier = _ctx.Identifiers(encounter.Es("id")),
            Status = encounter.E("effectiveTime").E("high").A("value") is not null ? Encounter.EncounterStatus.Finished : Encounter.EncounterStatus.Unknown,
            Class = EncounterClass(encounter.E("code")),
            Subject = _ctx.PatientReference,
            Period = _ctx.PeriodOf(encounter.E("effectiveTime")),
        };
        if (_ctx.Concept(encounter.E("code")) is { } type)
        {
            resource.Type.Add(type);
        }

        if (_ctx.Concept(encounter.E("dischargeDispositionCode")) is { } disposition)
        {
            resource.Hospitalization = new Encounter.HospitalizationComponent { DischargeDisposition = disposition };
        }

        if (PractitionerRef(encounter.E("responsibleParty").E("assignedEntity")) is { } responsible)
        {
            resource.Participant.Add(new Encounter.ParticipantComponent
            {
                Type = [ConversionContext.Coded("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PPRF", "primary performer")],
                Individual = responsible,
            });
        }

        foreach (var participant in encounter.Es("encounterParticipant"))
        {
            if (PractitionerRef(participant.E("assignedEntity")) is { } individual)
            {
                var component = new Encounter.ParticipantComponent { Individual = individual };
                if (participant.A("typeCode") is { } typeCode)
                {
                    component.Type.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", typeCode));
                }

                resource.Participant.Add(component);
            }
        }

        if (LocationRef(encounter.E("location").E("healthCareFacility")) is { } location)
        {
            resource.Location.Add(new Encounter.LocationComponent { Location = location });
        }

        if (OrganizationRef(encounter.E("location").E("healthCareFacility").E("serviceProviderOrganization")) is { } provider)
        {
            resource.ServiceProvider = provider;
        }

        _ctx.Add(resource, encounter);
        _ctx.EncounterReference = ConversionContext.Ref(resource);
    }

    private Coding EncounterClass(XElement? code)
    {
        foreach (var cd in new[] { code }.Concat(code.Es("translation")))
        {
            if (cd.A("codeSystem") == "2.16.840.1.113883.5.4" && cd.A("code") is { } c)
            {
                return new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", c, cd.A("displayName"));
            }
        }

        var document = _root.E("code").A("code");
        return document switch
        {
            "18842-5" => new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP", "inpatient encounter"),
            _ => new Coding("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "UNK", "unknown"),
        };
    }

    private void ConvertCareTeams()
    {
        foreach (var documentationOf in _root.Es("documentationOf"))
        {
            var serviceEvent = documentationOf.E("serviceEvent");
            if (serviceEvent is null)
            {
                continue;
            }

            var team = new CareTeam
            {
                Status = CareTeam.CareTeamStatus.Active,
                Subject = _ctx.PatientReference,
                Period = _ctx.PeriodOf(serviceEvent.E("effectiveTime")),
                Encounter = _ctx.EncounterReference,
            };
            if (_ctx.Concept(serviceEvent.E("code")) is { } category)
            {
                team.Category.Add(category);
            }

            foreach (var performer in serviceEvent.Es("performer"))
            {
                if (PractitionerRef(performer.E("assignedEntity")) is not { } member)
                {
                    continue;
                }

                var participant = new CareTeam.ParticipantComponent { Member = member, Period = _ctx.PeriodOf(performer.E("time")) };
                if (_ctx.Concept(performer.E("functionCode")) is { } role)
                {
                    participant.Role.Add(role);
                }
                else if (performer.A("typeCode") is { } typeCode)
                {
                    participant.Role.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", typeCode));
                }

                if (OrganizationRef(performer.E("assignedEntity").E("representedOrganization")) is { } onBehalfOf)
                {
                    participant.OnBehalfOf = onBehalfOf;
                }

                team.Participant.Add(participant);
            }

            if (team.Participant.Count == 0)
            {
                if (serviceEvent.Es("performer").Any())
                {
                    _ctx.Warn(serviceEvent, "The service event's performers have no name or id; no care team was made.");
                }

                continue;
            }

            _ctx.Add(team, serviceEvent);
        }
    }
}
