using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>Results, vital signs, observations and social history.</summary>
internal sealed partial class DocumentConverter
{
    private const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    private const string UsCoreCategory = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category";

    private bool ConvertDiagnosticReport(XElement organizer, string kind)
    {
        var report = new DiagnosticReport
        {
            Identifier = _ctx.Identifiers(organizer.Es("id")),
            Status = organizer.E("statusCode").A("code") switch
            {
                "completed" => DiagnosticReport.DiagnosticReportStatus.Final,
                "active" => DiagnosticReport.DiagnosticReportStatus.Partial,
                "aborted" or "cancelled" => DiagnosticReport.DiagnosticReportStatus.Cancelled,
                "nullified" => DiagnosticReport.DiagnosticReportStatus.EnteredInError,
                _ => DiagnosticReport.DiagnosticReportStatus.Unknown,
            },
            Category = [ConversionContext.Coded("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")],
            Code = _ctx.RequiredConcept(organizer.E("code"), Cda.Clean(organizer.E("code").E("originalText")?.Value)),
            Subject = _ctx.PatientReference,
            Effective = _ctx.Effective(organizer.E("effectiveTime")),
            Performer = Performers(organizer).Concat(organizer.Es("author").Select(a => PractitionerRef(a.E("assignedAuthor"))).OfType<ResourceReference>()).ToList(),
        };
        var added = _ctx.Add(report, organizer);
        var firstTime = (string?)null;
        foreach (var component in organizer.Es("component").Select(c => c.Statement()).OfType<XElement>())
        {
            if (component.Name.LocalName == "observation")
            {
                if (ConvertObservation(component, kind, "laboratory") is { } observation)
                {
                    report.Result.Add(ConversionContext.Ref(observation));
                    firstTime ??= (observation.Effective as FhirDateTime)?.Value;
                }
            }
            else if (component.Name.LocalName == "organizer")
            {
                foreach (var nested in component.Es("component").Select(c => c.Statement()).Where(s => s?.Name.LocalName == "observation").OfType<XElement>())
                {
                    if (ConvertObservation(nested, kind, "laboratory") is { } observation)
                    {
                        report.Result.Add(ConversionContext.Ref(observation));
                    }
                }
            }
            else if (component.Name.LocalName is "procedure" or "act")
            {
                // Some vendors describe the test itself (or the specimen collection) as a procedure beside the results.
                ConvertProcedure(component, kind);
            }
            else
            {
                _ctx.Warn(component, $"A {component.Name.LocalName} inside a result organizer is not a result observation; it was not converted.");
            }
        }

        if (report.Effective is null && firstTime is not null)
        {
            report.Effective = new FhirDateTime(firstTime);
        }

        return added is not null;
    }

    private bool VitalSignsPanel(XElement organizer, string kind)
    {
        var panel = new Observation
        {
            Identifier = _ctx.Identifiers(organizer.Es("id")),
            Status = ObservationStatus(organizer.E("statusCode").A("code")),
            Category = [ConversionContext.Coded(ObservationCategory, "vital-signs", "Vital Signs")],
            Code = ConversionContext.Coded(CodeSystems.Loinc, "85353-1", "Vital signs, weight, height, head circumference, oxygen saturation and BMI panel"),
            Subject = _ctx.PatientReference,
            Effective = _ctx.Effective(organizer.E("effectiveTime")),
        };
        if (_ctx.Concept(organizer.E("code")) is { } original)
        {
            foreach (var coding in original.Coding.Where(c => c.Code != "85353-1"))
            {
                panel.Code.Coding.Add(coding);
            }
        }

        _ctx.Add(panel, organizer);
        foreach (var component in organizer.Es("component").Select(c => c.Statement()).OfType<XElement>())
        {
            if (component.Name.LocalName == "observation" && ConvertObservation(component, kind, "vital-signs") is { } vital)
            {
                panel.HasMember.Add(ConversionContext.Ref(vital));
                panel.Effective ??= vital.Effective;
            }
        }

        if (panel.HasMember.Count == 0)
        {
            _ctx.Warn(organizer, "The vital signs organizer holds no usable observation.");
        }

        return true;
    }

    private bool Panel(XElement organizer, string kind, string category)
    {
        var panel = new Observation
        {
            Identifier = _ctx.Identifiers(organizer.Es("id")),
            Status = ObservationStatus(organizer.E("statusCode").A("code")),
            Category = [CategoryConcept(category)],
            Code = _ctx.RequiredConcept(organizer.E("code")),
            Subject = _ctx.PatientReference,
            Effective = _ctx.Effective(organizer.E("effectiveTime")),
        };
        _ctx.Add(panel, organizer);
        foreach (var component in organizer.Es("component").Select(c => c.Statement()).OfType<XElement>())
        {
            Resource? member = component.Name.LocalName switch
            {
                "observation" when component.HasTemplate(T + "4", T + "68") => ConvertCondition(component, null, ConditionCategory.ProblemList),
                "observation" => ConvertObservation(component, kind, category),
                "supply" => DeviceUse(component, kind),
                "procedure" or "act" => ConvertProcedure(component, kind),
                _ => null,
            };
            if (member is Observation observation)
            {
                panel.HasMember.Add(ConversionContext.Ref(observation));
            }
            else if (member is not null)
            {
                panel.DerivedFrom.Add(ConversionContext.Ref(member));
            }
        }

        return true;
    }

