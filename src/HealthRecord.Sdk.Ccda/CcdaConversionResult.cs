using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>The outcome of converting one C-CDA document: FHIR R4 resources and a report.</summary>
/// <remarks>
/// Resources carry deterministic ids (derived from the document's ids, else from content), and reference each
/// other as <c>Type/id</c>. Converting the same document twice gives equal resources and an equal report.
/// </remarks>
public sealed class CcdaConversionResult
{
    internal CcdaConversionResult(string documentKey, IReadOnlyList<Resource> resources, IReadOnlyDictionary<Resource, string> locations, CcdaConversionReport report)
    {
        DocumentKey = documentKey;
        Resources = resources;
        Locations = locations;
        Report = report;
    }

    /// <summary>The document's identity used to derive ids (its <c>ClinicalDocument/id</c>, else a content hash).</summary>
    public string DocumentKey { get; }

    /// <summary>The resources, header first (Patient, practitioners, organizations, encounter, document), then entries in document order.</summary>
    public IReadOnlyList<Resource> Resources { get; }

    /// <summary>Where in the document each resource came from (an XPath).</summary>
    public IReadOnlyDictionary<Resource, string> Locations { get; }

    /// <summary>The conversion report.</summary>
    public CcdaConversionReport Report { get; }

    /// <summary>
    /// The resources as a FHIR R4 <c>collection</c> Bundle. Entries carry no <c>fullUrl</c>: references are
    /// <c>Type/id</c> and resolve inside the bundle by type and id. Each call builds a new bundle.
    /// </summary>
    /// <returns>The bundle.</returns>
    public Bundle ToBundle()
    {
        var bundle = new Bundle
        {
            Id = Model.EhrIds.From("ccda-bundle", DocumentKey),
            Type = Bundle.BundleType.Collection,
            Identifier = new Identifier("urn:ietf:rfc:3986", "urn:healthrecord-sdk:ccda:" + DocumentKey),
        };
        foreach (var resource in Resources)
        {
            bundle.Entry.Add(new Bundle.EntryComponent { Resource = resource });
        }

        return bundle;
    }
}
