using System.Globalization;
using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>OBR, OBX, NTE and SPM.</summary>
internal sealed partial class MessageConverter
{
    private const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    private const string Interpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

    private static readonly HashSet<string> InterpretationCodes = new(StringComparer.Ordinal)
    {
        "<", ">", "A", "AA", "AC", "B", "D", "DET", "E", "EX", "EXP", "H", "HH", "HM", "HU", "HX", "I", "IE", "IND", "L", "LL",
        "LU", "LX", "MS", "N", "NCL", "ND", "NEG", "NR", "NS", "OBX", "POS", "QCF", "R", "RR", "S", "SDD", "SYN-R", "SYN-S", "TOX", "U", "UNE", "VS", "W", "WR",
    };

    private void ConvertReport(Hl7V2Segment obr)
    {
        if (!RequirePatient())
        {
            return;
        }

        var code = V2DataTypes.Concept(obr.Field(4));
        if (code is null)
        {
            Skip("OBR-4 (universal service id) is empty: a DiagnosticReport needs a code");
            _report = null;
            return;
        }

        var report = new DiagnosticReport
        {
            Id = IdFor("DiagnosticReport"),
            Subject = new ResourceReference(PatientReference),
            Code = code,
            Status = ReportStatus(obr.Get(25)),
            Encounter = _encounter is null ? null : Ref(_encounter),
        };
        report.Category.Add(V2DataTypes.Concept(obr.Field(24), "http://terminology.hl7.org/CodeSystem/v2-0074")
            ?? new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory", null));
        AddOrderIdentifier(report.Identifier, obr.Field(2), "PLAC", _order?.Field(2));
        AddOrderIdentifier(report.Identifier, obr.Field(3), "FILL", _order?.Field(3));
        var observed = obr.Field(7).Component(1).Value;
        var observedEnd = obr.Field(8).Component(1).Value;
        if (observedEnd is not null && observed is not null)
        {
            report.Effective = new Period { StartElement = DateTimeOf(observed, report, "OBR-7"), EndElement = DateTimeOf(observedEnd, report, "OBR-8") };
        }
        else
        {
            report.Effective = DateTimeOf(observed, report, "OBR-7");
        }

        report.Issued = V2DataTypes.Instant(obr.Field(22).Component(1).Value, _options);
        // OBR-32 is NDL: its first component is a CNN whose sub-components read like the components of an XCN.
        if (Practitioner(obr.Field(32).Component(1)) is { } principal)
        {
            report.ResultsInterpreter.Add(principal);
        }

        _report = report;
        _noteTarget = null;
        _specimen = null;
        Add(report, "DiagnosticReport");
    }

    private void AddOrderIdentifier(List<Identifier> identifiers, Hl7V2Value ei, string type, Hl7V2Value? fallback)
    {
        var value = ei.IsEmpty && fallback is { IsEmpty: false } f ? f : ei;
        if (value.Component(1).Value is not { } id)
        {
            return;
        }

        var system = V2DataTypes.EntitySystem(value, _options);
        identifiers.Add(new Identifier(system, id) { Type = V2DataTypes.TableConcept(type, "0203") });
    }

    private static DiagnosticReport.DiagnosticReportStatus ReportStatus(string? code) => code switch
    {
        "F" => DiagnosticReport.DiagnosticReportStatus.Final,
        "C" => DiagnosticReport.DiagnosticReportStatus.Corrected,
        "A" or "R" or "P" => DiagnosticReport.DiagnosticReportStatus.Partial,
        "O" or "I" or "S" => DiagnosticReport.DiagnosticReportStatus.Registered,
        "X" => DiagnosticReport.DiagnosticReportStatus.Cancelled,
        "D" => DiagnosticReport.DiagnosticReportStatus.EnteredInError,
        _ => DiagnosticReport.DiagnosticReportStatus.Unknown,
    };

    private static ObservationStatus ResultStatus(string? code) => code switch
    {
        "F" or "U" => ObservationStatus.Final,
        "C" => ObservationStatus.Corrected,
        "A" => ObservationStatus.Amended,
        "P" or "R" or "S" => ObservationStatus.Preliminary,
        "I" or "O" => ObservationStatus.Registered,
        "X" => ObservationStatus.Cancelled,
        "D" or "W" => ObservationStatus.EnteredInError,
        _ => ObservationStatus.Unknown,
    };

    private void ConvertObservationSegment(Hl7V2Segment obx)
    {
        if (!RequirePatient())
        {
            return;
        }

        var valueType = obx.Get(2);
        if (_isDocumentMessage)
        {
            AddDocumentContent(obx, valueType);
            return;
        }

        if (valueType is "ED" or "RP")
        {
            // Outside a document message every image or document OBX is a document of its own; only the first one after
            // a TXA that has no content yet is that TXA's content (it keeps the TXA's identifiers and dates).
            if (_document is { Content.Count: 0 } && _report is null)
            {
                AddDocumentContent(obx, valueType);
            }
            else
            {
                ConvertEmbeddedDocument(obx, valueType);
            }

            return;
        }

        if (_document is not null && _report is null)
        {
            AddDocumentContent(obx, valueType);
            return;
        }

        if (_immunization is not null && MergeImmunizationObservation(obx))
        {
            return;
        }

        ConvertObservation(obx, valueType);
    }

    private void ConvertObservation(Hl7V2Segment obx, string? valueType)
    {
        var code = V2DataTypes.Concept(obx.Field(3));
        if (code is null)
        {
            Skip("OBX-3 (observation identifier) is empty: an Observation needs a code");
            return;
        }

        var observation = new Observation
        {
            Id = IdFor("Observation"),
            Subject = new ResourceReference(PatientReference),
            Code = code,
            Status = ResultStatus(obx.Get(11)),
            Encounter = _encounter is null ? null : Ref(_encounter),
        };
        if (_report is not null)
        {
            observation.Category.Add(new CodeableConcept(ObservationCategory, "laboratory", "Laboratory", null));
            _report.Result.Add(Ref(observation));
        }

        if (_specimen is not null)
        {
            observation.Specimen = Ref(_specimen);
        }

        SetValue(observation, obx, valueType);
        var unit = new Quantity();
        V2DataTypes.SetUnit(unit, obx.Field(6));
        if (ReferenceRange(obx.Get(7), observation.Value as Quantity ?? unit) is { } range)
        {
            observation.ReferenceRange.Add(range);
        }

        foreach (var flag in obx.Repetitions(8))
        {
            var flagCode = flag.Component(1).Value;
            if (flagCode is null)
            {
                continue;
            }

            observation.Interpretation.Add(InterpretationCodes.Contains(flagCode)
                ? new CodeableConcept(Interpretation, flagCode, flag.Component(2).Value is { } d && d != flagCode ? d : null, null)
                : new CodeableConcept { Text = flagCode });
        }

        observation.Effective = DateTimeOf(obx.Field(14).Component(1).Value, observation, "OBX-14")
            ?? (_report?.Effective as FhirDateTime is { } reportTime ? (FhirDateTime)reportTime.DeepCopy() : null);
        observation.Issued = V2DataTypes.Instant(obx.Field(19).Component(1).Value, _options) ?? _report?.Issued;
        foreach (var xcn in obx.Repetitions(16))
        {
            if (Practitioner(xcn) is { } performer)
            {
                observation.Performer.Add(performer);
            }
        }

        if (obx.Field(23).Component(1).Value is { } lab)
        {
            var labId = obx.Field(23).Component(10).Value;
            observation.Performer.Add(Organization(lab, labId is null ? null : new Identifier(V2DataTypes.AuthoritySystem(obx.Field(23).Component(6), _options), labId))!);
        }

        observation.Method = V2DataTypes.Concept(obx.Field(17));
        _noteTarget = observation;
        Add(observation, valueType is null ? "Observation" : $"Observation ({valueType})");
    }

    private void SetValue(Observation observation, Hl7V2Segment obx, string? valueType)
    {
        var count = obx.RepetitionCount(5);
        if (count == 0)
        {
            if (observation.Status is not (ObservationStatus.Registered or ObservationStatus.Cancelled or ObservationStatus.EnteredInError))
            {
                Warn(observation, "OBX-5 (value) is empty");
            }

            return;
        }

        var value = obx.Field(5);
        switch (valueType)
        {
            case "NM":
                if (V2DataTypes.Decimal(value.Value) is { } number)
                {
                    var quantity = new Quantity { Value = number };
                    V2DataTypes.SetUnit(quantity, obx.Field(6));
                    observation.Value = quantity;
                }
                else
                {
                    observation.Value = new FhirString(value.Value);
                    Warn(observation, $"OBX-5 '{value.Value}' is not a number although OBX-2 is NM; kept as a string");
                }

                break;
            case "SN":
                observation.Value = StructuredNumeric(value, obx.Field(6)) ?? new FhirString(value.Value);
                break;
            case "CE" or "CWE" or "CNE" or "CF" or "CD":
                observation.Value = V2DataTypes.Concept(value);
                break;
            case "DT" or "TS" or "DTM" or "DR":
                observation.Value = DateTimeOf(value.Component(1).Value, observation, "OBX-5");
                break;
            case "TM":
                observation.Value = value.Value is { Length: >= 4 } t && t.All(c => char.IsAsciiDigit(c) || c == '.')
                    ? new Time($"{t[..2]}:{t[2..4]}:{(t.Length >= 6 ? t[4..6] : "00")}")
                    : new FhirString(value.Value);
                break;
            case "FT":
                // Formatted text: kept as the text it shows (escape sequences and \.br\ decoded).
                observation.Value = new FhirString(JoinRepetitions(obx));
                break;
            case "ST" or "TX" or "ID" or "IS" or "NA" or null:
                observation.Value = new FhirString(JoinRepetitions(obx));
                break;
            default:
                observation.Value = new FhirString(value.Raw.ToString());
                Warn(observation, $"OBX-2 value type '{valueType}' has no FHIR value mapping; OBX-5 kept as its ER7 text");
                break;
        }

        if (count > 1 && valueType is not ("ST" or "TX" or "FT" or null))
        {
            Warn(observation, $"OBX-5 repeats {count} times; only the first value was kept");
        }
    }

    private string JoinRepetitions(Hl7V2Segment obx) =>
        string.Join('\n', Enumerable.Range(1, obx.RepetitionCount(5)).Select(r => obx.Field(5, r).Value ?? string.Empty));

    private static DataType? StructuredNumeric(Hl7V2Value sn, Hl7V2Value unit)
    {
        var comparator = sn.Component(1).Value;
        var first = V2DataTypes.Decimal(sn.Component(2).Value);
        var separator = sn.Component(3).Value;
        var second = V2DataTypes.Decimal(sn.Component(4).Value);
        if (first is null)
        {
            return null;
        }

        Quantity Q(decimal v)
        {
            var q = new Quantity { Value = v };
            V2DataTypes.SetUnit(q, unit);
            return q;
        }

        if (separator is "-" && second is not null && comparator is null)
        {
            return new Hl7.Fhir.Model.Range { Low = Q(first.Value), High = Q(second.Value) };
        }

        if (separator is ":" or "/" && second is not null)
        {
            return new Ratio { Numerator = new Quantity { Value = first }, Denominator = new Quantity { Value = second } };
        }

        if (separator is not null || second is not null)
        {
            return null;
        }

        var quantity = Q(first.Value);
        switch (comparator)
        {
            case null or "=":
                break;
            case "<":
                quantity.Comparator = Quantity.QuantityComparator.LessThan;
                break;
            case ">":
                quantity.Comparator = Quantity.QuantityComparator.GreaterThan;
                break;
            case "<=":
                quantity.Comparator = Quantity.QuantityComparator.LessOrEqual;
                break;
            case ">=":
                quantity.Comparator = Quantity.QuantityComparator.GreaterOrEqual;
                break;
            default:
                return null;
        }

        return quantity;
    }

    /// <summary>OBX-7: <c>low-high</c>, <c>low to high</c>, <c>&lt;high</c>, <c>&gt;low</c>, or text.</summary>
    internal static Observation.ReferenceRangeComponent? ReferenceRange(string? text, Quantity? like)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var range = new Observation.ReferenceRangeComponent();
        var s = text.Trim();
        Quantity? Q(string part) => V2DataTypes.Decimal(part) is { } v ? new Quantity { Value = v, Unit = like?.Unit, System = like?.System, Code = like?.Code } : null;

        var separator = s.Contains(" to ", StringComparison.OrdinalIgnoreCase) ? " to " : null;
        if (separator is null)
        {
            var dash = s.IndexOf('-', 1);
            if (dash > 0)
            {
                separator = "-";
            }
        }

        if (separator is not null)
        {
            var at = s.IndexOf(separator, 1, StringComparison.OrdinalIgnoreCase);
            var low = Q(s[..at]);
            var high = Q(s[(at + separator.Length)..]);
            if (low is not null && high is not null)
            {
                range.Low = low;
                range.High = high;
                return range;
            }
        }
        else if (s.StartsWith('<') && Q(s.TrimStart('<', '=')) is { } high)
        {
            range.High = high;
            return range;
        }
        else if (s.StartsWith('>') && Q(s.TrimStart('>', '=')) is { } low)
        {
            range.Low = low;
            return range;
        }

        range.Text = s;
        return range;
    }

