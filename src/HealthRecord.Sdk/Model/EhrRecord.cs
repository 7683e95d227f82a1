using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Model;

/// <summary>One record of an EHR and the source records it was built from.</summary>
/// <param name="Resource">The EHR resource; its references point at other EHR records.</param>
/// <param name="Sources">The contributing source records, in canonical order.</param>
/// <param name="Rule">How it was built: the matcher rules that joined the sources and the merge policy that combined them.</param>
public sealed record EhrRecord(Resource Resource, IReadOnlyList<SourceRecordRef> Sources, string Rule)
{
    /// <summary><c>Type/id</c> of the EHR resource.</summary>
    public string Reference => $"{Resource.TypeName}/{Resource.Id}";
}

/// <summary>A pointer to a source record.</summary>
/// <param name="SourceName">The source.</param>
/// <param name="SourceResource"><c>Type/id</c> as the source named it.</param>
/// <param name="Location">Where it was read.</param>
public sealed record SourceRecordRef(string SourceName, string SourceResource, string Location)
{
    /// <inheritdoc />
    public override string ToString() => RecordKey.Format(SourceName, SourceResource);
}
