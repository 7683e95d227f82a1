using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Consent;

/// <summary>What provisions are matched against for one record.</summary>
internal sealed class RecordFacts
{
    private static readonly HashSet<string> AuthorElements = new(StringComparer.Ordinal)
    {
        "recorder", "asserter", "requester", "performer", "author", "actor", "individual", "who", "onBehalfOf", "enterer", "attester", "party",
    };

    public RecordFacts(string key, Resource resource, ResourceGraph.Node? node, ResourceGraph graph, IReadOnlyList<Coding>? labelsOverride = null)
    {
        Key = key;
        Resource = resource;
        Node = node;
        Labels = labelsOverride ?? [.. resource.Meta?.Security ?? []];
        LabelKeys = [.. Labels.Where(l => l.Code is not null).Select(l => new CodeKey(SecurityLabelSystems.NormalizeSystem(l.System), l.Code!))];
        var conf = Labels.Where(SecurityLabelSystems.IsConfidentiality).Select(l => SecurityLabelSystems.ConfidentialityRank(l.Code)).DefaultIfEmpty(-1).Max();
        ConfidentialityRank = conf < 0 ? SecurityLabelSystems.ConfidentialityRank("N") : conf;
        Codes = ClinicalCodes.Of(resource, r => graph.ResolveResource(r, resource));
        CodeSet = [.. Codes];
        ClinicalDate = ClinicalDates.Of(resource);
        if (node is not null && ReferenceEquals(node.Resource, resource))
        {
            foreach (var edge in node.Out)
            {
                if (AuthorElements.Contains(edge.Element) && edge.Target is { } author)
                {
                    Authors.Add(author);
                }
            }
        }
        else
        {
            foreach (var (element, reference) in ResourceReferences.Enumerate(resource))
            {
                if (AuthorElements.Contains(element) && graph.Resolve(reference) is { } author)
                {
                    Authors.Add(author);
                }
            }
        }

        if (node is not null)
        {
            foreach (var referrer in node.In.Where(n => n.Resource is Provenance))
            {
                var prov = (Provenance)referrer.Resource;
                foreach (var agent in prov.Agent)
                {
                    if (agent.Who is not null && graph.Resolve(agent.Who) is { } who)
                    {
                        Authors.Add(who);
                    }

                    if (agent.OnBehalfOf is not null && graph.Resolve(agent.OnBehalfOf) is { } org)
                    {
                        Authors.Add(org);
                    }
                }
            }
        }
    }

    public string Key { get; }

    public Resource Resource { get; }

    public ResourceGraph.Node? Node { get; }

    public IReadOnlyList<Coding> Labels { get; }

    public IReadOnlyList<CodeKey> LabelKeys { get; }

    public int ConfidentialityRank { get; }

    public IReadOnlyList<CodeKey> Codes { get; }

    public HashSet<CodeKey> CodeSet { get; }

    public DateTimeOffset? ClinicalDate { get; }

    public HashSet<ResourceGraph.Node> Authors { get; } = [];
}
