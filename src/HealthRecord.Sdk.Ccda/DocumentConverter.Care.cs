using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>Procedures, encounters, plans, goals, family history, equipment, health concerns and notes.</summary>
internal sealed partial class DocumentConverter
{
    private Procedure? ConvertProcedure(XElement statement, string kind)
    {
        var code = _ctx.Concept(statement.E("code"))
            ?? statement.Related("REFR").Select(s => _ctx.Concept(s.E("code"))).FirstOrDefault(c => c is not null)
            ?? (_ctx.Text(statement.E("text")) is { } text ? new CodeableConcept { Text = text } : null);
        if (code is null)
        {
            _ctx.Skip(statement.Parent?.Name.LocalName == "entry" ? statement.Parent : statement, kind, "The procedure has no code and no text.");
            return null;
        }

        var procedure = new Procedure
        {
            Identifier = _ctx.Identifiers(statement.Es("id")),
            Status = statement.Negated() ? EventStatus.NotDone : statement.E("statusCode").A("code") switch
            {
                "completed" or null => EventStatus.Completed,
                "active" => EventStatus.InProgress,
                "aborted" => EventStatus.Stopped,
                "cancelled" => EventStatus.NotDone,
                "new" => EventStatus.Preparation,
                "held" or "suspended" => EventStatus.OnHold,
                "nullified" => EventStatus.EnteredInError,
                _ => EventStatus.Unknown,
            },
            Code = code,
            Subject = _ctx.PatientReference,
            Performed = _ctx.Effective(ConversionContext.MainEffectiveTime(statement)),
            ReasonCode = Reasons(statement),
            Recorder = FirstAuthor(statement),
        };
        foreach (var site in statement.Es("targetSiteCode"))
        {
            if (_ctx.Concept(site) is { } concept)
            {
                procedure.BodySite.Add(concept);
            }
        }

        foreach (var performer in statement.Es("performer"))
        {
            if (PractitionerRef(performer.E("assignedEntity")) is { } actor)
            {
                procedure.Performer.Add(new Procedure.PerformerComponent { Actor = actor, OnBehalfOf = OrganizationRef(performer.E("assignedEntity").E("representedOrganization")) });
            }
        }

        var added = _ctx.Add(procedure, statement);
        foreach (var participant in statement.Es("participant").Where(p => p.A("typeCode") == "DEV"))
        {
            if (ConvertDevice(participant.E("participantRole")) is { } device)
            {
                procedure.FocalDevice.Add(new Procedure.FocalDeviceComponent { Manipulated = device });
            }
        }

        foreach (var participant in statement.Es("participant").Where(p => p.A("typeCode") == "LOC"))
        {
            procedure.Location ??= LocationRef(participant.E("participantRole"));
        }

        return added;
    }

    private ServiceRequest? ConvertServiceRequest(XElement statement, string kind)
    {
        var code = _ctx.Concept(statement.E("code"))
            ?? statement.Related("REFR").Select(s => _ctx.Concept(s.E("code"))).FirstOrDefault(c => c is not null)
            ?? (_ctx.Text(statement.E("text")) is { } text ? new CodeableConcept { Text = text } : null);
        if (code is null)
        {
            _ctx.Skip(statement.Parent?.Name.LocalName == "entry" ? statement.Parent : statement, kind, "The planned activity has no code and no text.");
            return null;
        }

        var request = new ServiceRequest
        {
            Identifier = _ctx.Identifiers(statement.Es("id")),
            Status = statement.E("statusCode").A("code") switch
            {
                "active" or "new" or null => RequestStatus.Active,
                "completed" => RequestStatus.Completed,
                "cancelled" or "aborted" => RequestStatus.Revoked,
                "held" or "suspended" => RequestStatus.OnHold,
                "nullified" => RequestStatus.EnteredInError,
                _ => RequestStatus.Unknown,
            },
            Intent = statement.A("moodCode") switch
            {
                "RQO" or "ARQ" or "APT" => RequestIntent.Order,
                "PRP" => RequestIntent.Proposal,
                "PRMS" => RequestIntent.Directive,
                _ => RequestIntent.Plan,
            },
            DoNotPerform = statement.Negated() ? true : null,
            Code = code,
            Subject = _ctx.PatientReference,
            Occurrence = _ctx.Effective(ConversionContext.MainEffectiveTime(statement)),
            AuthoredOnElement = AuthorTime(statement) is { } authored ? new FhirDateTime(authored) : null,
            Requester = FirstAuthor(statement),
            ReasonCode = Reasons(statement),
            Performer = Performers(statement),
            PatientInstruction = _ctx.Text(statement.E("text")),
        };
        if (_ctx.Concept(statement.E("priorityCode")) is { } priority && priority.Coding.FirstOrDefault()?.Code is { } p)
        {
            request.Priority = p switch { "UR" or "EM" => RequestPriority.Urgent, "S" => RequestPriority.Stat, "A" => RequestPriority.Asap, _ => RequestPriority.Routine };
        }

        return _ctx.Add(request, statement);
    }

