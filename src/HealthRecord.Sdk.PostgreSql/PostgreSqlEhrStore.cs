using System.Runtime.CompilerServices;
using System.Text.Json;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Storage;
using Npgsql;
using NpgsqlTypes;

namespace HealthRecord.Sdk.PostgreSql;

/// <summary>
/// The shared <see cref="IEhrStore"/>: PostgreSQL, for many workers on many machines. Each save is one
/// transaction that claims the person (<see cref="PersonClaims"/>) and numbers the version under advisory locks
/// on the person and its source patients, so concurrent writers to one person serialise and none is lost; every
/// EHR record is also written as <c>jsonb</c> (binary COPY) for queries.
/// </summary>
/// <remarks>Thread-safe; stateless apart from the connection pool, so any number of instances and processes may share one database.</remarks>
public sealed class PostgreSqlEhrStore : IVersionedEhrStore, IEhrStoreIntegrity, IPersonIdentityIndex
{
    private const int MaxAttempts = 5;
    private readonly PostgreSqlDatabase _db;
    private readonly PersonClaims _claims = new();
    private readonly TimeProvider _time;

    /// <summary>Creates the store (the schema is created or migrated on the first write).</summary>
    /// <param name="database">The database.</param>
    /// <param name="timeProvider">The clock for <see cref="EhrVersionInfo.SavedAt"/>.</param>
    public PostgreSqlEhrStore(PostgreSqlDatabase database, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The database.</summary>
    public PostgreSqlDatabase Database => _db;

    /// <inheritdoc />
    public Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, CancellationToken cancellationToken = default) => SaveAsync(aggregate, (int?)null, cancellationToken);

