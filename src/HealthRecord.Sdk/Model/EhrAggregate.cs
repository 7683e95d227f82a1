using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Model;

/// <summary>
/// One person's EHR: the golden <see cref="Patient"/>, the deduplicated records, their lineage and
/// Provenance, the conflicts between sources and the issues met on the way.
/// </summary>
/// <remarks>
/// Built by <see cref="Aggregation.IEhrAggregator"/>; immutable once built (do not change the resources it holds).
/// <see cref="Version"/> is 0 until a store saves it.
/// </remarks>
public sealed record EhrAggregate
{
    /// <summary>The person id, deterministic for the same linked source patients; also the golden Patient's id.</summary>
    public required string PersonId { get; init; }

    /// <summary>The golden Patient, merged from every linked source Patient.</summary>
    public required Patient Patient { get; init; }

    /// <summary>The EHR records (the golden Patient excluded), ordered by type then id.</summary>
    public required IReadOnlyList<EhrRecord> Records { get; init; }

    /// <summary>One Provenance per EHR record (the golden Patient included), naming its source records.</summary>
    public required IReadOnlyList<Provenance> Provenance { get; init; }

    /// <summary>What became of every source record attributed to this person.</summary>
    public required IReadOnlyList<LineageEntry> Lineage { get; init; }

    /// <summary>Disagreements between sources.</summary>
    public IReadOnlyList<EhrConflict> Conflicts { get; init; } = [];

    /// <summary>Issues met while building this EHR.</summary>
    public IReadOnlyList<EhrIssue> Issues { get; init; } = [];

    /// <summary>The source names that contributed, in ordinal order.</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>The source Patient records linked into this person (<c>source:Patient/id</c>).</summary>
    public IReadOnlyList<SourceRecordRef> LinkedPatients { get; init; } = [];

    /// <summary>
    /// The source records attributed to this person, as read (rejected ones included), ordered by source then
    /// <c>Type/id</c>. Stores keep them so that a person can be re-aggregated (another policy, a source's update)
    /// without re-reading the sources; empty when the producer did not keep them.
    /// </summary>
    public IReadOnlyList<Sources.SourceRecord> SourceRecords { get; init; } = [];

    /// <summary>How current the data is: the latest <c>meta.lastUpdated</c> or clinical date among the inputs.</summary>
    public DateTimeOffset? AsOf { get; init; }

    /// <summary>The version a store saved this as; 0 when not saved.</summary>
    public int Version { get; init; }

    /// <summary>The EHR record with this <c>Type/id</c>, the golden Patient included.</summary>
    /// <param name="reference"><c>Type/id</c>.</param>
    /// <returns>The record, or <see langword="null"/>.</returns>
    public EhrRecord? Find(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference == $"Patient/{PersonId}")
        {
            return new EhrRecord(Patient, LinkedPatients, "identity linking");
        }

        return Records.FirstOrDefault(r => r.Reference == reference);
    }

    /// <summary>Counts of EHR records per resource type (the golden Patient included).</summary>
    /// <returns>Type name to count, ordered by type.</returns>
    public IReadOnlyDictionary<string, int> CountByType()
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal) { ["Patient"] = 1 };
        foreach (var r in Records)
        {
            counts[r.Resource.TypeName] = counts.GetValueOrDefault(r.Resource.TypeName) + 1;
        }

        return counts;
    }
}