    private Encounter? ConvertEncounter(XElement statement, string kind)
    {
        var period = _ctx.PeriodOf(ConversionContext.MainEffectiveTime(statement));
        var encounter = new Encounter
        {
            Identifier = _ctx.Identifiers(statement.Es("id")),
            Status = statement.E("statusCode").A("code") switch
            {
                "completed" => Hl7.Fhir.Model.Encounter.EncounterStatus.Finished,
                "active" => Hl7.Fhir.Model.Encounter.EncounterStatus.InProgress,
                "cancelled" or "aborted" => Hl7.Fhir.Model.Encounter.EncounterStatus.Cancelled,
                "nullified" => Hl7.Fhir.Model.Encounter.EncounterStatus.EnteredInError,
                _ when period is not null => Hl7.Fhir.Model.Encounter.EncounterStatus.Finished,
                _ => Hl7.Fhir.Model.Encounter.EncounterStatus.Unknown,
            },
            Class = EncounterClass(statement.E("code")),
            Subject = _ctx.PatientReference,
            Period = period,
            ReasonCode = Reasons(statement),
        };
        if (_ctx.Concept(statement.E("code")) is { } type)
        {
            encounter.Type.Add(type);
        }
        else if (_ctx.Text(statement.E("text")) is { } text)
        {
            encounter.Type.Add(new CodeableConcept { Text = text });
        }

        foreach (var performer in statement.Es("performer"))
        {
            if (PractitionerRef(performer.E("assignedEntity")) is { } individual)
            {
                encounter.Participant.Add(new Hl7.Fhir.Model.Encounter.ParticipantComponent { Individual = individual });
            }
        }

        foreach (var participant in statement.Es("participant").Where(p => p.A("typeCode") == "LOC"))
        {
            if (LocationRef(participant.E("participantRole")) is { } location)
            {
                encounter.Location.Add(new Hl7.Fhir.Model.Encounter.LocationComponent { Location = location });
            }
        }

        if (_ctx.Concept(statement.Element(Cda.Sdtc + "dischargeDispositionCode")) is { } disposition)
        {
            encounter.Hospitalization = new Hl7.Fhir.Model.Encounter.HospitalizationComponent { DischargeDisposition = disposition };
        }

        var added = _ctx.Add(encounter, statement);
        foreach (var diagnosisAct in statement.Related().Where(a => a.Name.LocalName == "act" && (a.HasTemplate(T + "80") || a.E("code").A("code") == "29308-4")))
        {
            foreach (var problem in diagnosisAct.Related().Where(o => o.Name.LocalName == "observation"))
            {
                if (ConvertCondition(problem, diagnosisAct, ConditionCategory.Diagnosis) is { } condition)
                {
                    encounter.Diagnosis.Add(new Hl7.Fhir.Model.Encounter.DiagnosisComponent { Condition = ConversionContext.Ref(condition) });
                }
            }
        }

        return added;
    }

