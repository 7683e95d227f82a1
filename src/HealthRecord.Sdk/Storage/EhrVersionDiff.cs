using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Storage;

/// <summary>What changed in a person's EHR between two versions, record by record (the golden Patient included).</summary>
/// <param name="PersonId">The person.</param>
/// <param name="FromVersion">The earlier version compared.</param>
/// <param name="ToVersion">The later version compared.</param>
/// <param name="Added">Records (<c>Type/id</c>) in <paramref name="ToVersion"/> only, ordered.</param>
/// <param name="Removed">Records in <paramref name="FromVersion"/> only, ordered.</param>
/// <param name="Changed">Records in both whose content or source records differ, ordered.</param>
/// <param name="Unchanged">How many records are the same in both.</param>
public sealed record EhrVersionDiff(
    string PersonId,
    int FromVersion,
    int ToVersion,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Changed,
    int Unchanged)
{
    /// <summary>Whether the two versions hold the same records with the same content.</summary>
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    /// <summary>Compares two aggregates of one person.</summary>
    /// <param name="from">The earlier aggregate.</param>
    /// <param name="to">The later aggregate.</param>
    /// <returns>The difference.</returns>
    public static EhrVersionDiff Compare(EhrAggregate from, EhrAggregate to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var before = Fingerprints(from);
        var after = Fingerprints(to);
        var added = after.Keys.Where(k => !before.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var removed = before.Keys.Where(k => !after.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var changed = after.Where(kv => before.TryGetValue(kv.Key, out var old) && old != kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        var unchanged = after.Count(kv => before.TryGetValue(kv.Key, out var old) && old == kv.Value);
        return new EhrVersionDiff(to.PersonId, from.Version, to.Version, added, removed, changed, unchanged);
    }

    // A record's content and the source records it came from: a record that gains or loses a source has changed.
    private static Dictionary<string, string> Fingerprints(EhrAggregate ehr)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [$"Patient/{ehr.PersonId}"] = FhirJson.Serialize(ehr.Patient) + "\u001f" + string.Join('\u001e', ehr.LinkedPatients),
        };
        foreach (var r in ehr.Records)
        {
            map[r.Reference] = FhirJson.Serialize(r.Resource) + "\u001f" + string.Join('\u001e', r.Sources);
        }

        return map;
    }
}

/// <summary>Operations every <see cref="IEhrStore"/> offers through its contract.</summary>
public static class EhrStoreExtensions
{
    /// <summary>Compares two stored versions of a person.</summary>
    /// <param name="store">The store.</param>
    /// <param name="personId">The person.</param>
    /// <param name="fromVersion">The earlier version.</param>
    /// <param name="toVersion">The later version.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The difference.</returns>
    /// <exception cref="EhrStoreException">A version is not in the store (<see cref="EhrStoreErrorKind.NotFound"/>), or the store failed.</exception>
    public static async Task<EhrVersionDiff> DiffAsync(this IEhrStore store, string personId, int fromVersion, int toVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(personId);
        var from = await store.GetRequiredAsync(personId, fromVersion, cancellationToken).ConfigureAwait(false);
        var to = await store.GetRequiredAsync(personId, toVersion, cancellationToken).ConfigureAwait(false);
        return EhrVersionDiff.Compare(from, to);
    }

    /// <summary>Reads a person's latest version, or a given version, failing clearly when it is not there.</summary>
    /// <param name="store">The store.</param>
    /// <param name="personId">The person.</param>
    /// <param name="version">The version; <see langword="null"/> for the latest.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The aggregate.</returns>
    /// <exception cref="EhrStoreException">The person or version is not in the store (<see cref="EhrStoreErrorKind.NotFound"/>), or the store failed.</exception>
    public static async Task<EhrAggregate> GetRequiredAsync(this IEhrStore store, string personId, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(personId);
        return await store.GetAsync(personId, version, cancellationToken).ConfigureAwait(false)
            ?? throw new EhrStoreException(
                EhrStoreErrorKind.NotFound,
                version is null ? $"Person {personId} is not in the store." : $"Person {personId} has no version {version} in the store.");
    }
}
