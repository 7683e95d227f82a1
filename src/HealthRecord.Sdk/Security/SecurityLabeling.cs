using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Security;

/// <summary>
/// Labels the records of an EHR: runs every <see cref="ISecurityLabeler"/> on each record's clinical codes,
/// propagates sensitivity labels from a record to the records that refer to it, derives confidentiality, and
/// writes the result on <c>meta.security</c>: each label the SDK gives carries DS4P basis extensions naming the
/// rule set, its version and the rule (and the policy, e.g. 42CFRPart2); the record keeps exactly one
/// confidentiality code, the highest. Labels the SDK did not give are kept as they are. A record labelled under
/// other rules (see <see cref="IsCurrent"/>) has its SDK labels recomputed from scratch.
/// </summary>
/// <remarks>Thread-safe; <see cref="Label(Bundle)"/> never changes its input.</remarks>
public sealed class SecurityLabeling
{
    /// <summary>The <c>meta.tag</c> system that records which rules labelled a record (code = <see cref="RulesFingerprint"/>).</summary>
    public const string LabelingTagSystem = "urn:healthrecord-sdk:security-labeling";

    private const string PropagationRuleSet = "healthrecord-sdk";
    private readonly IReadOnlyList<ISecurityLabeler> _labelers;
    private readonly SecurityLabelingOptions _options;

