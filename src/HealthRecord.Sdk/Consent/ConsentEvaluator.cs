using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace HealthRecord.Sdk.Consent;

/// <summary>
/// The built-in <see cref="IConsentEvaluator"/>: FHIR R4 privacy consents (status, scope, category, patient,
/// policyRule and the whole provision tree) plus the host's <see cref="IConsentRule"/>s, combined as
/// <see cref="ConsentOptions"/> says. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class ConsentEvaluator : IConsentEvaluator, IGraphConsentEvaluator
{
    private const string ConsentScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";
    private readonly ConsentOptions _options;
    private readonly IReadOnlyList<IConsentRule> _rules;
    private readonly TimeProvider _time;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="options">Combining and default.</param>
    /// <param name="rules">The host's rules.</param>
    /// <param name="timeProvider">The clock (the system clock when <see langword="null"/>).</param>
    public ConsentEvaluator(IOptions<ConsentOptions> options, IEnumerable<IConsentRule> rules, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rules);
        _options = options.Value;
        _rules = [.. rules];
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<ConsentEvaluation> EvaluateAsync(Bundle ehr, IReadOnlyList<FhirConsent> consents, AccessRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        ArgumentNullException.ThrowIfNull(consents);
        ArgumentNullException.ThrowIfNull(request);
        var graph = BuildGraph(ehr, request);
        return ValueTask.FromResult(Evaluate(ehr, graph, consents, request, cancellationToken));
    }

    internal static ResourceGraph BuildGraph(Bundle ehr, AccessRequest request) =>
        new(ehr.Entry.Where(e => e.Resource is not null).Select(e => (e.Resource!, (string?)e.FullUrl))
            .Concat(request.Directory.Select(r => (r, (string?)null))));

    ConsentEvaluation IGraphConsentEvaluator.Evaluate(Bundle ehr, ResourceGraph graph, IReadOnlyList<FhirConsent> consents, AccessRequest request, CancellationToken cancellationToken) =>
        Evaluate(ehr, graph, consents, request, cancellationToken);

    internal ConsentEvaluation Evaluate(Bundle ehr, ResourceGraph graph, IReadOnlyList<FhirConsent> consents, AccessRequest request, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var matcher = new ProvisionMatcher(_options, graph, request, now);
        var patient = ehr.Entry.Select(e => e.Resource).OfType<Patient>().FirstOrDefault();
        var patientNode = patient is null ? null : graph.Find($"Patient/{patient.Id}");
        var applicability = new List<DecisionBasis>();
        var active = new List<(FhirConsent Consent, string Authority, DateTimeOffset? Recorded)>();
        foreach (var consent in consents)
        {
            var authority = AuthorityOf(consent);
            var recorded = ProvisionMatcher.Instant(consent.DateTime, false);
            var reason = Inapplicable(consent, patientNode, graph);
            if (reason is null && consent.Provision is null)
            {
                reason = ("provision", "it has no provision");
            }

            applicability.Add(reason is null
                ? new DecisionBasis(ConsentDecision.Permit, authority, null, "status", "active privacy consent for this patient", recorded)
                : new DecisionBasis(ConsentDecision.NotApplicable, authority, null, reason.Value.Attribute, $"not applicable: {reason.Value.Why}", recorded));
            if (reason is null)
            {
                active.Add((consent, authority, recorded));
            }
        }

        var decisions = new List<RecordDecision>();
        var directory = new HashSet<Resource>(request.Directory, ReferenceEqualityComparer.Instance);
        foreach (var node in graph.Nodes.Where(n => !directory.Contains(n.Resource)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var facts = new RecordFacts(node.Key, node.Resource, node, graph);
            var decision = Decide(facts, active, request, matcher, withBreakGlass: true);
            if (decision.Decision == ConsentDecision.Permit)
            {
                decision = decision with { Obligations = [.. decision.Obligations, .. InlineObligations(facts, active, request, matcher, graph)] };
            }

            decisions.Add(decision);
            if (node.Resource is DomainResource { Contained.Count: > 0 } dr)
            {
                foreach (var contained in dr.Contained)
                {
                    var key = $"{node.Key}#{contained.Id}";
                    decisions.Add(decision.Decision == ConsentDecision.Deny
                        ? decision with { Record = key, Obligations = [] }
                        : Decide(new RecordFacts(key, contained, node, graph), active, request, matcher, withBreakGlass: true) with { Record = key });
                }
            }
        }

        return new ConsentEvaluation(decisions, applicability);
    }

    /// <inheritdoc />
    public AccessDecision DecideAccess(IReadOnlyList<FhirConsent> consents, AccessRequest request)
    {
        ArgumentNullException.ThrowIfNull(consents);
        ArgumentNullException.ThrowIfNull(request);
        var graph = new ResourceGraph(request.Directory.Select(r => (r, (string?)null)));
        var matcher = new ProvisionMatcher(_options, graph, request, _time.GetUtcNow());
        var votes = new List<(DecisionBasis Basis, List<Coding> Redact)>();
        var basis = new List<DecisionBasis>();
        foreach (var consent in consents)
        {
            var authority = AuthorityOf(consent);
            var recorded = ProvisionMatcher.Instant(consent.DateTime, false);
            if (Inapplicable(consent, null, graph) is { } reason || consent.Provision is null)
            {
                continue;
            }

            var rootType = RootType(consent);
            var vote = AccessNode(consent.Provision, rootType, "provision", true, matcher, request);
            if (vote is null || vote.Decision == ConsentDecision.NotApplicable)
            {
                basis.Add(new DecisionBasis(ConsentDecision.NotApplicable, authority, "provision", vote?.Attributes ?? "provision", "the consent's root provision does not apply to this request", recorded));
                continue;
            }

            votes.Add((new DecisionBasis(vote.Decision, authority, vote.Path, vote.Attributes, Explain(authority, vote.Path, vote.Decision, vote.Attributes), recorded), vote.Redact));
        }

        if (votes.Count == 0)
        {
            return new AccessDecision(ConsentDecision.NotApplicable, [], basis);
        }

        var winners = Combine(votes.Select(v => v.Basis).ToList());
        var decision = winners[0].Decision;
        var redact = decision == ConsentDecision.Permit
            ? votes.Where(v => winners.Contains(v.Basis)).SelectMany(v => v.Redact).DistinctBy(c => $"{c.System}|{c.Code}").ToList()
            : [];
        var obligations = redact.Count > 0
            ? new[] { new ConsentObligation(ObligationKind.Redact, "*", $"withhold records carrying these labels, classes or codes ({string.Join(", ", winners.Select(w => w.Authority))})", redact) }
            : [];
        return new AccessDecision(decision, obligations, [.. winners, .. votes.Select(v => v.Basis).Except(winners), .. basis]);
    }

    private sealed record AccessVote(ConsentDecision Decision, string Path, string Attributes, List<Coding> Redact);

    private static AccessVote? AccessNode(FhirConsent.provisionComponent p, ConsentDecision type, string path, bool isRoot, ProvisionMatcher matcher, AccessRequest request)
    {
        var m = matcher.Match(p, null, type == ConsentDecision.NotApplicable ? ConsentDecision.Deny : type);
        if (!m.Matched)
        {
            return null;
        }

        if (!isRoot && ProvisionMatcher.HasContentConditions(p, matcher))
        {
            if (type != ConsentDecision.Deny)
            {
                return new AccessVote(ConsentDecision.Permit, path, "content", []);
            }

            if (request.RequestedClasses.Count > 0 && p.Class.Count > 0)
            {
                if (!p.Class.Any(c => request.RequestedClasses.Any(r => r.Code == c.Code)))
                {
                    return null;
                }

                if (request.RequestedClasses.All(r => p.Class.Any(c => c.Code == r.Code)))
                {
                    return new AccessVote(ConsentDecision.Deny, path, "class", []);
                }
            }

            return new AccessVote(ConsentDecision.Permit, path, "content", [.. p.SecurityLabel, .. p.Class, .. p.Code.SelectMany(c => c.Coding)]);
        }

        var redact = new List<Coding>();
        var childPermit = false;
        for (var i = 0; i < p.Provision.Count; i++)
        {
            var child = p.Provision[i];
            var childType = TypeOf(child) ?? Opposite(type);
            var vote = AccessNode(child, childType, $"{path}.provision[{i}]", false, matcher, request);
            if (vote is null)
            {
                continue;
            }

            if (vote.Decision == ConsentDecision.Deny)
            {
                return vote;
            }

            childPermit = true;
            redact.AddRange(vote.Redact);
        }

        if (type == ConsentDecision.NotApplicable)
        {
            return childPermit ? new AccessVote(ConsentDecision.Permit, path, m.Attributes, redact) : null;
        }

        return new AccessVote(type, path, m.Attributes, type == ConsentDecision.Deny ? [] : redact);
    }

    private RecordDecision Decide(RecordFacts facts, IReadOnlyList<(FhirConsent Consent, string Authority, DateTimeOffset? Recorded)> consents, AccessRequest request, ProvisionMatcher matcher, bool withBreakGlass)
    {
        var votes = new List<DecisionBasis>();
        foreach (var (consent, authority, recorded) in consents)
        {
            var rootType = RootType(consent);
            var vote = RecordNode(consent.Provision!, rootType, "provision", facts, matcher);
            if (vote is not null)
            {
                votes.Add(new DecisionBasis(vote.Value.Decision, authority, vote.Value.Path, vote.Value.Attributes, Explain(authority, vote.Value.Path, vote.Value.Decision, vote.Value.Attributes), recorded));
            }
        }

        var obligations = new List<ConsentObligation>();
        var ruleVotes = new List<DecisionBasis>();
        if (_rules.Count > 0)
        {
            var ctx = new ConsentRuleContext(facts.Resource, facts.Labels, facts.Codes, request, matcher.Now);
            foreach (var rule in _rules)
            {
                if (rule.Evaluate(ctx) is not { } rv || rv.Decision == ConsentDecision.NotApplicable)
                {
                    continue;
                }

                var b = new DecisionBasis(rv.Decision, "rule:" + rule.Name, null, "rule", rv.Explanation);
                if (rv.Decision == ConsentDecision.Deny)
                {
                    // An organisation's prohibition is final.
                    return new RecordDecision(facts.Key, ConsentDecision.Deny, [], [b, .. votes]);
                }

                ruleVotes.Add(b);
                obligations.AddRange(rv.Obligations ?? []);
            }
        }

        var all = votes.Concat(ruleVotes).ToList();
        RecordDecision result;
        if (all.Count == 0)
        {
            var d = _options.Default == NoConsentDefault.OptOut ? ConsentDecision.Permit : ConsentDecision.Deny;
            result = new RecordDecision(facts.Key, d, [], [new DecisionBasis(d, "default", null, "default",
                _options.Default == NoConsentDefault.OptOut ? "no consent applies; opt-out default permits" : "no consent applies; opt-in default denies")]);
        }
        else
        {
            var winners = Combine(all);
            result = new RecordDecision(facts.Key, winners[0].Decision, winners[0].Decision == ConsentDecision.Permit ? obligations : [], [.. winners, .. all.Except(winners)]);
        }

        if (withBreakGlass && result.Decision == ConsentDecision.Deny && request.BreakGlass && request.PurposeOfUse.Any(p => p.Code is "ETREAT" or "BTG"))
        {
            var allow = consents.Select(c => (c.Authority, Path: EmergencyPermit(c.Consent.Provision!, "provision", facts, matcher))).FirstOrDefault(x => x.Path is not null);
            if (allow.Path is not null || _options.AllowBreakGlassWithoutConsent)
            {
                var why = allow.Path is not null
                    ? new DecisionBasis(ConsentDecision.Permit, "break-glass", allow.Path, "purpose", $"emergency access: {allow.Authority} {allow.Path} permits emergency treatment")
                    : new DecisionBasis(ConsentDecision.Permit, "break-glass", null, "purpose", "emergency access allowed by configuration without consent");
                result = new RecordDecision(facts.Key, ConsentDecision.Permit, [], [why, .. result.Basis], BreakGlass: true);
            }
        }

        return result;
    }

    private static (ConsentDecision Decision, string Path, string Attributes)? RecordNode(FhirConsent.provisionComponent p, ConsentDecision type, string path, RecordFacts facts, ProvisionMatcher matcher)
    {
        var polarity = type == ConsentDecision.NotApplicable ? (HasDeny(p) ? ConsentDecision.Deny : ConsentDecision.Permit) : type;
        var m = matcher.Match(p, facts, polarity);
        if (!m.Matched)
        {
            return null;
        }

        (ConsentDecision Decision, string Path, string Attributes)? permit = null;
        for (var i = 0; i < p.Provision.Count; i++)
        {
            var child = p.Provision[i];
            var vote = RecordNode(child, TypeOf(child) ?? Opposite(type), $"{path}.provision[{i}]", facts, matcher);
            if (vote is { Decision: ConsentDecision.Deny })
            {
                return vote; // among siblings, the first matching deny wins
            }

            permit ??= vote;
        }

        if (permit is not null)
        {
            return permit;
        }

        return type == ConsentDecision.NotApplicable ? null : (type, path, m.Attributes);
    }

    private static string? EmergencyPermit(FhirConsent.provisionComponent p, string path, RecordFacts facts, ProvisionMatcher matcher)
    {
        if (TypeOf(p) == ConsentDecision.Permit && p.Purpose.Any(c => c.Code is "ETREAT" or "BTG") && matcher.Match(p, facts, ConsentDecision.Permit).Matched)
        {
            return path;
        }

        for (var i = 0; i < p.Provision.Count; i++)
        {
            if (EmergencyPermit(p.Provision[i], $"{path}.provision[{i}]", facts, matcher) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private IEnumerable<ConsentObligation> InlineObligations(RecordFacts facts, IReadOnlyList<(FhirConsent Consent, string Authority, DateTimeOffset? Recorded)> consents, AccessRequest request, ProvisionMatcher matcher, ResourceGraph graph)
    {
        // DS4P: a resource with inline labels carries the PROCESSINLINELABEL label; only those are searched.
        if (!facts.Labels.Any(l => l.Code == "PROCESSINLINELABEL"))
        {
            yield break;
        }

        foreach (var (path, labels) in InlineLabels(facts.Resource, ""))
        {
            var elementFacts = new RecordFacts(facts.Key, facts.Resource, facts.Node, graph, [.. facts.Labels, .. labels]);
            var d = Decide(elementFacts, consents, request, matcher, withBreakGlass: false);
            if (d.Decision == ConsentDecision.Deny && d.Decisive.Authority != "default")
            {
                yield return new ConsentObligation(ObligationKind.Redact, path, $"element labelled {string.Join(",", labels.Select(l => l.Code))}: {d.Decisive.Explanation}");
            }
        }
    }

    private static IEnumerable<(string Path, List<Coding> Labels)> InlineLabels(Base node, string prefix)
    {
        foreach (var child in node.EnumerateElements())
        {
            if (child.Key is "meta" or "contained" or "text")
            {
                continue;
            }

            var items = child.Value is System.Collections.IEnumerable list and not string ? list.Cast<object>().ToList() : [child.Value];
            var isList = child.Value is System.Collections.IEnumerable and not string;
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i] is not Base b || b is PrimitiveType)
                {
                    continue;
                }

                var path = (prefix.Length == 0 ? "" : prefix + ".") + child.Key + (isList ? $"[{i}]" : "");
                if (b is Element e && e.Extension.Where(x => x.Url == SecurityLabelSystems.InlineLabelExtension).Select(x => x.Value).OfType<Coding>().ToList() is { Count: > 0 } labels)
                {
                    yield return (path, labels);
                    continue;
                }

                foreach (var inner in InlineLabels(b, path))
                {
                    yield return inner;
                }
            }
        }
    }

    private List<DecisionBasis> Combine(List<DecisionBasis> votes)
    {
        var denies = votes.Where(v => v.Decision == ConsentDecision.Deny).ToList();
        var permits = votes.Where(v => v.Decision == ConsentDecision.Permit).ToList();
        switch (_options.Combining)
        {
            case ConsentCombining.PermitOverrides:
                return permits.Count > 0 ? permits : denies;
            case ConsentCombining.MostRecent:
                var latest = votes.Max(v => v.Recorded ?? DateTimeOffset.MinValue);
                var top = votes.Where(v => (v.Recorded ?? DateTimeOffset.MinValue) == latest).ToList();
                var topDenies = top.Where(v => v.Decision == ConsentDecision.Deny).ToList();
                return topDenies.Count > 0 ? topDenies : top;
            default:
                return denies.Count > 0 ? denies : permits;
        }
    }

    private static (string Attribute, string Why)? Inapplicable(FhirConsent consent, ResourceGraph.Node? patient, ResourceGraph graph)
    {
        if (consent.Status != FhirConsent.ConsentState.Active)
        {
            return ("status", $"status is {consent.Status?.ToString().ToLowerInvariant() ?? "missing"}");
        }

        var scope = consent.Scope?.Coding.Where(c => c.System == ConsentScopeSystem).Select(c => c.Code).ToList() ?? [];
        if (scope.Count > 0 && !scope.Contains("patient-privacy"))
        {
            return ("scope", $"scope is {string.Join(",", scope)}, not patient-privacy");
        }

        var categories = consent.Category.SelectMany(c => c.Coding).Where(c => c.System == ConsentScopeSystem).Select(c => c.Code).ToList();
        if (categories.Count > 0 && !categories.Contains("patient-privacy"))
        {
            return ("category", $"category is {string.Join(",", categories)}, not patient-privacy");
        }

        if (patient is not null && consent.Patient is { } pr && !SamePatient(pr, patient, graph))
        {
            return ("patient", "it is about another patient");
        }

        return null;
    }

    private static bool SamePatient(ResourceReference reference, ResourceGraph.Node patient, ResourceGraph graph)
    {
        if (graph.Resolve(reference) is { } node)
        {
            return node == patient;
        }

        var p = (Patient)patient.Resource;
        if (reference.Reference is { } text && ResourceReferences.TryParseTypeAndId(text, out var type, out var id) && type == "Patient")
        {
            // A source's own id for the patient, kept by the aggregator as a source identity.
            return p.Identifier.Any(i => i.System?.StartsWith(EhrIds.SourceSystemPrefix, StringComparison.Ordinal) == true && i.Value == $"Patient/{id}");
        }

        return reference.Identifier is { Value: not null } ident && p.Identifier.Any(i => i.Value == ident.Value && (i.System ?? "") == (ident.System ?? ""));
    }

    private static ConsentDecision RootType(FhirConsent consent)
    {
        if (TypeOf(consent.Provision!) is { } t)
        {
            return t;
        }

        var policy = consent.PolicyRule?.Coding.Select(c => c.Code).ToList() ?? [];
        return policy.Contains("OPTIN") || policy.Contains("OPTINR") ? ConsentDecision.Permit
            : policy.Contains("OPTOUT") || policy.Contains("OPTOUTE") ? ConsentDecision.Deny
            : ConsentDecision.NotApplicable;
    }

    private static ConsentDecision? TypeOf(FhirConsent.provisionComponent p) => p.Type switch
    {
        FhirConsent.ConsentProvisionType.Permit => ConsentDecision.Permit,
        FhirConsent.ConsentProvisionType.Deny => ConsentDecision.Deny,
        _ => null,
    };

    private static ConsentDecision Opposite(ConsentDecision d) => d switch
    {
        ConsentDecision.Permit => ConsentDecision.Deny,
        ConsentDecision.Deny => ConsentDecision.Permit,
        _ => ConsentDecision.NotApplicable,
    };

    private static bool HasDeny(FhirConsent.provisionComponent p) =>
        p.Type == FhirConsent.ConsentProvisionType.Deny || p.Provision.Any(HasDeny);

    private static string Explain(string authority, string path, ConsentDecision decision, string attributes) =>
        $"{authority} {path} {(decision == ConsentDecision.Deny ? "denies" : "permits")} ({attributes} matched)";

    internal static string AuthorityOf(FhirConsent consent) =>
        "Consent/" + (consent.Id ?? EhrIds.From("consent", FhirJson.Serialize(consent)));
}