    private void MergeNote(Hl7V2Segment nte)
    {
        var text = string.Join('\n', nte.Repetitions(3).Select(r => r.Value).OfType<string>());
        if (text.Length == 0)
        {
            Skip("NTE-3 (comment) is empty");
            return;
        }

        var note = new Annotation { Text = new Markdown(text) };
        var author = nte.Field(5);
        if (!author.IsEmpty && Practitioner(author) is { } authorRef)
        {
            note.Author = authorRef;
        }

        note.TimeElement = DateTimeOf(nte.Field(6).Component(1).Value, _noteTarget, "NTE-6");
        switch (_noteTarget)
        {
            case Observation o:
                o.Note.Add(note);
                break;
            case Immunization i:
                i.Note.Add(note);
                break;
            case AllergyIntolerance a:
                a.Note.Add(note);
                break;
            case Condition c:
                c.Note.Add(note);
                break;
            case Procedure p:
                p.Note.Add(note);
                break;
            case Specimen s:
                s.Note.Add(note);
                break;
            case MedicationRequest m:
                m.Note.Add(note);
                break;
            default:
                Skip(_report is not null
                    ? "comment on an order (OBR): a FHIR R4 DiagnosticReport has no note element"
                    : "comment with no preceding record that takes notes");
                return;
        }

        Merge(_noteTarget, "NTE added as a note");
    }

