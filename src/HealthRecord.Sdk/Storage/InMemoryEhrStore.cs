using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// An <see cref="IEhrStore"/> in process memory: for tests and short-lived hosts. Keeps serialised
/// copies, so what it returns is independent of what was saved. Thread-safe.
/// </summary>
public sealed class InMemoryEhrStore : IVersionedEhrStore, IEhrStoreIntegrity, IPersonIdentityIndex
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, List<(EhrVersionInfo Info, SerializedEhr Data)>> _persons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _patientOwners = new(StringComparer.Ordinal);
    private readonly PersonClaims _claims = new();
    private readonly Dictionary<string, HashSet<string>> _identityOwners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IReadOnlyList<string> Keys, string PatientsJson)> _identities = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates the store.</summary>
    /// <param name="timeProvider">The clock for <see cref="EhrVersionInfo.SavedAt"/>.</param>
    public InMemoryEhrStore(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, CancellationToken cancellationToken = default) => Save(aggregate, null, cancellationToken);

    /// <inheritdoc />
    public Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, int expectedVersion, CancellationToken cancellationToken = default) => Save(aggregate, expectedVersion, cancellationToken);

    private Task<EhrAggregate> Save(EhrAggregate aggregate, int? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        cancellationToken.ThrowIfCancellationRequested();
        var data = EhrAggregateSerializer.Serialize(aggregate);
        var keys = PersonClaims.KeysOf(aggregate);
        var identityKeys = PersonIdentityKeys.KeysOf(aggregate);
        var identityJson = PersonIdentityKeys.PatientsJson(aggregate);
        lock (_gate)
        {
            // The person is claimed under the same lock as the write (PersonClaims): two writers cannot both create one.
            var owner = PersonClaims.Winner(keys.Where(_patientOwners.ContainsKey).Select(k => _patientOwners[k]).Where(o => o != aggregate.PersonId));
            var personId = _claims.Resolve(aggregate, _persons.ContainsKey(aggregate.PersonId), owner);
            if (personId != aggregate.PersonId)
            {
                data = EhrAggregateSerializer.Rebase(aggregate, data, personId);
            }

            if (expectedVersion is { } expected && (_persons.TryGetValue(personId, out var current) ? current.Count : 0) != expected)
            {
                throw Conflict(personId, expected);
            }

            if (!_persons.TryGetValue(personId, out var versions))
            {
                versions = [];
                _persons[personId] = versions;
            }

            foreach (var key in keys)
            {
                _patientOwners[key] = personId;
            }

            IndexIdentity(personId, identityKeys, identityJson);

            if (versions.Count > 0 && versions[^1].Info.ContentHash == data.ContentHash)
            {
                return Task.FromResult(EhrAggregateSerializer.Deserialize(data, versions[^1].Info.Version));
            }

            var info = new EhrVersionInfo(personId, versions.Count + 1, _time.GetUtcNow(), aggregate.Records.Count + 1, data.ContentHash, aggregate.Sources);
            versions.Add((info, data));
            return Task.FromResult(personId == aggregate.PersonId ? aggregate with { Version = info.Version } : EhrAggregateSerializer.Deserialize(data, info.Version));
        }
    }

    /// <inheritdoc />
    public Task<EhrAggregate?> GetAsync(string personId, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(personId);
        (EhrVersionInfo Info, SerializedEhr Data) entry;
        lock (_gate)
        {
            if (!_persons.TryGetValue(personId, out var versions) || versions.Count == 0)
            {
                return Task.FromResult<EhrAggregate?>(null);
            }

            entry = version is null ? versions[^1] : versions.FirstOrDefault(v => v.Info.Version == version);
        }

        return Task.FromResult(entry.Data is null ? null : EhrAggregateSerializer.Deserialize(entry.Data, entry.Info.Version));
    }

    /// <inheritdoc />
    public Task<string?> FindPersonAsync(IReadOnlyCollection<string> linkedPatients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(linkedPatients);
        string? best;
        lock (_gate)
        {
            best = PersonClaims.Winner(linkedPatients.Distinct(StringComparer.Ordinal).Where(_patientOwners.ContainsKey).Select(k => _patientOwners[k]));
        }

        _claims.Remember(linkedPatients, best);
        return Task.FromResult(best);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredPersonIdentity>> FindByIdentityAsync(IReadOnlyCollection<string> identityKeys, int maxPersons, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identityKeys);
        cancellationToken.ThrowIfCancellationRequested();
        List<(string PersonId, string Json)> found;
        lock (_gate)
        {
            found = identityKeys.Distinct(StringComparer.Ordinal)
                .SelectMany(k => _identityOwners.TryGetValue(k, out var owners) ? owners : [])
                .GroupBy(p => p, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count())
                .ThenBy(g => g.Key, StringComparer.Ordinal)
                .Take(Math.Max(0, maxPersons))
                .Select(g => (g.Key, _identities[g.Key].PatientsJson))
                .ToList();
        }

        return Task.FromResult<IReadOnlyList<StoredPersonIdentity>>(found.Select(f => new StoredPersonIdentity(f.PersonId, PersonIdentityKeys.ReadPatients(f.Json))).ToList());
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> CheckIntegrityAsync(CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        lock (_gate)
        {
            foreach (var (person, versions) in _persons)
            {
                for (var i = 0; i < versions.Count; i++)
                {
                    var (info, data) = versions[i];
                    if (info.Version != i + 1)
                    {
                        problems.Add($"person {person}: version {info.Version} where {i + 1} was expected");
                    }

                    if (EhrAggregateSerializer.Hash(data.BundleJson, data.DetailsJson, data.SourceRecordsJson) != info.ContentHash)
                    {
                        problems.Add($"person {person} version {info.Version}: content does not match its hash");
                    }
                }
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(problems);
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

    // The person's identifying keys are those of their latest save (under _gate).
    private void IndexIdentity(string personId, IReadOnlyList<string> identityKeys, string patientsJson)
    {
        if (_identities.TryGetValue(personId, out var previous))
        {
            foreach (var key in previous.Keys)
            {
                if (_identityOwners.TryGetValue(key, out var owners) && owners.Remove(personId) && owners.Count == 0)
                {
                    _identityOwners.Remove(key);
                }
            }
        }

        foreach (var key in identityKeys)
        {
            if (!_identityOwners.TryGetValue(key, out var owners))
            {
                _identityOwners[key] = owners = new HashSet<string>(StringComparer.Ordinal);
            }

            owners.Add(personId);
        }

        _identities[personId] = (identityKeys, patientsJson);
    }

    /// <summary>The error for a save whose expected version is no longer the latest.</summary>
    /// <param name="personId">The person.</param>
    /// <param name="expected">The version the caller read.</param>
    /// <returns>The error.</returns>
    private static Errors.EhrStoreException Conflict(string personId, int expected) =>
        new(EhrStoreErrorKind.Conflict, $"Person {personId} has changed since version {expected} was read: another writer saved first; nothing was written. Read the latest version and retry.");
}
