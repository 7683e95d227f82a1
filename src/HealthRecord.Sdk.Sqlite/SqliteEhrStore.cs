using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Sqlite;

/// <summary>
/// The embedded default <see cref="IEhrStore"/>: one SQLite file in WAL mode, marked as a store
/// (<c>PRAGMA application_id</c> and a schema table). Each save is one transaction that writes a whole new
/// version or nothing, and claims the person inside it (<see cref="PersonClaims"/>); readers never see a
/// half-written version and take no write lock.
/// </summary>
/// <remarks>
/// Thread-safe: each operation opens its own pooled connection. Several processes may share the file
/// (SQLite serialises writers; a writer waits up to <see cref="SqliteEhrStoreOptions.BusyTimeout"/>, then fails
/// with <see cref="EhrStoreErrorKind.Busy"/>); for many concurrent writers use the PostgreSQL store. A file that
/// is not a store (empty, not a database, another application's database) is refused and left untouched.
/// </remarks>
public sealed class SqliteEhrStore : IVersionedEhrStore, IEhrStoreIntegrity, IPersonIdentityIndex
{
    private readonly SqliteDatabase _database;
    private readonly PersonClaims _claims = new();
    private readonly TimeProvider _time;

    /// <summary>Creates the store (the file and schema are created on the first write).</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock for <see cref="EhrVersionInfo.SavedAt"/>.</param>
    public SqliteEhrStore(IOptions<SqliteEhrStoreOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = new SqliteDatabase(options.Value);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates the store for a connection string.</summary>
    /// <param name="connectionString">E.g. <c>Data Source=ehr.db</c>.</param>
    /// <param name="timeProvider">The clock.</param>
    public SqliteEhrStore(string connectionString, TimeProvider? timeProvider = null)
        : this(Options.Create(new SqliteEhrStoreOptions { ConnectionString = connectionString }), timeProvider)
    {
    }

    /// <summary>The database file, as the connection string names it.</summary>
    public string DataSource => _database.DataSource;

    /// <summary>The database (for tests: <see cref="SqliteDatabase.MaxPageCount"/>).</summary>
    internal SqliteDatabase Database => _database;

    /// <summary>The schema version this SDK writes.</summary>
    public static int SchemaVersion => SqliteSchema.CurrentVersion;

    /// <inheritdoc />
    public Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, CancellationToken cancellationToken = default) => SaveAsync(aggregate, (int?)null, cancellationToken);