    private void ConvertSpecimen(Hl7V2Segment spm)
    {
        if (!RequirePatient())
        {
            return;
        }

        var specimen = new Specimen
        {
            Id = IdFor("Specimen"),
            Subject = new ResourceReference(PatientReference),
            Type = V2DataTypes.Concept(spm.Field(4), "http://terminology.hl7.org/CodeSystem/v2-0487"),
        };
        foreach (var (component, type) in new[] { (1, "PLAC"), (2, "FILL") })
        {
            var ei = spm.Field(2).Component(component);
            if (ei.SubComponent(1).Value is { } id)
            {
                specimen.Identifier.Add(new Identifier { Value = id, Type = V2DataTypes.TableConcept(type, "0203") });
            }
        }

        var collection = new Specimen.CollectionComponent { BodySite = V2DataTypes.Concept(spm.Field(8)) };
        var start = DateTimeOf(spm.Field(17).Component(1).Value, specimen, "SPM-17");
        var end = DateTimeOf(spm.Field(17).Component(2).Value, specimen, "SPM-17.2");
        collection.Collected = end is null ? start : new Period { StartElement = start, EndElement = end };
        if (collection.Collected is not null || collection.BodySite is not null)
        {
            specimen.Collection = collection;
        }

        specimen.ReceivedTimeElement = DateTimeOf(spm.Field(18).Component(1).Value, specimen, "SPM-18");
        if (specimen.Type is null && specimen.Identifier.Count == 0)
        {
            Skip("SPM-2 (specimen id) and SPM-4 (specimen type) are empty");
            return;
        }

        _specimen = specimen;
        _noteTarget = specimen;
        Add(specimen, "Specimen");
        if (_report is not null)
        {
            _report.Specimen.Add(Ref(specimen));
            foreach (var result in _report.Result)
            {
                if (result.Reference is { } r && _byReference.TryGetValue(r, out var resource) && resource is Observation { Specimen: null } o)
                {
                    o.Specimen = Ref(specimen);
                }
            }
        }
    }
}
