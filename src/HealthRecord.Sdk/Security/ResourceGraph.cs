using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Security;

/// <summary>
/// The references between the resources of one set (an EHR bundle): each resource's outgoing references with
/// their resolved targets, and the incoming ones. Resolves <c>urn:uuid:</c> full URLs, <c>Type/id</c> (relative
/// or absolute), identifier references and, relative to a container, <c>#id</c> contained references.
/// </summary>
internal sealed class ResourceGraph
{
    private readonly Dictionary<string, Node> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Type, string System, string Value), Node> _byIdentifier = [];
    private List<string>? _types;

    public ResourceGraph(IEnumerable<(Resource Resource, string? FullUrl)> entries)
    {
        foreach (var (resource, fullUrl) in entries)
        {
            var key = resource.Id is null ? fullUrl ?? $"{resource.TypeName}/#{Nodes.Count}" : $"{resource.TypeName}/{resource.Id}";
            if (_byKey.ContainsKey(key))
            {
                continue;
            }

            var node = new Node(key, fullUrl, resource, Nodes.Count);
            Nodes.Add(node);
            _byKey[key] = node;
            if (fullUrl is not null)
            {
                _byKey.TryAdd(fullUrl, node);
            }

            if (resource.TryGetValue("identifier", out var ids))
            {
                foreach (var id in ids is System.Collections.IEnumerable list ? list.OfType<Identifier>() : ids is Identifier one ? [one] : [])
                {
                    if (id.Value is not null)
                    {
                        _byIdentifier.TryAdd((resource.TypeName, id.System ?? "", id.Value), node);
                    }
                }
            }
        }

        foreach (var node in Nodes)
        {
            foreach (var (element, reference) in ResourceReferences.Enumerate(node.Resource))
            {
                var target = Resolve(reference);
                node.Out.Add(new Edge(element, reference, target));
                if (target is not null && target != node)
                {
                    target.In.Add(node);
                }
            }
        }
    }

    public List<Node> Nodes { get; } = [];

    public static ResourceGraph FromBundle(Bundle bundle) =>
        new(bundle.Entry.Where(e => e.Resource is not null).Select(e => (e.Resource!, (string?)e.FullUrl)));

    public Node? Find(string key) => _byKey.GetValueOrDefault(key);

    public Node? Resolve(ResourceReference reference)
    {
        var text = reference.Reference;
        if (!string.IsNullOrEmpty(text))
        {
            if (text.StartsWith('#'))
            {
                return null;
            }

            if (_byKey.TryGetValue(text, out var node))
            {
                return node;
            }

            if (ResourceReferences.TryParseTypeAndId(text, out var type, out var id) && _byKey.TryGetValue($"{type}/{id}", out node))
            {
                return node;
            }

            return null;
        }

        if (reference.Identifier is { Value: not null } identifier)
        {
            foreach (var type in reference.Type is null ? Types() : [reference.Type])
            {
                if (_byIdentifier.TryGetValue((type, identifier.System ?? "", identifier.Value), out var node))
                {
                    return node;
                }
            }
        }

        return null;
    }

    /// <summary>Resolves a reference, including <c>#id</c> references into the container's contained resources.</summary>
    public Resource? ResolveResource(ResourceReference reference, Resource? container)
    {
        if (reference.Reference is { Length: > 1 } text && text[0] == '#' && container is DomainResource dr)
        {
            return dr.Contained.FirstOrDefault(c => c.Id == text[1..]);
        }

        return Resolve(reference)?.Resource;
    }

    private IEnumerable<string> Types() => _types ??= [.. _byIdentifier.Keys.Select(k => k.Type).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    internal sealed class Node(string key, string? fullUrl, Resource resource, int index)
    {
        public string Key { get; } = key;

        public string? FullUrl { get; } = fullUrl;

        public Resource Resource { get; } = resource;

        public int Index { get; } = index;

        public List<Edge> Out { get; } = [];

        public List<Node> In { get; } = [];

        public override string ToString() => Key;
    }

    internal sealed record Edge(string Element, ResourceReference Reference, Node? Target);
}
