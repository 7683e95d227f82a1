using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// An <see cref="IEhrStore"/> in process memory: for tests and short-lived hosts. Keeps serialised
/// copies, so what it returns is independent of what was saved. Thread-safe.
/// </summary>
public sealed class InMemoryEhrStore : IEhrStore
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, List<(EhrVersionInfo Info, SerializedEhr Data, string[] LinkedPatients)>> _persons = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates the store.</summary>
    /// <param name="timeProvider">The clock for <see cref="EhrVersionInfo.SavedAt"/>.</param>
    public InMemoryEhrStore(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        cancellationToken.ThrowIfCancellationRequested();
        var data = EhrAggregateSerializer.Serialize(aggregate);
        lock (_gate)
        {
            if (!_persons.TryGetValue(aggregate.PersonId, out var versions))
            {
                versions = [];
                _persons[aggregate.PersonId] = versions;
            }

            if (versions.Count > 0 && versions[^1].Info.ContentHash == data.ContentHash)
            {
                return Task.FromResult(aggregate with { Version = versions[^1].Info.Version });
            }

            var info = new EhrVersionInfo(aggregate.PersonId, versions.Count + 1, _time.GetUtcNow(), aggregate.Records.Count + 1, data.ContentHash, aggregate.Sources);
            versions.Add((info, data, aggregate.LinkedPatients.Select(p => p.ToString()).ToArray()));
            return Task.FromResult(aggregate with { Version = info.Version });
        }
    }

    /// <inheritdoc />
    public Task<EhrAggregate?> GetAsync(string personId, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(personId);
        lock (_gate)
        {
            if (!_persons.TryGetValue(personId, out var versions) || versions.Count == 0)
            {
                return Task.FromResult<EhrAggregate?>(null);
            }

            var entry = version is null ? versions[^1] : versions.FirstOrDefault(v => v.Info.Version == version);
            return Task.FromResult(entry.Data is null ? null : EhrAggregateSerializer.Deserialize(entry.Data.BundleJson, entry.Data.DetailsJson, entry.Info.Version));
        }
    }

    /// <inheritdoc />
    public Task<string?> FindPersonAsync(IReadOnlyCollection<string> linkedPatients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(linkedPatients);
        lock (_gate)
        {
            var best = _persons
                .Select(p => (p.Key, Shared: p.Value.SelectMany(v => v.LinkedPatients).Distinct(StringComparer.Ordinal).Count(linkedPatients.Contains)))
                .Where(x => x.Shared > 0)
                .OrderByDescending(x => x.Shared)
                .ThenBy(x => x.Key, StringComparer.Ordinal)
                .Select(x => x.Key)
                .FirstOrDefault();
            return Task.FromResult(best);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<EhrVersionInfo> ListPersonsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        EhrVersionInfo[] latest;
        lock (_gate)
        {
            latest = _persons.Values.Where(v => v.Count > 0).Select(v => v[^1].Info).ToArray();
        }

        foreach (var info in latest)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<EhrVersionInfo> ListVersionsAsync(string personId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(personId);
        EhrVersionInfo[] infos;
        lock (_gate)
        {
            infos = _persons.TryGetValue(personId, out var v) ? v.Select(x => x.Info).ToArray() : [];
        }

        foreach (var info in infos)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }
}
