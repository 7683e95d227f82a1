using System.Collections;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Export.Ips;

/// <summary>
/// Makes a resource's references resolve inside the document: a reference to a resource the document holds is
/// rewritten to its fullUrl; a reference to anything else is removed (with its repeating backbone element when the
/// reference is that element's only point, e.g. <c>Immunization.performer</c>). Contained (<c>#id</c>) and
/// identifier-only references are left as they are.
/// </summary>
internal static class ReferenceCleaner
{
    public static void RemoveUnresolved(Resource resource, HashSet<string> urls, ReleasedEhr ehr)
    {
        var removals = new List<(Base Parent, string Name, object Item)>();
        Collect(resource, null, null, null, urls, ehr, removals);
        foreach (var (parent, name, item) in removals)
        {
            if (!parent.TryGetValue(name, out var value))
            {
                continue;
            }

            if (value is IList list)
            {
                list.Remove(item);
            }
            else
            {
                parent.SetValue(name, null);
            }
        }
    }

    private static void Collect(Base node, Base? owner, string? ownerName, object? ownerItem, HashSet<string> urls, ReleasedEhr ehr, List<(Base, string, object)> removals)
    {
        foreach (var child in node.EnumerateElements().ToList())
        {
            if (child.Key is "contained" or "text" or "meta")
            {
                continue;
            }

            var isList = child.Value is IEnumerable and not string;
            var items = isList ? ((IEnumerable)child.Value).Cast<object>().ToList() : [child.Value];
            foreach (var item in items)
            {
                if (item is ResourceReference r)
                {
                    if (r.Reference is not { Length: > 0 } text || text.StartsWith('#') || urls.Contains(text))
                    {
                        continue;
                    }

                    if (ehr.Resolve(text) is { } target && ehr.FullUrlOf.TryGetValue(target, out var url) && urls.Contains(url))
                    {
                        r.Reference = url;
                        continue;
                    }

                    removals.Add(isList || owner is null || ownerName is null || ownerItem is null ? (node, child.Key, item) : (owner, ownerName, ownerItem));
                    continue;
                }

                if (item is Base b and not PrimitiveType)
                {
                    if (isList && b is BackboneElement)
                    {
                        Collect(b, node, child.Key, item, urls, ehr, removals);
                    }
                    else
                    {
                        Collect(b, null, null, null, urls, ehr, removals);
                    }
                }
            }
        }
    }
}
