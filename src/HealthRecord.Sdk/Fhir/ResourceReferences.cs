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
        var stack = new Stack<(string, Base)>();
        stack.Push(("", root));
        var buffer = new List<(string, Base)>();
        while (stack.Count > 0)
        {
            var (name, node) = stack.Pop();
            if (node is ResourceReference reference)
            {
                yield return (name, reference);
            }

            if (node is PrimitiveType)
            {
                continue;
            }

            buffer.Clear();
            foreach (var child in node.EnumerateElements())
            {
                switch (child.Value)
                {
                    case Base b:
                        buffer.Add((child.Key, b));
                        break;
                    case System.Collections.IEnumerable list and not string:
                        foreach (var item in list)
                        {
                            if (item is Base ib)
                            {
                                buffer.Add((child.Key, ib));
                            }
                        }

                        break;
                }
            }

            // Push in reverse so the walk visits elements in document order.
            for (var i = buffer.Count - 1; i >= 0; i--)
            {
                stack.Push(buffer[i]);
            }
        }
    }

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
