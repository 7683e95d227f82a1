using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace HealthRecord.Sdk.Consent;

/// <summary>Matches one provision's attributes against a record and a request (semantics in docs/consent.md).</summary>
internal sealed class ProvisionMatcher(ConsentOptions options, ResourceGraph graph, AccessRequest request, DateTimeOffset now)
{
    private const string ResourceTypesSystem = "http://hl7.org/fhir/resource-types";

    private static readonly Dictionary<string, string[]> LabelAncestors = new(StringComparer.Ordinal)
    {
        ["ETHUD"] = ["ETH", "SUD"],
        ["OPIOIDUD"] = ["ETH", "SUD"],
        ["SUD"] = ["ETH"],
        ["ETH"] = ["SUD"],
        ["PSYTHPN"] = ["PSY", "MH"],
        ["MENCAT"] = ["MH", "PSY"],
        ["MH"] = ["PSY"],
        ["PSY"] = ["MH"],
    };

    private static readonly Dictionary<string, string[]> PurposeAncestors = new(StringComparer.Ordinal)
    {
        ["ETREAT"] = ["TREAT"],
        ["BTG"] = ["ETREAT", "TREAT"],
        ["CLINTRCH"] = ["HRESCH", "RESEARCH"],
        ["RESEARCH"] = ["HRESCH"],
        ["HRESCH"] = ["RESEARCH"],
    };

    // Types whose records have a clinical date (ClinicalDates); an undated one of these is "unknown", others are never in a data period.
    private static readonly HashSet<string> DatedTypes = new(StringComparer.Ordinal)
    {
        "Observation", "Condition", "Encounter", "Procedure", "Immunization", "MedicationRequest", "MedicationStatement",
        "MedicationAdministration", "MedicationDispense", "DiagnosticReport", "AllergyIntolerance", "DocumentReference",
        "Composition", "CarePlan", "CareTeam", "Goal", "Claim", "ExplanationOfBenefit", "ImagingStudy", "ServiceRequest",
        "FamilyMemberHistory", "Coverage", "Provenance",
    };

    private readonly ResourceGraph.Node? _recipient = request.Recipient.Reference is { } r ? graph.Resolve(new ResourceReference(r)) : null;

    public DateTimeOffset Now => now;

    /// <summary>Matches the provision. <paramref name="facts"/> null means request level: content attributes are not matched.</summary>
    public MatchResult Match(FhirConsent.provisionComponent p, RecordFacts? facts, ConsentDecision polarity)
    {
        var used = new List<string>();
        bool Check(string name, bool present, Func<bool> test)
        {
            if (!present)
            {
                return true;
            }

            used.Add(name);
            return test();
        }

        var deny = polarity == ConsentDecision.Deny;
        if (!Check("period", p.Period is not null, () => InPeriod(p.Period!, now)))
        {
            return MatchResult.Fail("period");
        }

        var recipientActors = p.Actor.Where(a => !IsSourceActor(a)).ToList();
        var sourceActors = p.Actor.Where(IsSourceActor).ToList();
        if (!Check("actor", recipientActors.Count > 0, () => recipientActors.Any(a => a.Reference is not null && RecipientMatches(a.Reference))))
        {
            return MatchResult.Fail("actor");
        }

        if (!Check("action", p.Action.Count > 0, () => request.Actions.Count == 0 ? deny : p.Action.Any(a => a.Coding.Any(c => c.Code is not null && request.Actions.Contains(c.Code)))))
        {
            return MatchResult.Fail("action");
        }

        if (!Check("purpose", p.Purpose.Count > 0, () => request.PurposeOfUse.Count == 0 ? deny : p.Purpose.Any(PurposeMatches)))
        {
            return MatchResult.Fail("purpose");
        }

        if (facts is null)
        {
            return new MatchResult(true, string.Join(",", used), null);
        }

        if (!Check("actor(source)", sourceActors.Count > 0, () => facts.Authors.Count == 0 ? deny : sourceActors.Any(a => a.Reference is not null && SourceMatches(a.Reference, facts))))
        {
            return MatchResult.Fail("actor(source)");
        }

        if (!Check("securityLabel", p.SecurityLabel.Count > 0, () => p.SecurityLabel.Any(l => LabelMatches(l, facts, deny))))
        {
            return MatchResult.Fail("securityLabel");
        }

        if (!Check("class", p.Class.Count > 0, () => p.Class.Any(c => ClassMatches(c, facts.Resource))))
        {
            return MatchResult.Fail("class");
        }

        if (!Check("code", p.Code.Count > 0, () => p.Code.Any(cc => cc.Coding.Any(c => c.Code is not null && facts.CodeSet.Contains(ClinicalCodes.Canonical(c.System, c.Code))))))
        {
            return MatchResult.Fail("code");
        }

        if (!Check("dataPeriod", p.DataPeriod is not null, () => facts.ClinicalDate is { } d ? InPeriod(p.DataPeriod!, d) : deny && DatedTypes.Contains(facts.Resource.TypeName)))
        {
            return MatchResult.Fail("dataPeriod");
        }

        if (!Check("data", p.Data.Count > 0, () => p.Data.Any(d => DataMatches(d, facts))))
        {
            return MatchResult.Fail("data");
        }

        return new MatchResult(true, used.Count == 0 ? "(unconditional)" : string.Join(",", used), null);
    }

