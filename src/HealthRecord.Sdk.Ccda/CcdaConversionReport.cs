using System.Text.Json;
using System.Text.Json.Serialization;

namespace HealthRecord.Sdk.Ccda;

/// <summary>
/// What a C-CDA conversion did: entries per section, every entry not converted (with its XPath and why),
/// and warnings on suspect or partly lost data.
/// </summary>
/// <remarks>
/// XPaths use the local names of the <c>urn:hl7-org:v3</c> elements with 1-based positions among same-named
/// siblings, e.g. <c>/ClinicalDocument/component/structuredBody/component[3]/section/entry[2]</c>. Immutable.
/// </remarks>
public sealed class CcdaConversionReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    internal CcdaConversionReport(string documentId, string? documentType, IReadOnlyList<CcdaSectionReport> sections,
        IReadOnlyList<CcdaNotConvertedEntry> notConverted, IReadOnlyList<CcdaConversionWarning> warnings, IReadOnlyDictionary<string, int> resourceCounts)
    {
        DocumentId = documentId;
        DocumentType = documentType;
        Sections = sections;
        NotConverted = notConverted;
        Warnings = warnings;
        ResourceCounts = resourceCounts;
    }

    /// <summary>The document's <c>ClinicalDocument/id</c> as <c>root</c> or <c>root^extension</c>.</summary>
    public string DocumentId { get; }

    /// <summary>The document type (the display name or code of <c>ClinicalDocument/code</c>), when given.</summary>
    public string? DocumentType { get; }

    /// <summary>One row per section (nested sections included), in document order.</summary>
    public IReadOnlyList<CcdaSectionReport> Sections { get; }

    /// <summary>Every entry (or header part) that was not converted, with why.</summary>
    public IReadOnlyList<CcdaNotConvertedEntry> NotConverted { get; }

    /// <summary>Suspect data that was converted, or converted in part.</summary>
    public IReadOnlyList<CcdaConversionWarning> Warnings { get; }

    /// <summary>How many FHIR resources of each type the conversion produced.</summary>
    public IReadOnlyDictionary<string, int> ResourceCounts { get; }

    /// <summary>How many section entries the document holds.</summary>
    public int EntryCount => Sections.Sum(s => s.Entries);

    /// <summary>How many section entries were converted.</summary>
    public int ConvertedEntryCount => Sections.Sum(s => s.Converted);

    /// <summary>The share of entries converted, from 0 to 100 (100 when the document has no entries).</summary>
    public double ConvertedPercent => EntryCount == 0 ? 100 : Math.Round(100.0 * ConvertedEntryCount / EntryCount, 2);

    /// <summary>Serialises the report to indented JSON (camelCase), as the CLI <c>convert --report</c> writes it.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

/// <summary>One section of the document and what became of its entries.</summary>
/// <param name="Kind">The section kind the converter recognised (e.g. <c>Allergies</c>), or <c>Unsupported</c>.</param>
/// <param name="TemplateId">The section's first C-CDA <c>templateId/@root</c>, when given.</param>
/// <param name="Code">The section's LOINC code, when given.</param>
/// <param name="Title">The section title, when given.</param>
/// <param name="XPath">Where the section is.</param>
/// <param name="Entries">How many <c>entry</c> elements the section has (nested sections not included).</param>
/// <param name="Converted">How many of them were converted to at least one resource.</param>
/// <param name="NotConverted">How many were not converted (each is listed in <see cref="CcdaConversionReport.NotConverted"/>).</param>
public sealed record CcdaSectionReport(string Kind, string? TemplateId, string? Code, string? Title, string XPath, int Entries, int Converted, int NotConverted);

/// <summary>An entry (or header part) that was not converted.</summary>
/// <param name="XPath">Where it is.</param>
/// <param name="Section">The section kind it belongs to (<c>Header</c> for header parts).</param>
/// <param name="Reason">Why it was not converted.</param>
public sealed record CcdaNotConvertedEntry(string XPath, string Section, string Reason);

/// <summary>Suspect data: converted, but worth a look (a time without zone, a unit that is not UCUM, a code without system).</summary>
/// <param name="XPath">Where it is.</param>
/// <param name="Message">What is suspect.</param>
public sealed record CcdaConversionWarning(string XPath, string Message);
