using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Consent;

/// <summary>Builds the AuditEvents of a share, after IHE Basic Audit Log Patterns (who, to whom, which patient, purpose, outcome, which consent).</summary>
internal static class ShareAudit
{
    public const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    public const string DecisionTypeSystem = "urn:healthrecord-sdk:audit";
    private const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    private const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
    private const string Lifecycle = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";

    public static List<AuditEvent> Build(ConsentOptions options, Bundle ehr, ShareRequest request, ConsentEvaluation evaluation, Bundle disclosure, DateTimeOffset now)
    {
        var patient = ehr.Entry.FirstOrDefault(e => e.Resource is Patient);
        var patientRef = patient is null ? null : new ResourceReference(patient.FullUrl ?? $"Patient/{patient.Resource!.Id}") { Type = "Patient" };
        var purposes = request.PurposeOfUse.Select(p => new CodeableConcept(p.System, p.Code, p.Display)).ToList();
        var breakGlass = evaluation.Decisions.Any(d => d.BreakGlass);
        if (breakGlass)
        {
            purposes.Add(new CodeableConcept(SecurityLabelSystems.ActReason, "BTG", "break the glass"));
        }

        var topLevel = evaluation.Decisions.Where(d => !d.Record.Contains('#', StringComparison.Ordinal)).ToList();
        var withheld = topLevel.Count(d => d.Decision == ConsentDecision.Deny);
        var events = new List<AuditEvent>();

        var disclosureEvent = Event(
            EhrIds.From("audit", "disclosure", disclosure.Id ?? ""),
            new Coding(Dicom, "110106", "Export"),
            options, request, purposes, now,
            disclosure.Entry.Count > 0 ? AuditEvent.AuditEventOutcome.N0 : AuditEvent.AuditEventOutcome.N4,
            $"disclosed {disclosure.Entry.Count} of {topLevel.Count} records, withheld {withheld}{(breakGlass ? ", emergency access used" : "")}",
            patientRef);
        disclosureEvent.Subtype.Add(new Coding(Lifecycle, "disclose", "Disclose Record Lifecycle Event"));
        disclosureEvent.Entity.Add(new AuditEvent.EntityComponent
        {
            What = new ResourceReference(EhrIds.FullUrl(disclosure.Id ?? "")) { Type = "Bundle" },
            Type = new Coding(EntityType, "2", "System Object"),
            Role = new Coding(ObjectRole, "20", "Job"),
            SecurityLabel = [.. (disclosure.Meta?.Security ?? []).Select(c => new Coding(c.System, c.Code, c.Display))],
        });
        AddConsents(disclosureEvent, evaluation.Consents.Where(c => c.Decision != ConsentDecision.NotApplicable).Select(c => c.Authority));
        events.Add(disclosureEvent);

        if (!options.AuditEachDecision)
        {
            return events;
        }

        var fullUrls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in ehr.Entry)
        {
            if (entry.Resource is { } r && entry.FullUrl is not null)
            {
                fullUrls.TryAdd($"{r.TypeName}/{r.Id}", entry.FullUrl);
            }
        }

        foreach (var d in evaluation.Decisions)
        {
            var e = Event(
                EhrIds.From("audit", "decision", disclosure.Id ?? "", d.Record),
                new Coding(DecisionTypeSystem, "consent-decision", "Consent decision"),
                options, request, purposes.Where(p => d.BreakGlass || p.Coding[0].Code != "BTG").ToList(), now,
                d.Decision == ConsentDecision.Permit ? AuditEvent.AuditEventOutcome.N0 : AuditEvent.AuditEventOutcome.N4,
                $"{(d.Decision == ConsentDecision.Permit ? "permit" : "deny")}{(d.BreakGlass ? " (break-glass)" : "")}: {d.Decisive.Explanation}",
                patientRef);
            e.Subtype.Add(new Coding(Lifecycle, d.Decision == ConsentDecision.Permit ? "disclose" : "access", d.Decision == ConsentDecision.Permit ? "Disclose Record Lifecycle Event" : "Access/View Record Lifecycle Event"));
            e.Entity.Add(new AuditEvent.EntityComponent
            {
                What = RecordReference(d.Record, fullUrls),
                Type = new Coding(EntityType, "2", "System Object"),
                Role = new Coding(ObjectRole, "4", "Domain Resource"),
                Description = d.Decisive.ProvisionPath is null ? d.Decisive.Authority : $"{d.Decisive.Authority} {d.Decisive.ProvisionPath} [{d.Decisive.Attribute}]",
            });
            AddConsents(e, d.Basis.Select(b => b.Authority).Where(a => a.StartsWith("Consent/", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal));
            events.Add(e);
        }

        return events;
    }

    private static AuditEvent Event(string id, Coding type, ConsentOptions options, ShareRequest request, List<CodeableConcept> purposes, DateTimeOffset now, AuditEvent.AuditEventOutcome outcome, string description, ResourceReference? patient)
    {
        var recipient = new ResourceReference(request.Recipient.Reference) { Display = request.Recipient.Display };
        if (request.Recipient.Reference is null && request.Recipient.Identifiers.Count > 0)
        {
            recipient.Identifier = new Identifier(request.Recipient.Identifiers[0].System, request.Recipient.Identifiers[0].Value);
        }

        var e = new AuditEvent
        {
            Id = id,
            Type = type,
            Action = AuditEvent.AuditEventAction.R,
            Recorded = now,
            Outcome = outcome,
            OutcomeDesc = description,
            PurposeOfEvent = purposes,
            Source = new AuditEvent.SourceComponent
            {
                Observer = new ResourceReference { Display = options.AuditSource },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
        };
        e.Agent.Add(new AuditEvent.AgentComponent
        {
            Type = new CodeableConcept(Dicom, "110153", "Source Role ID"),
            Who = new ResourceReference { Display = options.AuditSource },
            Requestor = false,
        });
        e.Agent.Add(new AuditEvent.AgentComponent
        {
            Type = new CodeableConcept(Dicom, "110152", "Destination Role ID"),
            Who = recipient,
            Requestor = true,
            PurposeOfUse = [.. purposes],
        });
        if (patient is not null)
        {
            e.Entity.Add(new AuditEvent.EntityComponent
            {
                What = patient,
                Type = new Coding(EntityType, "1", "Person"),
                Role = new Coding(ObjectRole, "1", "Patient"),
            });
        }

        return e;
    }

    private static void AddConsents(AuditEvent e, IEnumerable<string> authorities)
    {
        foreach (var a in authorities)
        {
            e.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(a) { Type = "Consent" },
                Type = new Coding(EntityType, "2", "System Object"),
                Role = new Coding(ObjectRole, "13", "Security Resource"),
                Description = "privacy consent",
            });
        }
    }

    private static ResourceReference RecordReference(string record, Dictionary<string, string> fullUrls)
    {
        var hash = record.IndexOf('#', StringComparison.Ordinal);
        var key = hash < 0 ? record : record[..hash];
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var reference = fullUrls.GetValueOrDefault(key) ?? key;
        return new ResourceReference(hash < 0 ? reference : reference + record[hash..]) { Type = slash > 0 ? key[..slash] : null };
    }
}