    private static CodeableConcept CategoryConcept(string category) => category switch
    {
        "functional-status" or "cognitive-status" or "advance-directive" => new CodeableConcept(UsCoreCategory, category),
        _ => new CodeableConcept(ObservationCategory, category),
    };

    private static ObservationStatus ObservationStatus(string? statusCode) => statusCode switch
    {
        "completed" => Hl7.Fhir.Model.ObservationStatus.Final,
        "active" => Hl7.Fhir.Model.ObservationStatus.Preliminary,
        "aborted" or "cancelled" => Hl7.Fhir.Model.ObservationStatus.Cancelled,
        "nullified" => Hl7.Fhir.Model.ObservationStatus.EnteredInError,
        null => Hl7.Fhir.Model.ObservationStatus.Final,
        _ => Hl7.Fhir.Model.ObservationStatus.Unknown,
    };

    private Observation? ConvertObservation(XElement observation, string kind, string category, CodeableConcept? codeOverride = null)
    {
        if (observation.Negated())
        {
            _ctx.Skip(observation.Parent?.Name.LocalName == "entry" ? observation.Parent : observation, kind,
                "A negated observation (negationInd=\"true\") has no faithful FHIR Observation form; it was not converted.");
            return null;
        }

        var code = codeOverride ?? _ctx.Concept(observation.E("code"));
        if (code is null)
        {
            code = _ctx.Text(observation.E("text")) is { } text ? new CodeableConcept { Text = text } : ConversionContext.AbsentConcept(observation.E("code").NullFlavor());
            _ctx.Warn(observation, "The observation has no code; its text or a data-absent reason stands in.");
        }

        var resource = new Observation
        {
            Identifier = _ctx.Identifiers(observation.Es("id")),
            Status = ObservationStatus(observation.E("statusCode").A("code")),
            Category = [CategoryConcept(category)],
            Code = code,
            Subject = _ctx.PatientReference,
            Effective = _ctx.Effective(ConversionContext.MainEffectiveTime(observation)),
            Method = _ctx.Concept(observation.E("methodCode")),
            BodySite = _ctx.Concept(observation.E("targetSiteCode")),
            Performer = Performers(observation).Concat(observation.Es("author").Select(a => PractitionerRef(a.E("assignedAuthor"))).OfType<ResourceReference>()).ToList(),
        };
        var values = observation.Es("value").ToList();
        if (values.Count > 0)
        {
            var value = _ctx.ValueOf(values[0]);
            if (value is null)
            {
                resource.DataAbsentReason = ConversionContext.AbsentConcept(values[0].NullFlavor());
            }
            else
            {
                resource.Value = value;
            }

            foreach (var extra in values.Skip(1))
            {
                if (_ctx.ValueOf(extra) is { } extraValue)
                {
                    resource.Component.Add(new Observation.ComponentComponent { Code = code, Value = extraValue });
                }
            }
        }

        foreach (var interpretation in observation.Es("interpretationCode"))
        {
            if (_ctx.Concept(interpretation) is { } concept)
            {
                resource.Interpretation.Add(concept);
            }
        }

        foreach (var range in observation.Es("referenceRange").Select(r => r.E("observationRange")).OfType<XElement>())
        {
            var reference = new Observation.ReferenceRangeComponent { Text = _ctx.Text(range.E("text")) };
            if (_ctx.RangeOf(range.E("value")) is { } bounds)
            {
                reference.Low = bounds.Low;
                reference.High = bounds.High;
            }
            else if (range.E("value") is { } other && range.E("value").XsiType() is not "IVL_PQ" && _ctx.ValueOf(other) is { } otherValue)
            {
                reference.Text ??= otherValue switch
                {
                    CodeableConcept cc => cc.Text ?? cc.Coding.FirstOrDefault()?.Display ?? cc.Coding.FirstOrDefault()?.Code,
                    FhirString s => s.Value,
                    _ => null,
                };
            }

            if (reference.Low is not null || reference.High is not null || reference.Text is not null)
            {
                resource.ReferenceRange.Add(reference);
            }
        }

        if (resource.Value is null && resource.DataAbsentReason is null && resource.Component.Count == 0 && resource.HasMember.Count == 0)
        {
            resource.DataAbsentReason = ConversionContext.AbsentConcept(null);
        }

        return _ctx.Add(resource, observation);
    }

    private Observation? SocialObservation(XElement observation, string kind)
    {
        var code = observation.E("code").A("code");
        var value = observation.E("value");
        if (observation.HasTemplate(T + "78") || code == "72166-2")
        {
            return ConvertObservation(observation, kind, "social-history", ConversionContext.Coded(CodeSystems.Loinc, "72166-2", "Tobacco smoking status"));
        }

        if (observation.HasTemplate("2.16.840.1.113883.10.20.15.3.8") || (code == "ASSERTION" && value.A("code") == "77386006"))
        {
            var pregnancy = ConvertObservation(observation, kind, "social-history", ConversionContext.Coded(CodeSystems.Loinc, "82810-3", "Pregnancy status"));
            if (pregnancy is not null)
            {
                foreach (var edd in observation.Related("REFR").Where(o => o.E("code").A("code") == "11778-8"))
                {
                    if (_ctx.DateTimeOf(edd.E("value")) is { } date)
                    {
                        pregnancy.Component.Add(new Observation.ComponentComponent { Code = ConversionContext.Coded(CodeSystems.Loinc, "11778-8", "Delivery date Estimated"), Value = date });
                    }
                }
            }

            return pregnancy;
        }

        return ConvertObservation(observation, kind, "social-history");
    }
}
