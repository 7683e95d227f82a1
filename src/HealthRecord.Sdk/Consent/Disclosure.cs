using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Consent;

/// <summary>
/// Removes the withheld records from a labelled EHR copy and every trace of them from the permitted ones, and
/// applies obligations. Works in place on the copy.
/// </summary>
internal sealed class Disclosure(ResourceGraph graph, IReadOnlyDictionary<string, RecordDecision> decisions)
{
    private readonly HashSet<ResourceGraph.Node> _withheld = [.. graph.Nodes.Where(n => decisions.TryGetValue(n.Key, out var d) && d.Decision == ConsentDecision.Deny)];
    private List<string>? _terms;
    private HashSet<string>? _fingerprints;

    /// <summary>The permitted resources, cleaned, in input order.</summary>
    public List<(string? FullUrl, Resource Resource)> Build(IEnumerable<(string? FullUrl, Resource Resource)> entries)
    {
        var kept = new List<(string?, Resource)>();
        var droppedProvenance = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (fullUrl, resource) in entries)
        {
            var key = $"{resource.TypeName}/{resource.Id}";
            if (!seen.Add(key) || !decisions.TryGetValue(key, out var decision) || decision.Decision != ConsentDecision.Permit)
            {
                continue; // a second resource with the same Type/id was never evaluated on its own: it is not disclosed
            }

            var touched = Clean(resource, key);
            if (resource is Provenance { Target.Count: 0 })
            {
                droppedProvenance.Add(key);
                continue; // it was only about withheld records
            }

            if (touched || NarrativeRestates(resource))
            {
                if (resource is DomainResource dr)
                {
                    dr.Text = null;
                }
            }

            ApplyObligations(resource, decision.Obligations);
            kept.Add((fullUrl, resource));
        }

