namespace HealthRecord.Sdk.Model;

/// <summary>
/// Extensions the SDK puts on the Provenance of EHR records, so that an EHR bundle read on its own
/// still explains its merges.
/// </summary>
public static class EhrProvenanceExtensions
{
    /// <summary>
    /// A conflict between sources about the target record (valueString:
    /// <c>element: kept 'X' from source:Type/id; also 'Y' from source:Type/id</c>). Repeats, one per conflicting element.
    /// </summary>
    public const string ConflictUrl = "http://healthrecord-sdk.org/fhir/StructureDefinition/merge-conflict";

    /// <summary>The text of a conflict as the extension carries it.</summary>
    /// <param name="conflict">The conflict.</param>
    /// <returns>The text.</returns>
    public static string Describe(EhrConflict conflict)
    {
        ArgumentNullException.ThrowIfNull(conflict);
        return $"{conflict.Element}: kept '{conflict.ChosenValue}' from {conflict.ChosenFrom}; also "
            + string.Join("; ", conflict.Alternatives.Select(a => $"'{a.Value}' from {a.From}"));
    }
}
