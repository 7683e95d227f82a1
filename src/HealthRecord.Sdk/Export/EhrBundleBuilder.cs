using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Export;

/// <summary>
/// Builds the FHIR R4 <c>collection</c> Bundle of an EHR: the golden Patient first, then the records
/// ordered by type and id, then their Provenance. Every <c>fullUrl</c> is <c>urn:uuid:{id}</c> and every
/// reference inside points at one of them, so the bundle is self-contained.
/// </summary>
public static class EhrBundleBuilder
{
    /// <summary>Builds the bundle. The resources are shared with the aggregate, not copied.</summary>
    /// <param name="aggregate">The EHR.</param>
    /// <returns>The bundle.</returns>
    public static Bundle Build(EhrAggregate aggregate)
    {
        var bundle = Envelope(aggregate);
        foreach (var resource in Resources(aggregate))
        {
            bundle.Entry.Add(Entry(resource));
        }

        return bundle;
    }

    /// <summary>The bundle without its entries (what the streaming exporters write around them).</summary>
    internal static Bundle Envelope(EhrAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        return new Bundle
        {
            Id = aggregate.PersonId,
            Type = Bundle.BundleType.Collection,
            Timestamp = aggregate.AsOf,
            Identifier = new Identifier(EhrIds.PersonSystem, aggregate.PersonId),
        };
    }

    /// <summary>The resources in bundle order: the golden Patient, the records, their Provenance.</summary>
    internal static IEnumerable<Resource> Resources(EhrAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        return Enumerate(aggregate);

        static IEnumerable<Resource> Enumerate(EhrAggregate aggregate)
        {
            yield return aggregate.Patient;
            foreach (var record in aggregate.Records)
            {
                yield return record.Resource;
            }

            foreach (var provenance in aggregate.Provenance)
            {
                yield return provenance;
            }
        }
    }

    /// <summary>Reads the resources of an EHR bundle written by <see cref="Build"/> (or any collection bundle).</summary>
    /// <param name="bundle">The bundle.</param>
    /// <returns>The resources by <c>Type/id</c> and by <c>urn:uuid:id</c>.</returns>
    public static IReadOnlyDictionary<string, Resource> Index(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var index = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var entry in bundle.Entry)
        {
            if (entry.Resource is not { } r)
            {
                continue;
            }

            if (r.Id is not null)
            {
                index.TryAdd($"{r.TypeName}/{r.Id}", r);
            }

            if (entry.FullUrl is not null)
            {
                index.TryAdd(entry.FullUrl, r);
            }
        }

        return index;
    }

    private static Bundle.EntryComponent Entry(Resource resource) => new()
    {
        FullUrl = FullUrl(resource),
        Resource = resource,
    };

    /// <summary>The entry's <c>fullUrl</c>: <c>urn:uuid:{id}</c>.</summary>
    internal static string FullUrl(Resource resource) =>
        EhrIds.FullUrl(resource.Id ?? throw new ArgumentException("EHR resources always have ids.", nameof(resource)));
}