    /// <summary>Creates the engine.</summary>
    /// <param name="labelers">The labelers.</param>
    /// <param name="options">Propagation options.</param>
    public SecurityLabeling(IEnumerable<ISecurityLabeler> labelers, IOptions<SecurityLabelingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(labelers);
        ArgumentNullException.ThrowIfNull(options);
        _labelers = [.. labelers];
        _options = options.Value;
        var text = string.Join('\n', _labelers.SelectMany(l => l.RuleSets).Select(r => $"{r.Id}|{r.Version}").Order(StringComparer.Ordinal));
        RulesFingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text + "\npropagate=" + _options.PropagateThroughReferences)))[..16];
    }

    /// <summary>A fingerprint of the current rule sets and versions; it changes whenever the rules do.</summary>
    public string RulesFingerprint { get; }

    /// <summary>Whether the record was labelled under the current rules.</summary>
    /// <param name="resource">The record.</param>
    /// <returns><see langword="true"/> when its labeling tag names <see cref="RulesFingerprint"/>.</returns>
    public bool IsCurrent(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.Meta?.Tag.Any(t => t.System == LabelingTagSystem && t.Code == RulesFingerprint) == true;
    }

    /// <summary>Returns a labelled copy of the bundle (every entry resource labelled; the input is not changed).</summary>
    /// <param name="bundle">An EHR bundle.</param>
    /// <returns>The labelled copy.</returns>
    public Bundle Label(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var copy = (Bundle)bundle.DeepCopy();
        LabelInPlace(ResourceGraph.FromBundle(copy));
        return copy;
    }

    /// <summary>Labels one resource in place (no propagation: it stands alone).</summary>
    /// <param name="resource">The resource.</param>
    public void LabelInPlace(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        LabelInPlace(new ResourceGraph([(resource, null)]));
    }

    internal void LabelInPlace(ResourceGraph graph)
    {
        var n = graph.Nodes.Count;
        var own = new List<Coding>[n];
        var assigned = new List<SecurityLabelAssignment>[n];
        var codes = new IReadOnlyList<CodeKey>[n];
        for (var i = 0; i < n; i++)
        {
            var node = graph.Nodes[i];
            own[i] = [.. (node.Resource.Meta?.Security ?? []).Where(c => !IsSdkLabel(c))];
            codes[i] = ClinicalCodes.Of(node.Resource, r => graph.ResolveResource(r, node.Resource));
            var ctx = new SecurityLabelingContext(codes[i], own[i], r => graph.ResolveResource(r, node.Resource), 1);
            assigned[i] = [.. _labelers.SelectMany(l => l.Assign(node.Resource, ctx))];
        }

        if (_options.PropagateThroughReferences)
        {
            Propagate(graph, own, assigned);
        }

        for (var i = 0; i < n; i++)
        {
            var node = graph.Nodes[i];
            var known = own[i].Concat(assigned[i].Select(a => a.Label)).ToList();
            var ctx = new SecurityLabelingContext(codes[i], known, r => graph.ResolveResource(r, node.Resource), 2);
            assigned[i].AddRange(_labelers.SelectMany(l => l.Assign(node.Resource, ctx)));
            Write(node.Resource, own[i], assigned[i]);
        }
    }

    private void Propagate(ResourceGraph graph, List<Coding>[] own, List<SecurityLabelAssignment>[] assigned)
    {
        // Sensitivity labels (not confidentiality) flow from a target to the records referring to it, until nothing changes.
        var labels = new HashSet<string>[graph.Nodes.Count];
        var codings = new Dictionary<string, Coding>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in own[i].Concat(assigned[i].Select(a => a.Label)).Where(c => !SecurityLabelSystems.IsConfidentiality(c) && IsSensitivity(c)))
            {
                var k = LabelKey(c);
                labels[i].Add(k);
                codings.TryAdd(k, c);
            }
        }

        var queue = new Queue<ResourceGraph.Node>(graph.Nodes.Where(nd => labels[nd.Index].Count > 0 && !_options.PropagationExcludedTargetTypes.Contains(nd.Resource.TypeName)));
        while (queue.Count > 0)
        {
            var target = queue.Dequeue();
            foreach (var referrer in target.In)
            {
                var before = labels[referrer.Index].Count;
                foreach (var k in labels[target.Index])
                {
                    if (labels[referrer.Index].Add(k))
                    {
                        assigned[referrer.Index].Add(new SecurityLabelAssignment(codings[k], PropagationRuleSet, RulesFingerprint, "reference-propagation"));
                    }
                }

                if (labels[referrer.Index].Count != before && !_options.PropagationExcludedTargetTypes.Contains(referrer.Resource.TypeName))
                {
                    queue.Enqueue(referrer);
                }
            }
        }
    }

    private void Write(Resource resource, List<Coding> own, List<SecurityLabelAssignment> assigned)
    {
        var result = new List<Coding>();
        var ownConfidentiality = own.Where(SecurityLabelSystems.IsConfidentiality).ToList();
        foreach (var c in own.Where(c => !SecurityLabelSystems.IsConfidentiality(c)))
        {
            result.Add(c);
        }

        // Group the SDK's assignments by label, so that one coding carries all its bases.
        foreach (var group in assigned.Where(a => !SecurityLabelSystems.IsConfidentiality(a.Label)).GroupBy(a => LabelKey(a.Label), StringComparer.Ordinal))
        {
            if (result.Any(c => LabelKey(c) == group.Key))
            {
                continue; // already carried by the record itself: no duplicate
            }

            result.Add(WithBasis(group.First().Label, group));
        }

        var bestOwn = ownConfidentiality.MaxBy(c => SecurityLabelSystems.ConfidentialityRank(c.Code));
        var bestAssigned = assigned.Where(a => SecurityLabelSystems.IsConfidentiality(a.Label)).MaxBy(a => SecurityLabelSystems.ConfidentialityRank(a.Label.Code));
        var ownRank = SecurityLabelSystems.ConfidentialityRank(bestOwn?.Code);
        var assignedRank = SecurityLabelSystems.ConfidentialityRank(bestAssigned?.Label.Code);
        if (bestOwn is not null && ownRank >= assignedRank)
        {
            result.Add(bestOwn);
        }
        else if (bestAssigned is not null)
        {
            var code = bestAssigned.Label.Code ?? "N";
            result.Add(WithBasis(
                SecurityLabelSystems.ConfidentialityCoding(code),
                assigned.Where(a => SecurityLabelSystems.IsConfidentiality(a.Label) && a.Label.Code == code)));
        }

        resource.Meta ??= new Meta();
        resource.Meta.Security = result;
        resource.Meta.Tag.RemoveAll(t => t.System == LabelingTagSystem);
        resource.Meta.Tag.Add(new Coding(LabelingTagSystem, RulesFingerprint));
    }

    private static Coding WithBasis(Coding label, IEnumerable<SecurityLabelAssignment> assignments)
    {
        var coding = new Coding(SecurityLabelSystems.NormalizeSystem(label.System), label.Code, label.Display);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in assignments)
        {
            var basis = new Coding(SecurityLabelSystems.RuleBasisSystemPrefix + a.RuleSetId, a.RuleId) { Version = a.RuleSetVersion };
            if (seen.Add($"{basis.System}|{basis.Code}"))
            {
                coding.Extension.Add(new Extension(SecurityLabelSystems.BasisExtension, basis));
            }

            if (a.Policy is { } policy && seen.Add($"{policy.System}|{policy.Code}"))
            {
                coding.Extension.Add(new Extension(SecurityLabelSystems.BasisExtension, new Coding(policy.System, policy.Code, policy.Display)));
            }
        }

        return coding;
    }

    /// <summary>Whether a label was given by the SDK (it carries an SDK rule basis).</summary>
    /// <param name="label">The label.</param>
    /// <returns><see langword="true"/> for SDK labels.</returns>
    public static bool IsSdkLabel(Coding label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return label.Extension.Any(e => e.Url == SecurityLabelSystems.BasisExtension && e.Value is Coding c
            && c.System?.StartsWith(SecurityLabelSystems.RuleBasisSystemPrefix, StringComparison.Ordinal) == true);
    }

    private static bool IsSensitivity(Coding c) => SecurityLabelSystems.NormalizeSystem(c.System) == SecurityLabelSystems.ActCode;

    private static string LabelKey(Coding c) => SecurityLabelSystems.NormalizeSystem(c.System) + "|" + c.Code;
}
