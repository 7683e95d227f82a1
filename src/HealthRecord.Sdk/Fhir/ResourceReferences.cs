using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>Finds every <see cref="ResourceReference"/> inside a resource, contained resources included.</summary>
public static class ResourceReferences
{
    /// <summary>Enumerates the references in document order, each with the name of the element that holds it.</summary>
    /// <param name="root">The resource or element to search.</param>
    /// <returns>Pairs of (element name, reference).</returns>
    public static IEnumerable<(string Element, ResourceReference Reference)> Enumerate(Base root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var found = new List<(string, ResourceReference)>();
        Collect("", root, found);
        return found;
    }

    // Depth-first in document order. Primitives hold no references (their extensions are not followed), and
    // neither do the data types below unless an extension is present, so those subtrees are not walked:
    // Firely allocates an enumerator and a dictionary for every node it enumerates.
    private static void Collect(string name, Base node, List<(string, ResourceReference)> found)
    {
        if (node is ResourceReference reference)
        {
            found.Add((name, reference));
        }

        if (node is PrimitiveType || HoldsNoReference(node))
        {
            return;
        }

        foreach (var child in node.EnumerateElements())
        {
            switch (child.Value)
            {
                case Base b:
                    Collect(child.Key, b, found);
                    break;
                case System.Collections.IEnumerable list and not string:
                    foreach (var item in list)
                    {
                        if (item is Base ib)
                        {
                            Collect(child.Key, ib, found);
                        }
                    }

                    break;
            }
        }
    }

    private static bool HoldsNoReference(Base node) => node switch
    {
        Coding or Quantity or Period or Narrative => !HasExtension(node),
        CodeableConcept cc => !HasExtension(cc) && cc.Coding.TrueForAll(c => !HasExtension(c)),
        Meta meta => !HasExtension(meta) && meta.Security.TrueForAll(c => !HasExtension(c)) && meta.Tag.TrueForAll(c => !HasExtension(c)),
        _ => false,
    };

    // TryGetValue does not create the extension list, unlike the Extension property.
    private static bool HasExtension(Base node) => node.TryGetValue("extension", out _) || node.TryGetValue("modifierExtension", out _);

    /// <summary>Splits a reference string into type and id when it has the <c>[base/]Type/id[/_history/v]</c> form.</summary>
    /// <param name="reference">The reference text.</param>
    /// <param name="type">The resource type.</param>
    /// <param name="id">The id.</param>
    /// <returns><see langword="true"/> when the form matched.</returns>
    public static bool TryParseTypeAndId(string reference, out string type, out string id)
    {
        type = id = "";
        if (string.IsNullOrEmpty(reference) || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) || reference.Contains('?', StringComparison.Ordinal))
        {
            return false;
        }

        var parts = reference.Split('/');
        var n = parts.Length;
        if (n >= 4 && parts[n - 2] == "_history")
        {
            n -= 2;
        }

        if (n < 2)
        {
            return false;
        }

        var t = parts[n - 2];
        var i = parts[n - 1];
        if (t.Length == 0 || !char.IsUpper(t[0]) || i.Length == 0 || !Hl7.Fhir.Model.ModelInfo.IsKnownResource(t))
        {
            return false;
        }

        type = t;
        id = i;
        return true;
    }
}
