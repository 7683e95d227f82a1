namespace HealthRecord.Sdk.Model;

/// <summary>What became of one source record.</summary>
public enum LineageAction
{
    /// <summary>The record is in the EHR as it was (no other source reported the same fact).</summary>
    Kept,

    /// <summary>The record was merged with copies of the same fact from other records into one EHR record.</summary>
    Merged,

    /// <summary>The record is not in the EHR; <see cref="LineageEntry.Reason"/> says why.</summary>
    Rejected,
}

/// <summary>
/// One row of lineage: a source record and what became of it. Every record read appears exactly once
/// per EHR it belongs to (conservation).
/// </summary>
/// <param name="PersonId">The EHR (person) the row belongs to; empty when the record could not be attributed to anyone.</param>
/// <param name="SourceName">The source.</param>
/// <param name="SourceResource"><c>Type/id</c> as the source named it.</param>
/// <param name="EhrResource"><c>Type/id</c> in the EHR; <see langword="null"/> when rejected.</param>
/// <param name="Action">Kept, merged or rejected.</param>
/// <param name="Reason">Why: the merge rule, or the rejection reason.</param>
public sealed record LineageEntry(string PersonId, string SourceName, string SourceResource, string? EhrResource, LineageAction Action, string Reason)
{
    /// <summary>The lowercase action name used in CSV and JSON (<c>kept</c>, <c>merged</c>, <c>rejected</c>).</summary>
    public string ActionName => Action switch
    {
        LineageAction.Kept => "kept",
        LineageAction.Merged => "merged",
        _ => "rejected",
    };
}
