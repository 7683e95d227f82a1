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
/// The embedded default <see cref="IEhrStore"/>: one SQLite file in WAL mode. Each save is one
/// transaction that writes a whole new version or nothing; readers never see a half-written version.
/// </summary>
/// <remarks>
/// Thread-safe: each operation opens its own pooled connection. Several processes may share the file
/// (SQLite serialises writers); for many concurrent writers use the PostgreSQL store.
/// </remarks>
public sealed class SqliteEhrStore : IEhrStore
{
    private const int SchemaVersion = 1;
    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;

    /// <summary>Creates the store (the file and schema are created on first use).</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock for <see cref="EhrVersionInfo.SavedAt"/>.</param>
    public SqliteEhrStore(IOptions<SqliteEhrStoreOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = new SqliteDatabase(options.Value, InitialiseAsync);
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

    /// <inheritdoc />
    public async Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        var data = EhrAggregateSerializer.Serialize(aggregate);
        try
        {
            using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);

            // BEGIN IMMEDIATE takes the write lock up front, so two writers cannot both read the same
            // "latest version" and then collide.
            using var tx = connection.BeginTransaction(deferred: false);
            int latest = 0;
            string? latestHash = null;
            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "SELECT version, content_hash FROM ehr_versions WHERE person_id = $p ORDER BY version DESC LIMIT 1";
                cmd.Parameters.AddWithValue("$p", aggregate.PersonId);
                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    latest = reader.GetInt32(0);
                    latestHash = reader.GetString(1);
                }
            }

            if (latestHash == data.ContentHash)
            {
                tx.Rollback();
                return aggregate with { Version = latest };
            }

            var version = latest + 1;
            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = """
                    INSERT INTO ehr_versions (person_id, version, saved_at, record_count, content_hash, sources, bundle_json, details_json)
                    VALUES ($p, $v, $t, $n, $h, $s, $b, $d)
                    """;
                cmd.Parameters.AddWithValue("$p", aggregate.PersonId);
                cmd.Parameters.AddWithValue("$v", version);
                cmd.Parameters.AddWithValue("$t", _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                cmd.Parameters.AddWithValue("$n", aggregate.Records.Count + 1);
                cmd.Parameters.AddWithValue("$h", data.ContentHash);
                cmd.Parameters.AddWithValue("$s", JsonSerializer.Serialize(aggregate.Sources));
                cmd.Parameters.AddWithValue("$b", data.BundleJson);
                cmd.Parameters.AddWithValue("$d", data.DetailsJson);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var patient in aggregate.LinkedPatients)
            {
                using var link = connection.CreateCommand();
                link.Transaction = tx;
                link.CommandText = "INSERT OR IGNORE INTO ehr_person_patients (patient_key, person_id) VALUES ($k, $p)";
                link.Parameters.AddWithValue("$k", patient.ToString());
                link.Parameters.AddWithValue("$p", aggregate.PersonId);
                await link.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            tx.Commit();
            return aggregate with { Version = version };
        }
        catch (SqliteException ex)
        {
            throw new EhrStoreException($"Saving person {aggregate.PersonId} to {DataSource} failed; nothing was written: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async Task<EhrAggregate?> GetAsync(string personId, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(personId);
        try
        {
            using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var cmd = connection.CreateCommand();
            cmd.CommandText = version is null
                ? "SELECT version, bundle_json, details_json FROM ehr_versions WHERE person_id = $p ORDER BY version DESC LIMIT 1"
                : "SELECT version, bundle_json, details_json FROM ehr_versions WHERE person_id = $p AND version = $v";
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

            var v = reader.GetInt32(0);
            var bundle = (byte[])reader.GetValue(1);
            var details = (byte[])reader.GetValue(2);
            return EhrAggregateSerializer.Deserialize(bundle, details, v);
        }
        catch (SqliteException ex)
        {
            throw new EhrStoreException($"Reading person {personId} from {DataSource} failed: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async Task<string?> FindPersonAsync(IReadOnlyCollection<string> linkedPatients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(linkedPatients);
        if (linkedPatients.Count == 0)
        {
            return null;
        }

        try
        {
            using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var cmd = connection.CreateCommand();
            var names = linkedPatients.Select((_, i) => "$k" + i.ToString(CultureInfo.InvariantCulture)).ToList();
            cmd.CommandText = $"SELECT person_id, COUNT(*) AS shared FROM ehr_person_patients WHERE patient_key IN ({string.Join(',', names)}) GROUP BY person_id ORDER BY shared DESC, person_id LIMIT 1";
            var i = 0;
            foreach (var key in linkedPatients)
            {
                cmd.Parameters.AddWithValue(names[i++], key);
            }

            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
        catch (SqliteException ex)
        {
            throw new EhrStoreException($"Looking up linked patients in {DataSource} failed: {ex.Message}", ex);
        }
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

    private async IAsyncEnumerable<EhrVersionInfo> QueryInfosAsync(string sql, string? personId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (personId is not null)
        {
            cmd.Parameters.AddWithValue("$p", personId);
        }

        using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new EhrVersionInfo(
                reader.GetString(0),
                reader.GetInt32(1),
                DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                reader.GetInt32(3),
                reader.GetString(4),
                JsonSerializer.Deserialize<string[]>(reader.GetString(5)) ?? []);
        }
    }

    // Runs once per store instance (SqliteDatabase), before the first operation.
    private async Task InitialiseAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS ehr_schema (version INTEGER NOT NULL);
            INSERT INTO ehr_schema (version) SELECT {SchemaVersion} WHERE NOT EXISTS (SELECT 1 FROM ehr_schema);
            CREATE TABLE IF NOT EXISTS ehr_versions (
                person_id     TEXT    NOT NULL,
                version       INTEGER NOT NULL,
                saved_at      TEXT    NOT NULL,
                record_count  INTEGER NOT NULL,
                content_hash  TEXT    NOT NULL,
                sources       TEXT    NOT NULL,
                bundle_json   BLOB    NOT NULL,
                details_json  BLOB    NOT NULL,
                PRIMARY KEY (person_id, version)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS ehr_person_patients (
                patient_key   TEXT    NOT NULL,
                person_id     TEXT    NOT NULL,
                PRIMARY KEY (patient_key, person_id)
            ) WITHOUT ROWID;
            """;
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        using var check = connection.CreateCommand();
        check.CommandText = "SELECT version FROM ehr_schema LIMIT 1";
        var found = Convert.ToInt32(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (found != SchemaVersion)
        {
            throw new EhrStoreException($"{DataSource} has schema version {found}; this version of the SDK reads version {SchemaVersion}.");
        }
    }
}
