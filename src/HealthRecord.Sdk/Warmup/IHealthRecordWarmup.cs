namespace HealthRecord.Sdk.Warmup;

/// <summary>
/// Primes what a host's first aggregation would otherwise pay for: the FHIR deserializer and serializer (Firely's
/// model tables), the document readers, validation, identity linking, deduplication and merge, Provenance, the
/// exporters, the store's serialisation and its connection. Call it once at start-up (for instance from a hosted
/// service) so that the first real request runs at warm speed. Registered by <c>AddHealthRecord</c>.
/// </summary>
/// <remarks>
/// It aggregates two small built-in synthetic EMRs of one fictional person in memory and never saves them: the store
/// is only read (a look-up that finds nobody), no EHR version, review decision or audit entry is written, and no
/// host source is read. Safe to call more than once and from several threads; later calls cost what a warm
/// aggregation of a few records costs. See docs/performance.md, "Cold start".
/// </remarks>
public interface IHealthRecordWarmup
{
    /// <summary>Runs the warm-up.</summary>
    /// <param name="cancellationToken">Cancels the warm-up.</param>
    /// <returns>What was primed and how long it took.</returns>
    Task<WarmupReport> WarmUpAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a warm-up did.</summary>
/// <param name="Elapsed">Wall time of the whole warm-up.</param>
/// <param name="RecordsRead">Synthetic records read through the registered document readers.</param>
/// <param name="Exporters">Exporters run on the synthetic EHR (into nothing).</param>
/// <param name="StoreRead">
/// Whether the store answered its look-up; <see langword="false"/> when it failed with an
/// <see cref="Errors.EhrStoreException"/> (unreachable at start-up), which the warm-up logs as a warning instead of throwing.
/// </param>
public sealed record WarmupReport(TimeSpan Elapsed, int RecordsRead, int Exporters, bool StoreRead);
