using System.Collections.Concurrent;
using System.Reflection;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>Reads and extends a resource's business identifiers, whatever its type.</summary>
public static class ResourceIdentifiers
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> Properties = new();

    /// <summary>The resource's live identifier list (changes to it change the resource).</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The list, or <see langword="null"/> when the type has no repeating <c>identifier</c>.</returns>
    public static List<Identifier>? ListOf(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var property = Properties.GetOrAdd(resource.GetType(), static t =>
        {
            var p = t.GetProperty("Identifier", BindingFlags.Public | BindingFlags.Instance);
            return p?.PropertyType == typeof(List<Identifier>) ? p : null;
        });

        // Firely creates the list on first read, so this never returns null for types that have one.
        return property?.GetValue(resource) as List<Identifier>;
    }

    /// <summary>The resource's identifiers, whether its type has a list of them or a single one.</summary>
    /// <param name="resource">The resource; <see langword="null"/> has none.</param>
    /// <returns>The identifiers, in element order.</returns>
    public static IEnumerable<Identifier> Of(Resource? resource) =>
        resource is null ? [] : ListOf(resource) ?? (resource.TryGetValue("identifier", out var single) && single is Identifier one ? [one] : []);

    /// <summary>The identifiers with both a system and a value, as <c>system|value</c>.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The keys, in element order.</returns>
    public static IEnumerable<string> Keys(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Of(resource).Where(i => !string.IsNullOrEmpty(i.System) && !string.IsNullOrEmpty(i.Value)).Select(i => $"{i.System}|{i.Value}");
    }
}
