namespace HealthRecord.Sdk.Storage;

/// <summary>A store that can check what it holds: its own integrity, every version's content hash, versions numbered 1..n with no gap.</summary>
public interface IEhrStoreIntegrity
{
    /// <summary>Checks the whole store (reads only).</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The problems found, one line each; empty when the store is sound.</returns>
    Task<IReadOnlyList<string>> CheckIntegrityAsync(CancellationToken cancellationToken = default);
}