    private Communication? ConvertCommunication(XElement statement, string kind)
    {
        var communication = new Communication
        {
            Identifier = _ctx.Identifiers(statement.Es("id")),
            Status = EventStatus.Completed,
            Subject = _ctx.PatientReference,
            SentElement = _ctx.DateTimeOf(ConversionContext.MainEffectiveTime(statement)),
        };
        if (_ctx.Concept(statement.E("code")) is { } category)
        {
            communication.Category.Add(category);
        }

        foreach (var participant in statement.Es("participant"))
        {
            if (PractitionerRef(participant.E("participantRole")) is { } recipient)
            {
                communication.Recipient.Add(recipient);
            }
        }

        if (communication.Category.Count == 0 && communication.Recipient.Count == 0)
        {
            _ctx.Skip(statement.Parent!, kind, "The communication act has no code and no recipient.");
            return null;
        }

        return _ctx.Add(communication, statement);
    }

    private CommunicationRequest? Instruction(XElement statement, string kind)
    {
        var text = _ctx.Text(statement.E("text")) ?? _ctx.Concept(statement.E("code"))?.Text ?? statement.E("code").A("displayName");
        if (text is null)
        {
            _ctx.Skip(statement.Parent!, kind, "The instruction has no text and no displayable code.");
            return null;
        }

        var request = new CommunicationRequest
        {
            Identifier = _ctx.Identifiers(statement.Es("id")),
            Status = statement.E("statusCode").A("code") == "completed" ? RequestStatus.Completed : RequestStatus.Active,
            Subject = _ctx.PatientReference,
            Payload = [new CommunicationRequest.PayloadComponent { Content = new FhirString(text) }],
            Occurrence = _ctx.Effective(ConversionContext.MainEffectiveTime(statement)),
            Requester = FirstAuthor(statement),
        };
        if (_ctx.Concept(statement.E("code")) is { } category)
        {
            request.Category.Add(category);
        }

        return _ctx.Add(request, statement);
    }

    private Goal? ConvertGoal(XElement statement, string kind)
    {
        var code = _ctx.Concept(statement.E("code"));
        var value = statement.E("value");
        var text = _ctx.Text(statement.E("text"));
        var description = code;
        if (value is not null && value.XsiType() is "CD" or "CE" && _ctx.Concept(value) is { } valueConcept)
        {
            description = valueConcept;
        }

        description ??= text is not null ? new CodeableConcept { Text = text } : null;
        if (description is null)
        {
            _ctx.Skip(statement.Parent?.Name.LocalName == "entry" ? statement.Parent : statement, kind, "The goal has no code, value or text.");
            return null;
        }

        if (description.Text is null && text is not null)
        {
            description.Text = text;
        }

        var goal = new Goal
        {
            Identifier = _ctx.Identifiers(statement.Es("id")),
            LifecycleStatus = statement.E("statusCode").A("code") switch
            {
                "completed" => Hl7.Fhir.Model.Goal.GoalLifecycleStatus.Completed,
                "cancelled" or "aborted" => Hl7.Fhir.Model.Goal.GoalLifecycleStatus.Cancelled,
                "nullified" => Hl7.Fhir.Model.Goal.GoalLifecycleStatus.EnteredInError,
                "suspended" or "held" => Hl7.Fhir.Model.Goal.GoalLifecycleStatus.OnHold,
                "new" => Hl7.Fhir.Model.Goal.GoalLifecycleStatus.Proposed,
                _ => Hl7.Fhir.Model.Goal.GoalLifecycleStatus.Active,
            },
            Description = description,
            Subject = _ctx.PatientReference,
            ExpressedBy = FirstAuthor(statement),
        };
        var effective = ConversionContext.MainEffectiveTime(statement);
        if (_ctx.DateOf(effective?.E("low") ?? effective) is { } start)
        {
            goal.Start = start;
        }

        var measureValue = value is null ? null : _ctx.ValueOf(value);
        if (measureValue is Quantity or Hl7.Fhir.Model.Range && code is not null)
        {
            goal.Target.Add(new Goal.TargetComponent
            {
                Measure = code,
                Detail = measureValue,
                Due = _ctx.DateOf(effective?.E("high")),
            });
        }

        return _ctx.Add(goal, statement);
    }