    public bool IsSourceActor(FhirConsent.provisionActorComponent actor) =>
        actor.Role?.Coding.Any(c => c.Code is not null && options.SourceActorRoles.Contains(c.Code)) == true;

    public static bool HasContentConditions(FhirConsent.provisionComponent p, ProvisionMatcher m) =>
        p.SecurityLabel.Count > 0 || p.Class.Count > 0 || p.Code.Count > 0 || p.DataPeriod is not null || p.Data.Count > 0 || p.Actor.Any(m.IsSourceActor);

    public static bool InPeriod(Period period, DateTimeOffset t)
    {
        var start = Instant(period.Start, false);
        var end = Instant(period.End, true);
        return (start is null || t >= start) && (end is null || t < end);
    }

    /// <summary>A FHIR date/dateTime as an instant; for an end, a partial date means the end of that year, month or day.</summary>
    public static DateTimeOffset? Instant(string? value, bool isEnd)
    {
        var start = ClinicalDates.FromElement(value is null ? null : new FhirDateTime(value));
        if (start is null || !isEnd)
        {
            return start;
        }

        return value!.Length switch
        {
            4 => start.Value.AddYears(1),
            7 => start.Value.AddMonths(1),
            10 => start.Value.AddDays(1),
            _ => start.Value.AddTicks(1),
        };
    }