        return kept;
    }

    private bool Clean(Resource resource, string key)
    {
        var touched = false;
        var removedContained = new HashSet<string>(StringComparer.Ordinal);
        if (resource is DomainResource dr && dr.Contained.Count > 0)
        {
            Fingerprints();
            for (var i = dr.Contained.Count - 1; i >= 0; i--)
            {
                var c = dr.Contained[i];
                var denied = decisions.TryGetValue($"{key}#{c.Id}", out var cd) && cd.Decision == ConsentDecision.Deny;
                if (denied || _fingerprints!.Contains(ContentFingerprint.Compute(c)))
                {
                    removedContained.Add("#" + c.Id);
                    dr.Contained.RemoveAt(i);
                    touched = true;
                }
            }
        }

        if (resource is Composition composition)
        {
            touched |= CleanSections(composition.Section);
        }

        // Remove every reference to a withheld record or a removed contained resource.
        var removals = new List<(Base Parent, string Name, object Item, Base? Owner, string? OwnerName, object? OwnerItem)>();
        Collect(resource, null, null, null, removedContained, removals);
        foreach (var (parent, name, item, owner, ownerName, ownerItem) in removals)
        {
            touched = true;
            if (owner is not null && ownerName is not null && ownerItem is not null)
            {
                Remove(owner, ownerName, ownerItem);
            }
            else
            {
                Remove(parent, name, item);
            }
        }

        // Reference displays that name a withheld record's content.
        foreach (var (_, reference) in ResourceReferences.Enumerate(resource))
        {
            if (reference.Display is { } display && Terms().Any(t => display.Contains(t, StringComparison.OrdinalIgnoreCase)))
            {
                reference.Display = null;
                touched = true;
            }
        }

        return touched;
    }

    private bool CleanSections(List<Composition.SectionComponent> sections)
    {
        var touched = false;
        for (var i = sections.Count - 1; i >= 0; i--)
        {
            var s = sections[i];
            var before = s.Entry.Count;
            s.Entry.RemoveAll(IsWithheld);
            var sub = CleanSections(s.Section);
            if (s.Entry.Count != before || sub)
            {
                touched = true;
                s.Text = null; // the section narrative may restate what was removed
                if (s.Entry.Count == 0 && s.Section.Count == 0)
                {
                    sections.RemoveAt(i);
                }
            }
        }

        return touched;
    }

    private void Collect(Base node, Base? owner, string? ownerName, object? ownerItem, HashSet<string> removedContained, List<(Base, string, object, Base?, string?, object?)> removals)
    {
        foreach (var child in node.EnumerateElements().ToList())
        {
            if (child.Key is "contained" or "text" or "meta")
            {
                continue;
            }

            var isList = child.Value is System.Collections.IEnumerable and not string;
            var items = isList ? ((System.Collections.IEnumerable)child.Value).Cast<object>().ToList() : [child.Value];
            foreach (var item in items)
            {
                if (item is ResourceReference r)
                {
                    if (IsWithheld(r) || (r.Reference is { } text && removedContained.Contains(text)))
                    {
                        // A singular reference inside a repeating backbone element (Encounter.diagnosis, Provenance.entity,
                        // Claim.diagnosis) takes its element with it; otherwise only the reference goes.
                        removals.Add(isList || owner is null ? (node, child.Key, item, null, null, null) : (node, child.Key, item, owner, ownerName, ownerItem));
                    }

                    continue;
                }

                if (item is Base b and not PrimitiveType)
                {
                    if (isList && b is BackboneElement)
                    {
                        Collect(b, node, child.Key, item, removedContained, removals);
                    }
                    else
                    {
                        Collect(b, null, null, null, removedContained, removals);
                    }
                }
            }
        }
    }

    private static void Remove(Base parent, string name, object item)
    {
        if (!parent.TryGetValue(name, out var value))
        {
            return;
        }

        if (value is System.Collections.IList list)
        {
            list.Remove(item);
        }
        else
        {
            parent.SetValue(name, null);
        }
    }

    private bool IsWithheld(ResourceReference r) => graph.Resolve(r) is { } n && _withheld.Contains(n);

    private bool NarrativeRestates(Resource resource) =>
        resource is DomainResource { Text.Div: { } div } && Terms().Any(t => div.Contains(t, StringComparison.OrdinalIgnoreCase));

    /// <summary>Words that would restate a withheld record: its code displays, code texts and codes (4 characters or more).</summary>
    private List<string> Terms()
    {
        if (_terms is not null)
        {
            return _terms;
        }

        var terms = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var n in _withheld)
        {
            foreach (var (element, value) in CodeableConcepts(n.Resource))
            {
                _ = element;
                if (value.Text is { Length: >= 4 } t)
                {
                    terms.Add(t);
                }

                foreach (var c in value.Coding)
                {
                    if (c.Display is { Length: >= 4 } d)
                    {
                        terms.Add(d);
                    }

                    if (c.Code is { Length: >= 4 } code && c.System?.Contains("terminology.hl7.org", StringComparison.Ordinal) != true)
                    {
                        terms.Add(code);
                    }
                }
            }
        }

        return _terms = [.. terms.Order(StringComparer.Ordinal)];
    }

    private static IEnumerable<(string Element, CodeableConcept Value)> CodeableConcepts(Resource resource)
    {
        foreach (var name in new[] { "code", "vaccineCode", "medication", "value", "reasonCode", "type" })
        {
            if (!resource.TryGetValue(name, out var v))
            {
                continue;
            }

            foreach (var cc in v is System.Collections.IEnumerable list and not string ? list.OfType<CodeableConcept>() : v is CodeableConcept one ? [one] : [])
            {
                yield return (name, cc);
            }
        }
    }

    private void Fingerprints() => _fingerprints ??= [.. _withheld.Select(n => ContentFingerprint.Compute(n.Resource))];

    /// <summary>Applies redaction and masking obligations (paths like <c>identifier[1]</c>, <c>contact.telecom</c>).</summary>
    internal static void ApplyObligations(Resource resource, IReadOnlyList<ConsentObligation> obligations)
    {
        // Deepest and highest index first, so that removing one element does not move another's index.
        foreach (var o in obligations.Where(o => o.Element != "*").OrderByDescending(o => o.Element, StringComparer.Ordinal))
        {
            var segments = o.Element.Split('.');
            Base? node = resource;
            for (var i = 0; i < segments.Length && node is not null; i++)
            {
                var (name, index) = Segment(segments[i]);
                var last = i == segments.Length - 1;
                if (!node.TryGetValue(name, out var value))
                {
                    break;
                }

                if (last && o.Kind == ObligationKind.Redact)
                {
                    if (value is System.Collections.IList list && index is int ix)
                    {
                        if (ix < list.Count)
                        {
                            list.RemoveAt(ix);
                        }
                    }
                    else
                    {
                        node.SetValue(name, null);
                    }

                    break;
                }

                var targets = value is System.Collections.IList l2
                    ? (index is int j ? (j < l2.Count ? [l2[j]!] : []) : l2.Cast<object>().ToList())
                    : [value];
                if (last)
                {
                    foreach (var t in targets.OfType<Base>())
                    {
                        Mask(t);
                    }

                    break;
                }

                node = targets.OfType<Base>().FirstOrDefault();
            }
        }
    }

    private static (string Name, int? Index) Segment(string s)
    {
        var b = s.IndexOf('[', StringComparison.Ordinal);
        return b > 0 && s.EndsWith(']') && int.TryParse(s.AsSpan(b + 1, s.Length - b - 2), out var i) ? (s[..b], i) : (s, null);
    }

    private static void Mask(Base node)
    {
        if (node is FhirString fs)
        {
            fs.Value = ConsentObligation.MaskText;
            return;
        }

        if (node is Markdown md)
        {
            md.Value = ConsentObligation.MaskText;
            return;
        }

        foreach (var child in node.EnumerateElements().ToList())
        {
            if (child.Key is "extension" or "system" or "use")
            {
                continue;
            }

            foreach (var item in child.Value is System.Collections.IEnumerable list and not string ? list.OfType<Base>() : child.Value is Base b ? [b] : [])
            {
                Mask(item);
            }
        }
    }
}