    /// <inheritdoc />
    public Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, int expectedVersion, CancellationToken cancellationToken = default) => SaveAsync(aggregate, (int?)expectedVersion, cancellationToken);

    private async Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, int? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        var data = EhrAggregateSerializer.Serialize(aggregate);
        var keys = PersonClaims.KeysOf(aggregate);
        var identityKeys = PersonIdentityKeys.KeysOf(aggregate);
        var identityJson = PersonIdentityKeys.PatientsJson(aggregate);
        EhrAggregate? saved = null;
        await _database.RunAsync(
            $"saving person {aggregate.PersonId}",
            async connection =>
            {
                // BEGIN IMMEDIATE takes the write lock up front: the person is claimed and the version numbered
                // under it, so two writers can neither both create one person nor both take one version number.
                using var tx = connection.BeginTransaction(deferred: false);
                var (latest, latestHash) = await LatestAsync(connection, tx, aggregate.PersonId, cancellationToken).ConfigureAwait(false);
                var owner = PersonClaims.Winner((await OwnersAsync(connection, tx, keys, cancellationToken).ConfigureAwait(false)).Where(o => o != aggregate.PersonId));
                var personId = _claims.Resolve(aggregate, latest > 0, owner);
                if (personId != aggregate.PersonId)
                {
                    data = EhrAggregateSerializer.Rebase(aggregate, data, personId);
                    (latest, latestHash) = await LatestAsync(connection, tx, personId, cancellationToken).ConfigureAwait(false);
                }

                if (expectedVersion is { } expected && latest != expected)
                {
                    throw new Errors.EhrStoreException(
                        EhrStoreErrorKind.Conflict,
                        $"Person {personId} has changed since version {expected} was read: another writer saved first; nothing was written. Read the latest version and retry.");
                }

                await ClaimAsync(connection, tx, keys, personId, cancellationToken).ConfigureAwait(false);
                await IndexIdentityAsync(connection, tx, personId, identityKeys, identityJson, cancellationToken).ConfigureAwait(false);
                var version = latest;
                if (latestHash != data.ContentHash)
                {
                    version = latest + 1;
                    using var cmd = connection.CreateCommand();
                    cmd.Transaction = tx;
                    cmd.CommandText = """
                        INSERT INTO ehr_versions (person_id, version, saved_at, record_count, content_hash, sources, bundle_json, details_json, source_records)
                        VALUES ($p, $v, $t, $n, $h, $s, $b, $d, $r)
                        """;
                    cmd.Parameters.AddWithValue("$p", personId);
                    cmd.Parameters.AddWithValue("$v", version);
                    cmd.Parameters.AddWithValue("$t", _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                    cmd.Parameters.AddWithValue("$n", aggregate.Records.Count + 1);
                    cmd.Parameters.AddWithValue("$h", data.ContentHash);
                    cmd.Parameters.AddWithValue("$s", JsonSerializer.Serialize(aggregate.Sources));
                    cmd.Parameters.AddWithValue("$b", data.BundleJson);
                    cmd.Parameters.AddWithValue("$d", data.DetailsJson);
                    cmd.Parameters.AddWithValue("$r", data.SourceRecordsJson);
                    await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                saved = personId == aggregate.PersonId ? aggregate with { Version = version } : EhrAggregateSerializer.Deserialize(data, version);
            },
            cancellationToken).ConfigureAwait(false);
        return saved!;
    }

    /// <inheritdoc />
    public Task<EhrAggregate?> GetAsync(string personId, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(personId);
        return _database.ReadAsync<EhrAggregate?>(
            $"reading person {personId}",
            async connection =>
            {
                using var cmd = connection.CreateCommand();
                cmd.CommandText = version is null
                    ? "SELECT version, bundle_json, details_json, source_records FROM ehr_versions WHERE person_id = $p ORDER BY version DESC LIMIT 1"
                    : "SELECT version, bundle_json, details_json, source_records FROM ehr_versions WHERE person_id = $p AND version = $v";
                cmd.Parameters.AddWithValue("$p", personId);
                if (version is not null)
                {
                    cmd.Parameters.AddWithValue("$v", version.Value);
                }

                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                return EhrAggregateSerializer.Deserialize((byte[])reader.GetValue(1), (byte[])reader.GetValue(2), (byte[])reader.GetValue(3), reader.GetInt32(0));
            },
            null,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<string?> FindPersonAsync(IReadOnlyCollection<string> linkedPatients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(linkedPatients);
        if (linkedPatients.Count == 0)
        {
            return null;
        }

        var keys = linkedPatients.Distinct(StringComparer.Ordinal).ToList();
        var owner = await _database.ReadAsync(
            "looking up linked patients",
            async connection => PersonClaims.Winner(await OwnersAsync(connection, null, keys, cancellationToken).ConfigureAwait(false)),
            null,
            cancellationToken).ConfigureAwait(false);
        _claims.Remember(keys, owner);
        return owner;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredPersonIdentity>> FindByIdentityAsync(IReadOnlyCollection<string> identityKeys, int maxPersons, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identityKeys);
        var keys = identityKeys.Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count == 0 || maxPersons <= 0)
        {
            return Task.FromResult<IReadOnlyList<StoredPersonIdentity>>([]);
        }

        return _database.ReadAsync<IReadOnlyList<StoredPersonIdentity>>(
            "looking up persons by identity",
            async connection =>
            {
                var found = new List<StoredPersonIdentity>();
                using var cmd = connection.CreateCommand();
                var names = keys.Select((_, i) => "$k" + i.ToString(CultureInfo.InvariantCulture)).ToList();
                cmd.CommandText = $"""
                    SELECT i.person_id, i.patients_json
                    FROM (SELECT person_id, COUNT(*) AS shared FROM ehr_identity_keys WHERE identity_key IN ({string.Join(',', names)})
                          GROUP BY person_id ORDER BY shared DESC, person_id LIMIT $n) c
                    JOIN ehr_person_identity i ON i.person_id = c.person_id
                    ORDER BY c.shared DESC, c.person_id
                    """;
                for (var i = 0; i < keys.Count; i++)
                {
                    cmd.Parameters.AddWithValue(names[i], keys[i]);
                }

                cmd.Parameters.AddWithValue("$n", maxPersons);
                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    found.Add(new StoredPersonIdentity(reader.GetString(0), PersonIdentityKeys.ReadPatients(reader.GetString(1))));
                }

                return found;
            },
            [],
            cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<EhrVersionInfo> ListPersonsAsync(CancellationToken cancellationToken = default) =>
        QueryInfosAsync(
            """
            SELECT v.person_id, v.version, v.saved_at, v.record_count, v.content_hash, v.sources
            FROM ehr_versions v
            JOIN (SELECT person_id, MAX(version) AS version FROM ehr_versions GROUP BY person_id) m
              ON m.person_id = v.person_id AND m.version = v.version
            ORDER BY v.person_id
            """,
            null,
            cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<EhrVersionInfo> ListVersionsAsync(string personId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(personId);
        return QueryInfosAsync(
            "SELECT person_id, version, saved_at, record_count, content_hash, sources FROM ehr_versions WHERE person_id = $p ORDER BY version",
            personId,
            cancellationToken);
    }

    /// <summary>
    /// Checks the file (<c>PRAGMA integrity_check</c>), every version's content hash, and that each person's
    /// versions are numbered 1..n. Reads only.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The problems found; empty when the store is sound.</returns>
    public Task<IReadOnlyList<string>> CheckIntegrityAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<string>>(
            "checking integrity",
            async connection =>
            {
                var problems = new List<string>();
                using (var cmd = connection.CreateCommand())
                {
                    cmd.CommandText = "PRAGMA integrity_check";
                    using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        if (reader.GetString(0) != "ok")
                        {
                            problems.Add("integrity_check: " + reader.GetString(0));
                        }
                    }
                }

                using (var cmd = connection.CreateCommand())
                {
                    cmd.CommandText = "SELECT person_id, version, content_hash, bundle_json, details_json, source_records FROM ehr_versions ORDER BY person_id, version";
                    using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    var (person, expected) = ("", 1);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var (p, v) = (reader.GetString(0), reader.GetInt32(1));
                        expected = p == person ? expected + 1 : 1;
                        person = p;
                        if (v != expected)
                        {
                            problems.Add($"person {p}: version {v} where {expected} was expected");
                            expected = v;
                        }

                        if (EhrAggregateSerializer.Hash((byte[])reader.GetValue(3), (byte[])reader.GetValue(4), (byte[])reader.GetValue(5)) != reader.GetString(2))
                        {
                            problems.Add($"person {p} version {v}: content does not match its hash");
                        }
                    }
                }

                return problems;
            },
            [],
            cancellationToken);

    private async IAsyncEnumerable<EhrVersionInfo> QueryInfosAsync(string sql, string? personId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Read whole (one short read-only transaction), so a caller that works between items holds no lock.
        var infos = await _database.ReadAsync(
            personId is null ? "listing persons" : $"listing the versions of person {personId}",
            async connection =>
            {
                var list = new List<EhrVersionInfo>();
                using var cmd = connection.CreateCommand();
                cmd.CommandText = sql;
                if (personId is not null)
                {
                    cmd.Parameters.AddWithValue("$p", personId);
                }

                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    list.Add(new EhrVersionInfo(
                        reader.GetString(0),
                        reader.GetInt32(1),
                        DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                        reader.GetInt32(3),
                        reader.GetString(4),
                        JsonSerializer.Deserialize<string[]>(reader.GetString(5)) ?? []));
                }

                return list;
            },
            [],
            cancellationToken).ConfigureAwait(false);
        foreach (var info in infos)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
        }
    }

    private static async Task<(int Version, string? Hash)> LatestAsync(SqliteConnection connection, SqliteTransaction tx, string personId, CancellationToken cancellationToken)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT version, content_hash FROM ehr_versions WHERE person_id = $p ORDER BY version DESC LIMIT 1";
        cmd.Parameters.AddWithValue("$p", personId);
        using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt32(0), reader.GetString(1)) : (0, null);
    }

    private static async Task<List<string>> OwnersAsync(SqliteConnection connection, SqliteTransaction? tx, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var owners = new List<string>();
        if (keys.Count == 0)
        {
            return owners;
        }

        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        var names = keys.Select((_, i) => "$k" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        cmd.CommandText = $"SELECT person_id FROM ehr_person_patients WHERE patient_key IN ({string.Join(',', names)})";
        for (var i = 0; i < keys.Count; i++)
        {
            cmd.Parameters.AddWithValue(names[i], keys[i]);
        }

        using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            owners.Add(reader.GetString(0));
        }

        return owners;
    }

    private static Task ClaimAsync(SqliteConnection connection, SqliteTransaction tx, IReadOnlyList<string> keys, string personId, CancellationToken cancellationToken) =>
        ExecuteForEachKeyAsync(connection, tx,
            "INSERT INTO ehr_person_patients (patient_key, person_id) VALUES ($k, $p) ON CONFLICT (patient_key) DO UPDATE SET person_id = excluded.person_id",
            keys, personId, cancellationToken);

    // One prepared statement run once a key ($k), with the person ($p) fixed.
    private static async Task ExecuteForEachKeyAsync(SqliteConnection connection, SqliteTransaction tx, string sql, IReadOnlyList<string> keys, string personId, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        var key = command.Parameters.Add("$k", SqliteType.Text);
        command.Parameters.AddWithValue("$p", personId);
        foreach (var k in keys)
        {
            key.Value = k;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // The person's identifying keys and Patients are those of their latest save.
    private static async Task IndexIdentityAsync(SqliteConnection connection, SqliteTransaction tx, string personId, IReadOnlyList<string> identityKeys, string patientsJson, CancellationToken cancellationToken)
    {
        using (var clear = connection.CreateCommand())
        {
            clear.Transaction = tx;
            clear.CommandText = """
                DELETE FROM ehr_identity_keys WHERE person_id = $p;
                INSERT INTO ehr_person_identity (person_id, patients_json) VALUES ($p, $j)
                    ON CONFLICT (person_id) DO UPDATE SET patients_json = excluded.patients_json;
                """;
            clear.Parameters.AddWithValue("$p", personId);
            clear.Parameters.AddWithValue("$j", patientsJson);
            await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await ExecuteForEachKeyAsync(connection, tx, "INSERT OR IGNORE INTO ehr_identity_keys (identity_key, person_id) VALUES ($k, $p)", identityKeys, personId, cancellationToken).ConfigureAwait(false);
    }
}