    private bool FamilyHistoryEntry(XElement statement, string kind)
    {
        var subject = statement.E("subject").E("relatedSubject");
        var history = new FamilyMemberHistory
        {
            Identifier = _ctx.Identifiers(statement.Es("id")),
            Status = FamilyMemberHistory.FamilyHistoryStatus.Completed,
            Patient = _ctx.PatientReference,
            Relationship = _ctx.RequiredConcept(subject.E("code")),
        };
        var person = subject.E("subject");
        history.Sex = _ctx.Concept(person.E("administrativeGenderCode")) is { } sex && person.E("administrativeGenderCode").A("code") is { } g
            ? ConversionContext.Coded("http://hl7.org/fhir/administrative-gender", g switch { "M" => "male", "F" => "female", "UN" => "other", _ => "unknown" }, sex.Coding.FirstOrDefault()?.Display)
            : null;
        if (_ctx.DateOf(person.E("birthTime")) is { } born)
        {
            history.Born = born;
        }

        if (person?.Element(Cda.Sdtc + "deceasedInd")?.Attribute("value")?.Value is { } deceased)
        {
            history.Deceased = new FhirBoolean(string.Equals(deceased, "true", StringComparison.OrdinalIgnoreCase));
        }

        var observations = statement.Name.LocalName switch
        {
            "organizer" => statement.Es("component").Select(c => c.Statement()).Where(s => s?.Name.LocalName == "observation").OfType<XElement>().ToList(),
            "observation" => [statement],
            _ => [],
        };
        if (statement.Name.LocalName is not ("organizer" or "observation"))
        {
            return Unexpected(statement, kind);
        }

        foreach (var observation in observations)
        {
            var code = _ctx.Concept(observation.E("value")) ?? (_ctx.Text(observation.E("text")) is { } text ? new CodeableConcept { Text = text } : null);
            if (code is null)
            {
                _ctx.Warn(observation, "A family history observation has no condition code or text; it was not converted.");
                continue;
            }

            var condition = new FamilyMemberHistory.ConditionComponent { Code = code };
            var age = observation.Related("SUBJ").FirstOrDefault(o => o.HasTemplate(T + "31") || o.E("code").A("code") == "445518008");
            if (_ctx.QuantityOf(age.E("value")) is { } onsetAge)
            {
                condition.Onset = new Age { Value = onsetAge.Value, Unit = onsetAge.Unit, System = onsetAge.System, Code = onsetAge.Code };
            }
            else if (_ctx.DateTimeString(observation.E("effectiveTime").E("low") ?? observation.E("effectiveTime")) is { } onset)
            {
                condition.Onset = new FhirString(onset);
            }

            var death = observation.Related("CAUS").FirstOrDefault(o => o.HasTemplate(T + "47") || o.E("value").A("code") == "419099009");
            if (death is not null)
            {
                condition.Outcome = ConversionContext.Coded(CodeSystems.Snomed, "419099009", "Dead");
                condition.ContributedToDeath = true;
                history.Deceased ??= new FhirBoolean(true);
            }

            history.Condition.Add(condition);
        }

        if (history.Relationship.Coding.All(c => c.System == CodeSystems.DataAbsentReason))
        {
            _ctx.Warn(statement, "The family member's relationship is not given.");
        }

        _ctx.Add(history, statement);
        return true;
    }

    private ResourceReference? ConvertDevice(XElement? role)
    {
        var playing = role.E("playingDevice");
        if (role is null || playing is null)
        {
            return null;
        }

        var type = _ctx.Concept(playing.E("code")) ?? (Cda.Clean(playing.E("manufacturerModelName")?.Value) is { } model ? new CodeableConcept { Text = model } : null);
        var identifiers = _ctx.Identifiers(role.Es("id"));
        if (type is null && identifiers.Count == 0)
        {
            return null;
        }

        var device = new Device { Type = type, Patient = _ctx.PatientReference, Identifier = identifiers };
        foreach (var udi in role.Es("id").Where(i => i.A("root") == "2.16.840.1.113883.3.3719" && i.A("extension") is not null))
        {
            device.UdiCarrier.Add(new Device.UdiCarrierComponent { CarrierHRF = udi.A("extension"), Issuer = "http://hl7.org/fhir/NamingSystem/fda-udi" });
        }

        if (role.E("scopingEntity") is { } scoping && Cda.Clean(scoping.E("desc")?.Value) is { } manufacturer)
        {
            device.Manufacturer = manufacturer;
        }

        return ConversionContext.Ref(_ctx.Add(device, role));
    }

