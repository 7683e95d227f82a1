using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Merge;

/// <summary>
/// Decides how copies of one fact from several sources combine into one EHR record.
/// Configure a default and per-type policies with <c>ConfigureMerge</c>; write your own for other rules.
/// </summary>
/// <remarks>Implementations must be thread-safe and deterministic, and must not modify the members' resources.</remarks>
public interface IMergePolicy
{
    /// <summary>The policy name as it appears in Provenance and lineage (e.g. <c>source-priority</c>).</summary>
    string Name { get; }

    /// <summary>Whether duplicates combine at all; a keep-all policy returns <see langword="false"/> and every record stays on its own.</summary>
    bool CombinesDuplicates { get; }

    /// <summary>Combines the members of a duplicate cluster.</summary>
    /// <param name="cluster">Two or more records that are the same fact.</param>
    /// <returns>The merged resource (a new object) and the conflicts noticed.</returns>
    MergeResult Merge(MergeCluster cluster);
}

/// <summary>The records to merge.</summary>
/// <param name="ResourceType">Their resource type.</param>
/// <param name="Members">The members, in canonical order.</param>
public sealed record MergeCluster(string ResourceType, IReadOnlyList<MergeMember> Members);

/// <summary>One record of a cluster.</summary>
/// <param name="SourceName">The source.</param>
/// <param name="SourceReference"><c>Type/id</c> as the source named it.</param>
/// <param name="Resource">The resource; do not modify it.</param>
/// <param name="SourceRank">The source's rank from <see cref="HealthRecordOptions.SourcePriority"/> (0 is highest).</param>
public sealed record MergeMember(string SourceName, string SourceReference, Resource Resource, int SourceRank)
{
    /// <summary>When the source last changed the record, if it says.</summary>
    public DateTimeOffset? LastUpdated => Fhir.ClinicalDates.LastUpdated(Resource);

    /// <summary>The record's clinical date, if it has one.</summary>
    public DateTimeOffset? ClinicalDate => Fhir.ClinicalDates.Of(Resource);

    /// <summary><c>source:Type/id</c>.</summary>
    public string Key => Model.RecordKey.Format(SourceName, SourceReference);
}

/// <summary>The outcome of a merge.</summary>
/// <param name="Resource">The merged resource, a new object.</param>
/// <param name="ChosenIndex">The member whose values won by default.</param>
/// <param name="Conflicts">Elements on which members disagreed.</param>
/// <param name="Explanation">How the values were chosen, for people.</param>
public sealed record MergeResult(Resource Resource, int ChosenIndex, IReadOnlyList<MergeConflict> Conflicts, string Explanation);

/// <summary>An element on which members of a cluster disagreed.</summary>
/// <param name="Element">The element name.</param>
/// <param name="ChosenValue">The value kept.</param>
/// <param name="ChosenFrom">The member it came from (<c>source:Type/id</c>).</param>
/// <param name="Alternatives">The other values.</param>
public sealed record MergeConflict(string Element, string ChosenValue, string ChosenFrom, IReadOnlyList<Model.ConflictValue> Alternatives);
