using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// Keeps EHRs with their versions. Each save is atomic: it writes a whole new version or nothing.
/// </summary>
/// <remarks>Implementations must be thread-safe.</remarks>
public interface IEhrStore
{
    /// <summary>
    /// Saves the aggregate as the person's next version. Saving content identical to the latest version
    /// writes nothing and returns the latest version.
    /// </summary>
    /// <param name="aggregate">The aggregate.</param>
    /// <param name="cancellationToken">Cancels the save; a cancelled save writes nothing.</param>
    /// <returns>The aggregate with its <see cref="EhrAggregate.Version"/> set.</returns>
    /// <exception cref="Errors.EhrStoreException">The store failed; nothing was written.</exception>
    Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, CancellationToken cancellationToken = default);

    /// <summary>Reads a person's latest version, or a given version.</summary>
    /// <param name="personId">The person id.</param>
    /// <param name="version">The version; <see langword="null"/> for the latest.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The aggregate, or <see langword="null"/> when there is none.</returns>
    Task<EhrAggregate?> GetAsync(string personId, int? version = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The person whose saved EHR already links any of these source patients, so that a new aggregation
    /// of the same person (with more or fewer sources) continues that person's versions.
    /// </summary>
    /// <param name="linkedPatients">Source patient keys, <c>source:Patient/id</c>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The person id sharing the most keys (ties: the smallest id), or <see langword="null"/>.</returns>
    Task<string?> FindPersonAsync(IReadOnlyCollection<string> linkedPatients, CancellationToken cancellationToken = default);

    /// <summary>Lists the persons in the store with their latest version.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The persons, ordered by id.</returns>
    IAsyncEnumerable<EhrVersionInfo> ListPersonsAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists every version of one person, oldest first.</summary>
    /// <param name="personId">The person id.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The versions.</returns>
    IAsyncEnumerable<EhrVersionInfo> ListVersionsAsync(string personId, CancellationToken cancellationToken = default);
}

/// <summary>A saved version.</summary>
/// <param name="PersonId">The person.</param>
/// <param name="Version">The version number, from 1.</param>
/// <param name="SavedAt">When it was saved.</param>
/// <param name="RecordCount">How many EHR records it holds (the golden Patient included).</param>
/// <param name="ContentHash">A hash of its content; equal hashes mean equal content.</param>
/// <param name="Sources">The contributing sources.</param>
public sealed record EhrVersionInfo(string PersonId, int Version, DateTimeOffset SavedAt, int RecordCount, string ContentHash, IReadOnlyList<string> Sources);