    private DeviceUseStatement? DeviceUse(XElement supply, string kind)
    {
        var role = supply.Es("participant").FirstOrDefault(p => p.A("typeCode") == "PRD" || p.E("participantRole").E("playingDevice") is not null).E("participantRole");
        var device = ConvertDevice(role);
        if (device is null)
        {
            _ctx.Skip(supply.Parent?.Name.LocalName == "entry" ? supply.Parent : supply, kind, "The equipment supply names no device.");
            return null;
        }

        var statement = new DeviceUseStatement
        {
            Identifier = _ctx.Identifiers(supply.Es("id")),
            Status = supply.E("statusCode").A("code") switch
            {
                "active" => DeviceUseStatement.DeviceUseStatementStatus.Active,
                "completed" => DeviceUseStatement.DeviceUseStatementStatus.Completed,
                "nullified" => DeviceUseStatement.DeviceUseStatementStatus.EnteredInError,
                "cancelled" or "aborted" => DeviceUseStatement.DeviceUseStatementStatus.Stopped,
                _ => DeviceUseStatement.DeviceUseStatementStatus.Active,
            },
            Subject = _ctx.PatientReference,
            Device = device,
            Timing = _ctx.Effective(ConversionContext.MainEffectiveTime(supply)),
        };
        return _ctx.Add(statement, supply);
    }

    private Condition? HealthConcernFromAct(XElement act, string kind)
    {
        var text = _ctx.Text(act.E("text"));
        if (text is null)
        {
            _ctx.Skip(act.Parent!, kind, "The health concern act has no observation and no text.");
            return null;
        }

        var condition = new Condition
        {
            Identifier = _ctx.Identifiers(act.Es("id")),
            Category = [ConversionContext.Coded("http://hl7.org/fhir/us/core/CodeSystem/condition-category", "health-concern", "Health Concern")],
            Code = new CodeableConcept { Text = text },
            Subject = _ctx.PatientReference,
            ClinicalStatus = new CodeableConcept(ConditionClinical, act.E("statusCode").A("code") switch { "completed" => "resolved", "suspended" or "aborted" => "inactive", _ => "active" }),
            Recorder = FirstAuthor(act),
        };
        if (_ctx.DateTimeString(act.E("effectiveTime").E("low") ?? act.E("effectiveTime")) is { } onset)
        {
            condition.Onset = new FhirDateTime(onset);
        }

        return _ctx.Add(condition, act);
    }

    private bool Note(XElement act, string kind)
    {
        var text = act.E("text");
        var note = new DocumentReference
        {
            Identifier = _ctx.Identifiers(act.Es("id")),
            Status = DocumentReferenceStatus.Current,
            Type = _ctx.RequiredConcept(act.E("code")),
            Subject = _ctx.PatientReference,
            Author = act.Es("author").Select(a => PractitionerRef(a.E("assignedAuthor"))).OfType<ResourceReference>().ToList(),
        };
        note.Category.Add(ConversionContext.Coded("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note", "Clinical Note"));
        var time = AuthorTime(act) ?? _ctx.DateTimeString(act.E("effectiveTime"));
        if (time is { Length: > 10 })
        {
            note.DateElement = new Instant(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture));
        }

        if (text is null)
        {
            _ctx.Skip(act.Parent!, kind, "The note activity has no text.");
            return false;
        }

        var attachment = EmbeddedAttachment(text, Cda.Clean(act.E("code").A("displayName")) ?? "Note");
        if (attachment.Data is null && attachment.Url is null)
        {
            _ctx.Skip(act.Parent!, kind, "The note activity's text is empty.");
            return false;
        }

        note.Content.Add(new DocumentReference.ContentComponent { Attachment = attachment });
        if (_ctx.PeriodOf(act.E("effectiveTime")) is { } period)
        {
            note.Context = new DocumentReference.ContextComponent { Period = period };
        }

        _ctx.Add(note, act);
        return true;
    }
}