    private bool PurposeMatches(Coding q)
    {
        var qs = SecurityLabelSystems.NormalizeSystem(q.System);
        foreach (var p in request.PurposeOfUse)
        {
            var ps = SecurityLabelSystems.NormalizeSystem(p.System);
            if (qs.Length > 0 && ps.Length > 0 && qs != ps)
            {
                continue;
            }

            if (p.Code == q.Code || (p.Code is not null && PurposeAncestors.TryGetValue(p.Code, out var up) && up.Contains(q.Code)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool LabelMatches(Coding l, RecordFacts facts, bool deny)
    {
        if (SecurityLabelSystems.IsConfidentiality(l))
        {
            var q = SecurityLabelSystems.ConfidentialityRank(l.Code);
            return deny ? facts.ConfidentialityRank >= q : facts.ConfidentialityRank <= q;
        }

        var system = SecurityLabelSystems.NormalizeSystem(l.System);
        return facts.LabelKeys.Any(k => (system.Length == 0 || k.System == system)
            && (k.Code == l.Code || (LabelAncestors.TryGetValue(k.Code, out var up) && up.Contains(l.Code))));
    }

    private static bool ClassMatches(Coding c, Resource record)
    {
        if (c.Code is null)
        {
            return false;
        }

        var system = (c.System ?? "").TrimEnd('/');
        if (system == ResourceTypesSystem)
        {
            return c.Code == record.TypeName;
        }

        if (system == "urn:ietf:bcp:13")
        {
            return record switch
            {
                DocumentReference d => d.Content.Any(x => x.Attachment?.ContentType == c.Code),
                Binary b => b.ContentType == c.Code,
                _ => false,
            };
        }

        if (c.Code.StartsWith("http", StringComparison.Ordinal) || system.EndsWith("StructureDefinition", StringComparison.Ordinal))
        {
            return record.Meta?.Profile.Contains(c.Code) == true;
        }

        if (!record.TryGetValue("category", out var category))
        {
            return false;
        }

        var codings = category switch
        {
            CodeableConcept cc => cc.Coding,
            System.Collections.IEnumerable list => list.OfType<CodeableConcept>().SelectMany(x => x.Coding).Concat(list.OfType<Coding>()),
            Coding one => [one],
            _ => [],
        };
        return codings.Any(x => x.Code == c.Code && (string.IsNullOrEmpty(c.System) || (x.System ?? "").TrimEnd('/') == system));
    }

    private bool DataMatches(FhirConsent.provisionDataComponent data, RecordFacts facts)
    {
        if (data.Reference is null)
        {
            return false;
        }

        var target = graph.Resolve(data.Reference);
        if (target is null)
        {
            return false;
        }

        var self = facts.Node;
        return data.Meaning switch
        {
            FhirConsent.ConsentDataMeaning.Instance => self == target,
            FhirConsent.ConsentDataMeaning.Related => self == target || (self is not null && self.Resource is not Patient && target.Out.Any(e => e.Target == self)),
            FhirConsent.ConsentDataMeaning.Dependents => self == target || (self is not null && DependsOn(self, target)),
            FhirConsent.ConsentDataMeaning.Authoredby => facts.Authors.Contains(target) || facts.Authors.Any(a => Affiliated(a, target)),
            _ => self == target,
        };
    }

    private static bool DependsOn(ResourceGraph.Node record, ResourceGraph.Node target)
    {
        // The record refers to the target directly or through other records.
        var seen = new HashSet<ResourceGraph.Node> { target };
        var queue = new Queue<ResourceGraph.Node>([target]);
        while (queue.Count > 0)
        {
            foreach (var referrer in queue.Dequeue().In)
            {
                if (referrer == record)
                {
                    return true;
                }

                if (seen.Add(referrer))
                {
                    queue.Enqueue(referrer);
                }
            }
        }

        return false;
    }

    private bool SourceMatches(ResourceReference actor, RecordFacts facts)
    {
        var target = graph.Resolve(actor);
        return target is not null && (facts.Authors.Contains(target) || facts.Authors.Any(a => Affiliated(a, target)));
    }

    private bool RecipientMatches(ResourceReference actor)
    {
        var target = graph.Resolve(actor);
        if (target is not null && _recipient == target)
        {
            return true;
        }

        if (actor.Reference is not null && request.Recipient.Reference is not null && NormalizeReference(actor.Reference) == NormalizeReference(request.Recipient.Reference))
        {
            return true;
        }

        var actorIds = Fhir.ResourceIdentifiers.Of(target?.Resource).Concat(actor.Identifier is null ? [] : [actor.Identifier]).ToList();
        var recipientIds = request.Recipient.Identifiers.Concat(Fhir.ResourceIdentifiers.Of(_recipient?.Resource)).ToList();
        if (actorIds.Any(a => recipientIds.Any(r => a.Value is not null && a.Value == r.Value && (a.System ?? "") == (r.System ?? ""))))
        {
            return true;
        }

        // An organisation and its practitioners.
        if (target?.Resource is Organization)
        {
            if (request.Recipient.Affiliations.Any(a => graph.Resolve(new ResourceReference(a)) == target || (actor.Reference is not null && NormalizeReference(a) == NormalizeReference(actor.Reference))))
            {
                return true;
            }

            if (_recipient is not null && Affiliated(_recipient, target))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a person node belongs to an organisation node (PractitionerRole, or the person is a role of it).</summary>
    private bool Affiliated(ResourceGraph.Node person, ResourceGraph.Node organization)
    {
        if (organization.Resource is not Organization)
        {
            return false;
        }

        if (person.Resource is PractitionerRole pr)
        {
            return pr.Organization is not null && graph.Resolve(pr.Organization) == organization;
        }

        return organization.In.Any(n => n.Resource is PractitionerRole role
            && role.Organization is not null && graph.Resolve(role.Organization) == organization
            && role.Practitioner is not null && graph.Resolve(role.Practitioner) == person);
    }

    private static string NormalizeReference(string reference) =>
        ResourceReferences.TryParseTypeAndId(reference, out var type, out var id) ? $"{type}/{id}" : reference.Trim();
}

/// <summary>The outcome of matching one provision.</summary>
internal sealed record MatchResult(bool Matched, string Attributes, string? Failed)
{
    public static MatchResult Fail(string attribute) => new(false, "", attribute);
}