    /// <inheritdoc />
    public Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, int expectedVersion, CancellationToken cancellationToken = default) => SaveAsync(aggregate, (int?)expectedVersion, cancellationToken);

    private async Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, int? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        var data = EhrAggregateSerializer.Serialize(aggregate);
        var keys = PersonClaims.KeysOf(aggregate);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _db.WriteAsync(
                    $"saving person {aggregate.PersonId}",
                    connection => SaveOnceAsync(connection, aggregate, data, keys, expectedVersion, cancellationToken),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Errors.EhrStoreException ex) when (attempt < MaxAttempts && ex.InnerException is PostgresException { SqlState: "40P01" or "40001" or "23505" })
            {
                // A deadlock between two claims, or a key taken between read and write: the transaction rolled back; run it again.
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<EhrAggregate> SaveOnceAsync(NpgsqlConnection connection, EhrAggregate aggregate, SerializedEhr data, IReadOnlyList<string> keys, int? expectedVersion, CancellationToken cancellationToken)
    {
        var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            // Advisory locks on the person and its source patients, in one order: writers of one person (or of one
            // patient under two person ids) serialise here; writers of other people run in parallel.
            await LockAsync(connection, tx, _db.Schema, keys.Append("person:" + aggregate.PersonId), cancellationToken).ConfigureAwait(false);
            var (latest, latestHash) = await LatestAsync(connection, tx, aggregate.PersonId, cancellationToken).ConfigureAwait(false);
            var owner = PersonClaims.Winner((await OwnersAsync(connection, tx, keys, cancellationToken).ConfigureAwait(false)).Where(o => o != aggregate.PersonId));
            var personId = _claims.Resolve(aggregate, latest > 0, owner);
            if (personId != aggregate.PersonId)
            {
                data = EhrAggregateSerializer.Rebase(aggregate, data, personId);
                await LockAsync(connection, tx, _db.Schema, ["person:" + personId], cancellationToken).ConfigureAwait(false);
                (latest, latestHash) = await LatestAsync(connection, tx, personId, cancellationToken).ConfigureAwait(false);
            }

            if (expectedVersion is { } expected && latest != expected)
            {
                throw new Errors.EhrStoreException(
                    EhrStoreErrorKind.Conflict,
                    $"Person {personId} has changed since version {expected} was read: another writer saved first; nothing was written. Read the latest version and retry.");
            }

            var version = latest;
            using var batch = new NpgsqlBatch(connection, tx);
            if (latestHash != data.ContentHash)
            {
                version = latest + 1;
                var now = _time.GetUtcNow();
                batch.BatchCommands.Add(Command(
                    $"""
                    INSERT INTO {_db.T("ehr_versions")} (person_id, version, saved_at, record_count, content_hash, sources, bundle_json, details_json, source_records)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """,
                    P(personId), P(version), P(now), P(aggregate.Records.Count + 1), P(data.ContentHash),
                    new NpgsqlParameter { Value = JsonSerializer.Serialize(aggregate.Sources), NpgsqlDbType = NpgsqlDbType.Jsonb },
                    P(data.BundleJson), P(data.DetailsJson), P(data.SourceRecordsJson)));
                batch.BatchCommands.Add(Command(
                    $"""
                    INSERT INTO {_db.T("ehr_persons")} (person_id, latest_version, latest_hash, updated_at) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (person_id) DO UPDATE SET latest_version = excluded.latest_version, latest_hash = excluded.latest_hash, updated_at = excluded.updated_at
                    """,
                    P(personId), P(version), P(data.ContentHash), P(now)));
            }

            batch.BatchCommands.Add(Command(
                $"""
                INSERT INTO {_db.T("ehr_person_patients")} (patient_key, person_id) SELECT k, $2 FROM unnest($1::text[]) AS k
                ON CONFLICT (patient_key) DO UPDATE SET person_id = excluded.person_id
                """,
                P(keys.ToArray()), P(personId)));

            // The person's identifying keys and Patients are those of their latest save (IPersonIdentityIndex).
            batch.BatchCommands.Add(Command($"DELETE FROM {_db.T("ehr_identity_keys")} WHERE person_id = $1", P(personId)));
            batch.BatchCommands.Add(Command(
                $"""
                INSERT INTO {_db.T("ehr_identity_keys")} (identity_key, person_id) SELECT k, $2 FROM unnest($1::text[]) AS k
                ON CONFLICT DO NOTHING
                """,
                P(PersonIdentityKeys.KeysOf(aggregate).ToArray()), P(personId)));
            batch.BatchCommands.Add(Command(
                $"""
                INSERT INTO {_db.T("ehr_person_identity")} (person_id, patients) VALUES ($1, $2)
                ON CONFLICT (person_id) DO UPDATE SET patients = excluded.patients
                """,
                P(personId), P(PersonIdentityKeys.PatientsJson(aggregate))));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            var saved = personId == aggregate.PersonId ? aggregate with { Version = version } : EhrAggregateSerializer.Deserialize(data, version);
            if (version != latest)
            {
                await CopyRecordsAsync(connection, saved, cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return saved;
        }
    }

    // Every EHR record of the version as jsonb, by binary COPY (one round trip however large the person).
    private async Task CopyRecordsAsync(NpgsqlConnection connection, EhrAggregate saved, CancellationToken cancellationToken)
    {
        var importer = await connection.BeginBinaryImportAsync(
            $"COPY {_db.T("ehr_records")} (person_id, version, reference, resource_type, resource) FROM STDIN (FORMAT BINARY)",
            cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (var resource in saved.Records.Select(r => r.Resource).Prepend(saved.Patient))
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(saved.PersonId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(saved.Version, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync($"{resource.TypeName}/{resource.Id}", NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(resource.TypeName, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(Fhir.FhirJson.Serialize(resource), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task<EhrAggregate?> GetAsync(string personId, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(personId);
        return _db.ReadAsync<EhrAggregate?>(
            $"reading person {personId}",
            async connection =>
            {
                using var cmd = new NpgsqlCommand(
                    version is null
                        ? $"SELECT version, bundle_json, details_json, source_records FROM {_db.T("ehr_versions")} WHERE person_id = $1 ORDER BY version DESC LIMIT 1"
                        : $"SELECT version, bundle_json, details_json, source_records FROM {_db.T("ehr_versions")} WHERE person_id = $1 AND version = $2",
                    connection);
                cmd.Parameters.Add(P(personId));
                if (version is not null)
                {
                    cmd.Parameters.Add(P(version.Value));
                }

                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                return EhrAggregateSerializer.Deserialize(reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3), reader.GetInt32(0));
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
        var owner = await _db.ReadAsync(
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
        var keys = identityKeys.Distinct(StringComparer.Ordinal).ToArray();
        if (keys.Length == 0 || maxPersons <= 0)
        {
            return Task.FromResult<IReadOnlyList<StoredPersonIdentity>>([]);
        }

        return _db.ReadAsync<IReadOnlyList<StoredPersonIdentity>>(
            "looking up persons by identity",
            async connection =>
            {
                var found = new List<StoredPersonIdentity>();
                using var cmd = new NpgsqlCommand(
                    $"""
                    SELECT i.person_id, i.patients
                    FROM (SELECT person_id, COUNT(*) AS shared FROM {_db.T("ehr_identity_keys")} WHERE identity_key = ANY($1)
                          GROUP BY person_id ORDER BY shared DESC, person_id COLLATE "C" LIMIT $2) c
                    JOIN {_db.T("ehr_person_identity")} i ON i.person_id = c.person_id
                    ORDER BY c.shared DESC, c.person_id COLLATE "C"
                    """,
                    connection);
                cmd.Parameters.Add(P(keys));
                cmd.Parameters.Add(P(maxPersons));
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
            $"""
            SELECT v.person_id, v.version, v.saved_at, v.record_count, v.content_hash, v.sources::text
            FROM {_db.T("ehr_persons")} p JOIN {_db.T("ehr_versions")} v ON v.person_id = p.person_id AND v.version = p.latest_version
            ORDER BY v.person_id COLLATE "C"
            """,
            null,
            cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<EhrVersionInfo> ListVersionsAsync(string personId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(personId);
        return QueryInfosAsync(
            $"SELECT person_id, version, saved_at, record_count, content_hash, sources::text FROM {_db.T("ehr_versions")} WHERE person_id = $1 ORDER BY version",
            personId,
            cancellationToken);
    }

    /// <summary>Checks every version's content hash, versions numbered 1..n, each person's latest pointer, and the jsonb records of every version. Reads only.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The problems found; empty when the store is sound.</returns>
    public Task<IReadOnlyList<string>> CheckIntegrityAsync(CancellationToken cancellationToken = default) =>
        _db.ReadAsync<IReadOnlyList<string>>(
            "checking integrity",
            async connection =>
            {
                var problems = new List<string>();
                using (var cmd = new NpgsqlCommand($"SELECT person_id, version, content_hash, bundle_json, details_json, source_records, record_count FROM {_db.T("ehr_versions")} ORDER BY person_id, version", connection))
                using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
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

                        if (EhrAggregateSerializer.Hash(reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4), reader.GetFieldValue<byte[]>(5)) != reader.GetString(2))
                        {
                            problems.Add($"person {p} version {v}: content does not match its hash");
                        }
                    }
                }

                const string Mismatch = """
                    SELECT v.person_id, v.version, v.record_count, count(r.reference)::int
                    FROM {0} v LEFT JOIN {1} r ON r.person_id = v.person_id AND r.version = v.version
                    GROUP BY v.person_id, v.version, v.record_count HAVING count(r.reference) <> v.record_count
                    UNION ALL
                    SELECT p.person_id, p.latest_version, -1, coalesce(max(v.version), 0)
                    FROM {2} p LEFT JOIN {0} v ON v.person_id = p.person_id
                    GROUP BY p.person_id, p.latest_version HAVING p.latest_version <> coalesce(max(v.version), 0)
                    """;
                using (var cmd = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, Mismatch, _db.T("ehr_versions"), _db.T("ehr_records"), _db.T("ehr_persons")), connection))
                using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        problems.Add(reader.GetInt32(2) < 0
                            ? $"person {reader.GetString(0)}: latest version {reader.GetInt32(1)} but {reader.GetInt32(3)} stored"
                            : $"person {reader.GetString(0)} version {reader.GetInt32(1)}: {reader.GetInt32(3)} jsonb records for {reader.GetInt32(2)}");
                    }
                }

                return problems;
            },
            [],
            cancellationToken);

    private async IAsyncEnumerable<EhrVersionInfo> QueryInfosAsync(string sql, string? personId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var infos = await _db.ReadAsync(
            personId is null ? "listing persons" : $"listing the versions of person {personId}",
            async connection =>
            {
                var list = new List<EhrVersionInfo>();
                using var cmd = new NpgsqlCommand(sql, connection);
                if (personId is not null)
                {
                    cmd.Parameters.Add(P(personId));
                }

                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    list.Add(new EhrVersionInfo(
                        reader.GetString(0),
                        reader.GetInt32(1),
                        reader.GetFieldValue<DateTimeOffset>(2),
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

    // Advisory locks are database-wide: the key includes the schema, so stores in other schemas of one database never
    // wait for each other.
    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string schema, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        using var batch = new NpgsqlBatch(connection, tx);
        foreach (var name in names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            batch.BatchCommands.Add(Command("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", P(schema + "/" + name)));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<(int Version, string? Hash)> LatestAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string personId, CancellationToken cancellationToken)
    {
        using var cmd = new NpgsqlCommand($"SELECT latest_version, latest_hash FROM {_db.T("ehr_persons")} WHERE person_id = $1 FOR UPDATE", connection, tx);
        cmd.Parameters.Add(P(personId));
        using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt32(0), reader.GetString(1)) : (0, null);
    }

    private async Task<List<string>> OwnersAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var owners = new List<string>();
        if (keys.Count == 0)
        {
            return owners;
        }

        using var cmd = new NpgsqlCommand($"SELECT person_id FROM {_db.T("ehr_person_patients")} WHERE patient_key = ANY($1)", connection, tx);
        cmd.Parameters.Add(P(keys.ToArray()));
        using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            owners.Add(reader.GetString(0));
        }

        return owners;
    }

    internal static NpgsqlParameter P<T>(T value) => new NpgsqlParameter<T> { TypedValue = value };

    internal static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }
}
