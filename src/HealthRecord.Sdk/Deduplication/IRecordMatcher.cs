using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deduplication;

/// <summary>
/// Decides when two records of one person, of the same resource type, are the same fact.
/// The clusterer only compares records that share a blocking key, so cost stays near-linear.
/// </summary>
/// <remarks>
/// Implementations must be thread-safe, deterministic, and symmetric (<c>Compare(a, b)</c> equals <c>Compare(b, a)</c>).
/// A matcher registered for a type replaces the built-in one for that type.
/// </remarks>
public interface IRecordMatcher
{
    /// <summary>The resource types this matcher handles; empty handles every type.</summary>
    IReadOnlyCollection<string> ResourceTypes { get; }

    /// <summary>Keys that any record this one could match shares (e.g. <c>code|http://loinc.org|1234-5</c>).</summary>
    /// <param name="candidate">The record.</param>
    /// <returns>Zero or more keys; a record with none is compared with nothing.</returns>
    IEnumerable<string> GetBlockingKeys(MatchCandidate candidate);

    /// <summary>Compares two records that share a blocking key.</summary>
    /// <param name="left">One record.</param>
    /// <param name="right">The other.</param>
    /// <returns>The decision with its evidence.</returns>
    RecordMatch Compare(MatchCandidate left, MatchCandidate right);
}

/// <summary>A record offered to matchers.</summary>
public sealed class MatchCandidate
{
    private string? _fingerprint;
    private readonly Func<Resource, string> _fingerprintOf;
    private readonly Func<ResourceReference, Resource?>? _resolve;

    /// <summary>Creates a candidate.</summary>
    /// <param name="sourceName">The source.</param>
    /// <param name="sourceReference"><c>Type/id</c> as the source named it.</param>
    /// <param name="resource">The resource (references already resolved inside its source).</param>
    /// <param name="fingerprintOf">Computes the content fingerprint on first use.</param>
    /// <param name="resolve">Finds the record a reference of this one points at (e.g. the Medication of a MedicationRequest), within its source.</param>
    /// <param name="documentId">The export (file, document, message) of the source the record was read from, when the source has several; see <see cref="DocumentId"/>.</param>
    public MatchCandidate(string sourceName, string sourceReference, Resource resource, Func<Resource, string>? fingerprintOf = null, Func<ResourceReference, Resource?>? resolve = null, string? documentId = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        SourceName = sourceName;
        SourceReference = sourceReference;
        Resource = resource;
        DocumentId = documentId;
        _fingerprintOf = fingerprintOf ?? (r => Fhir.ContentFingerprint.Compute(r));
        _resolve = resolve;
    }

    /// <summary>The source.</summary>
    public string SourceName { get; }

    /// <summary><c>Type/id</c> as the source named it.</summary>
    public string SourceReference { get; }

    /// <summary>
    /// The export of the source the record was read from (a file of a folder source, a document), or
    /// <see langword="null"/>. Records of one source and one export are one EMR's own list: two of them are
    /// the same fact only on evidence of the same act (<see cref="IsSameExport"/>). Different exports of one
    /// source (a folder of several exports) re-report facts the way different EMRs do.
    /// </summary>
    public string? DocumentId { get; }

    /// <summary>The resource. Do not modify it.</summary>
    public Resource Resource { get; }

    /// <summary>The content fingerprint (see <see cref="Fhir.ContentFingerprint"/>), computed once.</summary>
    public string Fingerprint => _fingerprint ??= _fingerprintOf(Resource);

    /// <summary><c>source:Type/id</c>, the key split requests use.</summary>
    public string Key => Model.RecordKey.Format(SourceName, SourceReference);

    /// <summary>Features a matcher computed for this candidate (computed once, reused in every comparison).</summary>
    internal object? Features { get; set; }

    /// <summary>Identifier keys (<c>system|value</c>) the clusterer found on several different records of one source: no evidence.</summary>
    internal HashSet<string>? AmbiguousIdentifiers { get; set; }

    /// <summary>Whether two candidates come from one export of one source (same source name and <see cref="DocumentId"/>).</summary>
    /// <param name="other">The other candidate.</param>
    /// <returns>Whether they do.</returns>
    public bool IsSameExport(MatchCandidate other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return string.Equals(SourceName, other.SourceName, StringComparison.Ordinal) && string.Equals(DocumentId, other.DocumentId, StringComparison.Ordinal);
    }

    /// <summary>The record a reference points at: a contained resource, or a record of the same source.</summary>
    /// <param name="reference">The reference.</param>
    /// <returns>The target, or <see langword="null"/> when it cannot be found.</returns>
    public Resource? ResolveReference(ResourceReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Reference is { } r && r.StartsWith('#') && Resource is DomainResource dr)
        {
            return dr.Contained.FirstOrDefault(c => c.Id == r[1..]);
        }

        return _resolve?.Invoke(reference);
    }

    /// <inheritdoc />
    public override string ToString() => Key;
}

/// <summary>A matcher's decision about a pair.</summary>
/// <param name="IsMatch">Whether the two are the same fact.</param>
/// <param name="Score">A score in [0, 1].</param>
/// <param name="Rule">The rule that decided, e.g. <c>same-identifier</c>.</param>
/// <param name="Evidence">What the rule saw, e.g. the shared identifier (no clinical values beyond codes).</param>
public sealed record RecordMatch(bool IsMatch, double Score, string Rule, string Evidence)
{
    /// <summary>A non-match with no particular evidence.</summary>
    public static RecordMatch None { get; } = new(false, 0, "none", "");
}
