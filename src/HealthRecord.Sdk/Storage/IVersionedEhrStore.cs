using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// A store that saves only on top of the version the caller read (optimistic concurrency): a writer that reads a
/// person, changes it and saves it never silently drops another writer's update made in between.
/// </summary>
public interface IVersionedEhrStore : IEhrStore
{
    /// <summary>
    /// Saves the aggregate as the person's next version if the person's latest version is still
    /// <paramref name="expectedVersion"/> (0: the person must not exist yet), inside the same transaction as the
    /// person claim of <see cref="IEhrStore.SaveAsync(EhrAggregate, CancellationToken)"/>.
    /// </summary>
    /// <param name="aggregate">The aggregate.</param>
    /// <param name="expectedVersion">The version the caller read and changed.</param>
    /// <param name="cancellationToken">Cancels the save; a cancelled save writes nothing.</param>
    /// <returns>The saved aggregate (its person id is the one that won).</returns>
    /// <exception cref="Errors.EhrStoreException">Another writer saved first (<see cref="EhrStoreErrorKind.Conflict"/>), or the store failed; nothing was written.</exception>
    Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, int expectedVersion, CancellationToken cancellationToken = default);
}
