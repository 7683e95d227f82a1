using System.Security.Cryptography;
using System.Text;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>One message's conversion: walks the segments in order, keeping the context (patient, visit, order, result).</summary>
internal sealed partial class MessageConverter
{
    private static readonly Dictionary<string, string> SkipReasons = new(StringComparer.Ordinal)
    {
        ["SFT"] = "software segment: describes the sending system, not the patient",
        ["UAC"] = "user authentication credential: not EHR content",
        ["ARV"] = "access restriction: not converted (no FHIR security labels are derived from it)",
        ["ROL"] = "role: care-team roles are not converted",
        ["PRT"] = "participation: participants are not converted (the participant fields of the main segments are)",
        ["DB1"] = "disability: not converted",
        ["GT1"] = "guarantor: financial, not clinical",
        ["IN2"] = "insurance additional information: not converted (IN1 is)",
        ["IN3"] = "insurance certification: not converted (IN1 is)",
        ["ACC"] = "accident: not converted",
        ["UB1"] = "UB82 billing: financial, not clinical",
        ["UB2"] = "UB92 billing: financial, not clinical",
        ["PDA"] = "patient death and autopsy: not converted (PID-29/30 are)",
        ["FT1"] = "financial transaction: billing, not clinical",
        ["CTI"] = "clinical trial identification: not converted",
        ["CTD"] = "contact data: not converted",
        ["TQ1"] = "timing/quantity of an order: orders are not converted",
        ["TQ2"] = "timing/quantity relationship of an order: orders are not converted",
        ["ORC"] = "common order: orders are not converted to EHR records",
        ["RXD"] = "pharmacy dispense: not converted",
        ["RXG"] = "pharmacy give: not converted",
        ["RXC"] = "pharmacy component: not converted",
        ["SCH"] = "scheduling activity: appointments are not converted",
        ["RGS"] = "resource group of an appointment: not converted",
        ["AIS"] = "appointment service: not converted",
        ["AIG"] = "appointment general resource: not converted",
        ["AIL"] = "appointment location: not converted",
        ["AIP"] = "appointment personnel: not converted",
        ["RF1"] = "referral information: not converted",
        ["AUT"] = "authorisation: financial, not clinical",
        ["DSP"] = "display data: not converted",
        ["QRD"] = "query definition: not EHR content",
        ["QRF"] = "query filter: not EHR content",
        ["MSA"] = "message acknowledgment: not EHR content",
        ["ERR"] = "error: not EHR content",
        ["BLG"] = "billing: financial, not clinical",
        ["ODS"] = "dietary order: orders are not converted",
        ["ODT"] = "diet tray instruction: not converted",
        ["SAC"] = "specimen container: not converted",
        ["OBR"] = "observation request in an order message: orders are not converted to EHR records",
        ["TCD"] = "test code detail: not converted",
        ["SID"] = "substance identifier: not converted",
        ["INV"] = "inventory detail: not converted",
        ["IAM"] = "adverse reaction information (A60): not converted; AL1 is",
        ["IPC"] = "imaging procedure control: not converted",
        ["OM1"] = "master file: not EHR content",
        ["LAN"] = "language detail: not converted (PID-15 is)",
        ["EDU"] = "educational detail: not converted",
        ["PRA"] = "practitioner detail: not converted",
        ["GOL"] = "goal: not converted",
        ["PTH"] = "pathway: not converted",
        ["VAR"] = "variance: not converted",
    };

    private readonly Hl7V2Message _message;
    private readonly Hl7V2ConversionOptions _options;
    private readonly string _messageKey;
    private readonly string _messageSource;
    private readonly List<Resource> _resources = [];
    private readonly Dictionary<string, Resource> _byReference = new(StringComparer.Ordinal);
    private readonly List<Hl7V2ReportEntry> _entries = [];
    private readonly bool _isResultMessage;
    private readonly bool _isDocumentMessage;
    private readonly bool _isImmunizationMessage;
    private readonly bool _isPharmacyMessage;

