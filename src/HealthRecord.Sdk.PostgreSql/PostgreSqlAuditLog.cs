using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Storage;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Npgsql;
using NpgsqlTypes;
using static HealthRecord.Sdk.PostgreSql.PostgreSqlEhrStore;

namespace HealthRecord.Sdk.PostgreSql;

/// <summary>Keeps the AuditEvents of every disclosure in the PostgreSQL store as <c>jsonb</c> (<see cref="IEhrAuditLog"/>); the events of one share are written in one batch.</summary>
/// <remarks>Thread-safe. Registered by <c>UsePostgreSqlStore</c> as the <see cref="Consent.IAuditSink"/>.</remarks>
public sealed class PostgreSqlAuditLog : IEhrAuditLog
{
    private const string What = "reading or writing the AuditEvents";
    private readonly PostgreSqlDatabase _db;
    private readonly TimeProvider _time;

    /// <summary>Creates the audit log.</summary>
    /// <param name="database">The database (the same as the EHR store's).</param>
    /// <param name="timeProvider">The clock for when an event was recorded.</param>
    public PostgreSqlAuditLog(PostgreSqlDatabase database, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        await _db.WriteAsync(
            What,
            async connection =>
            {
                using var batch = new NpgsqlBatch(connection);
                var now = _time.GetUtcNow();
                foreach (var e in events)
                {
                    batch.BatchCommands.Add(Command(
                        $"INSERT INTO {_db.T("ehr_audit_events")} (recorded_at, event) VALUES ($1, $2)",
                        P(now), new NpgsqlParameter { Value = FhirJson.Serialize(e), NpgsqlDbType = NpgsqlDbType.Jsonb }));
                }

                return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> ReadAsync(CancellationToken cancellationToken = default) =>
        _db.ReadAsync<IReadOnlyList<AuditEvent>>(
            What,
            async connection =>
            {
                var list = new List<AuditEvent>();
                using var cmd = new NpgsqlCommand($"SELECT event::text FROM {_db.T("ehr_audit_events")} ORDER BY seq", connection);
                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    list.Add((AuditEvent)Hl7.Fhir.Serialization.PocoDeserializationExtensions.DeserializeResource(FhirJson.StructuralDeserializer, reader.GetString(0)));
                }

                return list;
            },
            [],
            cancellationToken);
}
