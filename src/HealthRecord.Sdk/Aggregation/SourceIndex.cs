using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Resolves the references of one source's records to other records of the same source: bundle
/// <c>fullUrl</c>s (<c>urn:uuid:</c>, absolute URLs), relative <c>Type/id</c> (same document first),
/// and conditional references <c>Type?identifier=system|value</c> as transaction bundles write them.
/// </summary>
internal sealed class SourceIndex
{
    private readonly Dictionary<string, int> _byFullUrl = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _byTypeId = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<RecordNode> _nodes;
    private readonly List<int> _accepted = [];
    private Dictionary<string, List<int>>? _byIdentifier;

    public SourceIndex(IReadOnlyList<RecordNode> nodes, IEnumerable<int> members)
    {
        _nodes = nodes;
        foreach (var i in members)
        {
            var node = nodes[i];
            if (node.Rejection is not null || node.Record.Resource is null)
            {
                continue;
            }

            _accepted.Add(i);
            if (node.Record.FullUrl is { } fullUrl)
            {
                _byFullUrl.TryAdd(fullUrl, i);
            }

            Add(_byTypeId, node.Record.SourceReference, i);
        }
    }

    // Only transaction bundles' conditional references need identifiers: that index is built on first use.
    private Dictionary<string, List<int>> ByIdentifier()
    {
        if (_byIdentifier is null)
        {
            _byIdentifier = new(StringComparer.Ordinal);
            foreach (var i in _accepted)
            {
                foreach (var id in ResourceIdentifiers.Keys(_nodes[i].Record.Resource!))
                {
                    Add(_byIdentifier, _nodes[i].Record.ResourceType + "|" + id, i);
                }
            }
        }

        return _byIdentifier;
    }

    /// <summary>Finds the record a reference points at.</summary>
    /// <returns>The node index, or <see langword="null"/> when it points at nothing in the source.</returns>
    public int? Resolve(RecordNode from, string reference)
    {
        if (reference.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            return _byFullUrl.TryGetValue(reference, out var u) ? u : null;
        }

        var q = reference.IndexOf('?', StringComparison.Ordinal);
        if (q > 0)
        {
            return ResolveConditional(reference[..q], reference[(q + 1)..]);
        }

        if (_byFullUrl.TryGetValue(reference, out var f))
        {
            return f;
        }

        if (!ResourceReferences.TryParseTypeAndId(reference, out var type, out var id))
        {
            return null;
        }

        if (!_byTypeId.TryGetValue($"{type}/{id}", out var candidates))
        {
            return null;
        }

        // Ids are unique within a document; across the documents of a folder, prefer the referrer's own document.
        foreach (var c in candidates)
        {
            if (_nodes[c].Record.DocumentId == from.Record.DocumentId)
            {
                return c;
            }
        }

        return candidates[0];
    }

    private int? ResolveConditional(string type, string query)
    {
        foreach (var part in query.Split('&'))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0 || part[..eq] != "identifier")
            {
                continue;
            }

            var value = Uri.UnescapeDataString(part[(eq + 1)..]);
            if (ByIdentifier().TryGetValue(type + "|" + value, out var matches) && matches.Count >= 1)
            {
                return matches[0];
            }
        }

        return null;
    }

    private static void Add(Dictionary<string, List<int>> map, string key, int value)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        list.Add(value);
    }
}
