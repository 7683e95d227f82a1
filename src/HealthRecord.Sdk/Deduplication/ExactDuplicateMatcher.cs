using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deduplication;

/// <summary>
/// The built-in matcher for every type: two records are the same fact when they share a business
/// identifier (same system and value) or when their clinical content is identical (same
/// <see cref="Fhir.ContentFingerprint"/>: everything but ids, metadata, narrative and reference targets).
/// </summary>
/// <remarks>
/// Identifiers without a system never match: a bare value means nothing across sources. Identical content
/// merges copies from different sources (or the same record listed twice by one source), never two records
/// one source keeps under different ids. Thread-safe.
/// </remarks>
public sealed class ExactDuplicateMatcher : IRecordMatcher
{
    /// <summary>The rule name for identifier matches.</summary>
    public const string SameIdentifierRule = "same-identifier";

    /// <summary>The rule name for identical content.</summary>
    public const string IdenticalContentRule = "identical-content";

    /// <inheritdoc />
    public IReadOnlyCollection<string> ResourceTypes => [];

    /// <inheritdoc />
    public IEnumerable<string> GetBlockingKeys(MatchCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        yield return ContentBlockingKey(candidate);
        foreach (var id in IdentifierKeys(candidate.Resource))
        {
            yield return "id|" + id;
        }
    }

    // Identifiers with a system and a real value (a placeholder such as "UNK" identifies nothing), as system|value.
    private static IEnumerable<string> IdentifierKeys(Resource resource) =>
        ResourceIdentifiers.Of(resource).Where(i => !string.IsNullOrEmpty(i.System) && !PlaceholderValues.IsPlaceholder(i)).Select(i => $"{i.System}|{i.Value}");

    /// <summary>
    /// The key under which identical copies meet. Identical content means the same clinical date, so a dated
    /// record blocks on its date and its fingerprint is computed only when another record shares that date
    /// (the fingerprint walks the whole resource); an undated record blocks on its fingerprint.
    /// </summary>
    internal static string ContentBlockingKey(MatchCandidate candidate) =>
        ClinicalDates.Of(candidate.Resource) is { } date
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"cd|{candidate.Resource.TypeName}|{date.UtcTicks}")
            : "fp|" + candidate.Fingerprint;

    /// <inheritdoc />
    public RecordMatch Compare(MatchCandidate left, MatchCandidate right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var shared = IdentifierKeys(left.Resource).Intersect(IdentifierKeys(right.Resource), StringComparer.Ordinal).Order(StringComparer.Ordinal).FirstOrDefault();
        if (shared is not null)
        {
            return new RecordMatch(true, 1.0, SameIdentifierRule, $"identifier {shared}");
        }

        // One source lists each of its facts once: two of its records with different ids are two facts,
        // however alike they look (Synthea's claims for two visits on one day are identical but for the visit).
        var sameSourceDifferentIds = left.SourceName == right.SourceName && left.SourceReference != right.SourceReference;
        return !sameSourceDifferentIds && left.Fingerprint == right.Fingerprint
            ? new RecordMatch(true, 1.0, IdenticalContentRule, $"content fingerprint {left.Fingerprint}")
            : RecordMatch.None;
    }
}
