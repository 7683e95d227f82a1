using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>The FHIR R4 resources one message became, and the report of how.</summary>
/// <remarks>
/// Resources reference each other as <c>Type/id</c>; ids are deterministic (the same message always gives the same ids).
/// </remarks>
public sealed class Hl7V2ConversionResult
{
    internal Hl7V2ConversionResult(IReadOnlyList<Resource> resources, Hl7V2ConversionReport report)
    {
        Resources = resources;
        Report = report;
    }

    /// <summary>The resources, in the order of the segments they came from.</summary>
    public IReadOnlyList<Resource> Resources { get; }

    /// <summary>What was converted, merged, skipped, and why.</summary>
    public Hl7V2ConversionReport Report { get; }

    /// <summary>The resources as a FHIR <c>collection</c> Bundle: entries get <c>urn:uuid:</c> full URLs and references between them are rewritten to match.</summary>
    /// <param name="results">The conversion results (e.g. one per message of a file).</param>
    /// <returns>A new bundle; the results are not changed. A resource that several messages produced (same type and id) appears once.</returns>
    public static Bundle ToBundle(IEnumerable<Hl7V2ConversionResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var resources = new List<Resource>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in results.SelectMany(r => r.Resources))
        {
            if (seen.Add(resource.TypeName + "/" + resource.Id))
            {
                resources.Add((Resource)resource.DeepCopy());
            }
        }

        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (var resource in resources)
        {
            foreach (var (_, reference) in ResourceReferences.Enumerate(resource))
            {
                if (reference.Reference is { } r && ResourceReferences.TryParseTypeAndId(r, out var type, out var id) && seen.Contains(type + "/" + id))
                {
                    reference.Reference = "urn:uuid:" + id;
                }
            }

            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + resource.Id, Resource = resource });
        }

        return bundle;
    }

    /// <summary>This result's resources as a <c>collection</c> Bundle (see <see cref="ToBundle(IEnumerable{Hl7V2ConversionResult})"/>).</summary>
    /// <returns>A new bundle.</returns>
    public Bundle ToBundle() => ToBundle([this]);
}