    private Hl7V2Segment _segment = null!;
    private int _position;
    private Patient? _patient;
    private Encounter? _encounter;
    private DiagnosticReport? _report;
    private Specimen? _specimen;
    private Immunization? _immunization;
    private DocumentReference? _document;
    private Hl7V2Segment? _order;
    private Resource? _noteTarget;

    public MessageConverter(Hl7V2Message message, Hl7V2ConversionOptions options)
    {
        _message = message;
        _options = options;
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(message.ToEr7())));
        _messageKey = EhrIds.From("hl7v2", message.SendingApplication ?? string.Empty, message.SendingFacility ?? string.Empty, message.ControlId ?? string.Empty, hash);
        _messageSource = MessageSourceUri(message);
        var type = message.MessageType;
        _isResultMessage = type is "ORU" or "OUL";
        _isDocumentMessage = type == "MDM";
        _isImmunizationMessage = type == "VXU";
        _isPharmacyMessage = type is "RDE" or "RDS" or "OMP" or "ORM" && (message.Segment("RXE") is not null || message.Segment("RXO") is not null);
    }

    private string PatientReference => "Patient/" + _patient!.Id;

    public Hl7V2ConversionResult Run()
    {
        var segments = _message.Segments;
        for (var i = 0; i < segments.Count; i++)
        {
            _segment = segments[i];
            _position = i + 1;
            ConvertSegment(_segment);
        }

        DropEmptyDocuments();
        var report = new Hl7V2ConversionReport(_message.MessageType, _message.TriggerEvent, _message.ControlId, _message.Version, _message.Index, _entries);
        return new Hl7V2ConversionResult(_resources, report);
    }

    private void ConvertSegment(Hl7V2Segment segment)
    {
        if (segment.IsZSegment)
        {
            Skip("Z-segment (locally defined): kept by the parser, not converted");
            return;
        }

        switch (segment.Id)
        {
            case "MSH":
                Merge(null, "message header: sender, control id and time used for identifiers");
                break;
            case "EVN":
                Merge(null, "event type: the trigger event sets the visit status");
                break;
            case "PID":
                ConvertPatient(segment);
                break;
            case "PD1":
                MergePatientAdditional(segment);
                break;
            case "MRG":
                MergeMerge(segment);
                break;
            case "NK1":
                ConvertRelatedPerson(segment);
                break;
            case "PV1":
                ConvertEncounter(segment);
                break;
            case "PV2":
                MergeVisitAdditional(segment);
                break;
            case "AL1":
                ConvertAllergy(segment);
                break;
            case "DG1":
                ConvertDiagnosis(segment);
                break;
            case "PRB":
                ConvertProblem(segment);
                break;
            case "PR1":
                ConvertProcedure(segment);
                break;
            case "IN1":
                ConvertCoverage(segment);
                break;
            case "ORC" when _isImmunizationMessage || _isResultMessage || _isPharmacyMessage:
                _order = segment;
                _immunization = null;
                _report = null;
                _medicationRequest = null;
                _noteTarget = null;
                Merge(null, "common order: its order numbers, time and ordering provider are used by the following RXA, RXE/RXO or OBR");
                break;
            case "RXE":
                ConvertMedicationRequest(segment, encoded: true);
                break;
            case "RXO" when _message.MessageType is "RDE" or "RDS":
                Skip("pharmacy order as requested: the pharmacy-encoded RXE of the same order is converted instead");
                break;
            case "RXO":
                ConvertMedicationRequest(segment, encoded: false);
                break;
            case "RXR" when _medicationRequest is not null:
                MergeMedicationRoute(segment);
                break;
            case "OBR" when _isResultMessage:
                ConvertReport(segment);
                break;
            case "OBX":
                ConvertObservationSegment(segment);
                break;
            case "NTE":
                MergeNote(segment);
                break;
            case "SPM":
                ConvertSpecimen(segment);
                break;
            case "RXA" when _isImmunizationMessage:
                ConvertImmunization(segment);
                break;
            case "RXA":
                Skip("pharmacy administration outside a VXU message: not converted");
                break;
            case "RXR" when _immunization is not null:
                MergeRoute(segment);
                break;
            case "RXR":
                Skip("pharmacy route of an order: orders are not converted to EHR records");
                break;
            case "TXA":
                ConvertDocument(segment);
                break;
            default:
                Skip(SkipReasons.TryGetValue(segment.Id, out var reason) ? reason : $"unknown segment {segment.Id}: not part of the segments this adapter converts");
                break;
        }
    }

    /// <summary>A TXA whose message carried no OBX content cannot be a DocumentReference (content is required).</summary>
    private void DropEmptyDocuments()
    {
        foreach (var empty in _resources.OfType<DocumentReference>().Where(d => d.Content.Count == 0).ToList())
        {
            var key = "DocumentReference/" + empty.Id;
            _resources.Remove(empty);
            _byReference.Remove(key);
            for (var i = 0; i < _entries.Count; i++)
            {
                if (_entries[i].Resource == key)
                {
                    _entries[i] = _entries[i] with
                    {
                        Outcome = Hl7V2SegmentOutcome.Skipped,
                        Resource = null,
                        Detail = "document notification with no OBX content after it: a DocumentReference needs content",
                    };
                }
            }
        }
    }

    // ---- report --------------------------------------------------------------------------------

    private void Report(Hl7V2SegmentOutcome outcome, Resource? resource, string? detail) =>
        _entries.Add(new Hl7V2ReportEntry(_segment.Id, _position, _segment.Line, outcome, resource is null ? null : resource.TypeName + "/" + resource.Id, detail));

    private void Skip(string reason) => Report(Hl7V2SegmentOutcome.Skipped, null, reason);

    private void Merge(Resource? into, string detail) => Report(Hl7V2SegmentOutcome.Merged, into, detail);

    private void Warn(Resource? resource, string detail) => Report(Hl7V2SegmentOutcome.Warning, resource, detail);

    private bool RequirePatient()
    {
        if (_patient is not null)
        {
            return true;
        }

        Skip("no PID segment before it: the record cannot be attributed to a patient");
        return false;
    }

    // ---- resources and ids ---------------------------------------------------------------------

    private string IdFor(string type, int part = 0) => EhrIds.From(_messageKey, type, _position.ToString(System.Globalization.CultureInfo.InvariantCulture), part.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// The URI recorded in <c>meta.source</c> of every record a message produces: sending application, facility and
    /// message control id (MSH-3, MSH-4, MSH-10), so each record can be traced to its message.
    /// </summary>
    internal static string MessageSourceUri(Hl7V2Message message) =>
        "urn:healthrecord-sdk:hl7v2:message:" + string.Join(':',
            Uri.EscapeDataString(message.SendingApplication ?? string.Empty),
            Uri.EscapeDataString(message.SendingFacility ?? string.Empty),
            Uri.EscapeDataString(message.ControlId ?? string.Empty));

    private T Add<T>(T resource, string? detail = null)
        where T : Resource
    {
        if (resource is not (Hl7.Fhir.Model.Practitioner or Hl7.Fhir.Model.Organization))
        {
            // Practitioners and organisations are shared between messages (content-derived ids): no single message source.
            resource.Meta ??= new Meta();
            resource.Meta.Source = _messageSource;
        }

        var key = resource.TypeName + "/" + resource.Id;
        if (_byReference.TryAdd(key, resource))
        {
            _resources.Add(resource);
        }

        if (detail is not null)
        {
            Report(Hl7V2SegmentOutcome.Converted, resource, detail);
        }

        return resource;
    }

    /// <summary>XCN → a reference to a Practitioner (content-derived id, one resource per distinct person).</summary>
    private ResourceReference? Practitioner(Hl7V2Value xcn)
    {
        if (xcn.IsEmpty || xcn.IsExplicitNull)
        {
            return null;
        }

        var idValue = xcn.Component(1).Value;
        var family = xcn.Component(2).SubComponent(1).Value;
        var given = xcn.Component(3).Value;
        var practitioner = new Practitioner();
        if (family is null && given is null && idValue is not null && !xcn.IsComposite && idValue.Any(char.IsLetter))
        {
            // Older messages write a plain name in component 1 (e.g. "John Smith").
            practitioner.Name.Add(new HumanName { Text = idValue });
            idValue = null;
        }
        else if (family is not null || given is not null)
        {
            var name = new HumanName { Family = family };
            if (given is not null)
            {
                name.GivenElement.Add(new FhirString(given));
            }

            if (xcn.Component(4).Value is { } middle)
            {
                name.GivenElement.Add(new FhirString(middle));
            }

            if (xcn.Component(5).Value is { } suffix)
            {
                name.SuffixElement.Add(new FhirString(suffix));
            }

            if (xcn.Component(6).Value is { } prefix)
            {
                name.PrefixElement.Add(new FhirString(prefix));
            }

            if (xcn.Component(7).Value is { } degree)
            {
                name.SuffixElement.Add(new FhirString(degree));
            }

            practitioner.Name.Add(name);
        }

        if (idValue is not null)
        {
            var type = xcn.Component(13).Value;
            practitioner.Identifier.Add(new Identifier
            {
                Value = idValue,
                Type = V2DataTypes.TableConcept(type, "0203"),
                System = type == "NPI" ? "http://hl7.org/fhir/sid/us-npi" : V2DataTypes.AuthoritySystem(xcn.Component(9), _options),
            });
        }

        if (practitioner.Name.Count == 0 && practitioner.Identifier.Count == 0)
        {
            return null;
        }

        var identifier = practitioner.Identifier.FirstOrDefault();
        practitioner.Id = EhrIds.From("hl7v2-practitioner", identifier?.System ?? string.Empty, identifier?.Value ?? string.Empty,
            practitioner.Name.FirstOrDefault()?.Family ?? practitioner.Name.FirstOrDefault()?.Text ?? string.Empty, string.Join(' ', practitioner.Name.FirstOrDefault()?.Given ?? []));
        Add(practitioner);
        return new ResourceReference("Practitioner/" + practitioner.Id, Display(practitioner.Name.FirstOrDefault()));
    }

    /// <summary>An Organization from a name and an optional identifier (content-derived id).</summary>
    private ResourceReference? Organization(string? name, Identifier? identifier)
    {
        if (name is null && identifier is null)
        {
            return null;
        }

        var organization = new Organization { Name = name };
        if (identifier is not null)
        {
            organization.Identifier.Add(identifier);
        }

        organization.Id = EhrIds.From("hl7v2-organization", identifier?.System ?? string.Empty, identifier?.Value ?? string.Empty, name ?? string.Empty);
        Add(organization);
        return new ResourceReference("Organization/" + organization.Id, name);
    }

    private static string? Display(HumanName? name) =>
        name is null ? null : name.Text ?? string.Join(' ', name.Given.Append(name.Family).Where(s => !string.IsNullOrEmpty(s)));

    private FhirDateTime? DateTimeOf(string? value, Resource? owner, string field)
    {
        var text = V2DataTypes.DateTime(value, _options, out var lostTime);
        if (text is null && !string.IsNullOrWhiteSpace(value))
        {
            Warn(owner, $"{field} '{value}' is not a valid HL7 date/time; not converted");
        }
        else if (lostTime)
        {
            Warn(owner, $"{field} has a time without UTC offset and no offset is assumed; only the date was kept");
        }

        return text is null ? null : new FhirDateTime(text);
    }

    private static ResourceReference Ref(Resource resource) => new(resource.TypeName + "/" + resource.Id);
}
