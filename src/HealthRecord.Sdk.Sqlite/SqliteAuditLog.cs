using System.Globalization;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Storage;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Sqlite;

/// <summary>Keeps the AuditEvents of every disclosure in the store's SQLite file (<see cref="IEhrAuditLog"/>); the events of one share are written in one transaction.</summary>
/// <remarks>Thread-safe. Registered by <c>UseSqliteStore</c> as the <see cref="Consent.IAuditSink"/>.</remarks>
public sealed class SqliteAuditLog : IEhrAuditLog
{
    private const string What = "reading or writing the AuditEvents";
    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;

    /// <summary>Creates the audit log (its table is created with the store, on the first write).</summary>
    /// <param name="options">The store options (the same file as the EHR store).</param>
    /// <param name="timeProvider">The clock for when an event was recorded.</param>
    public SqliteAuditLog(IOptions<SqliteEhrStoreOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = new SqliteDatabase(options.Value);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates the audit log for a connection string.</summary>
    /// <param name="connectionString">E.g. <c>Data Source=ehr.db</c>.</param>
    public SqliteAuditLog(string connectionString)
        : this(Options.Create(new SqliteEhrStoreOptions { ConnectionString = connectionString }))
    {
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        await _database.RunAsync(
            What,
            async connection =>
            {
                using var tx = connection.BeginTransaction(deferred: false);
                using var insert = connection.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO ehr_audit_events (recorded_at, event_json) VALUES ($at, $json)";
                insert.Parameters.AddWithValue("$at", _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                var json = insert.Parameters.Add("$json", SqliteType.Text);
                foreach (var e in events)
                {
                    json.Value = FhirJson.Serialize(e);
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditEvent>> ReadAsync(CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(What, "SELECT event_json FROM ehr_audit_events ORDER BY seq", r => (AuditEvent)Hl7.Fhir.Serialization.PocoDeserializationExtensions.DeserializeResource(FhirJson.StructuralDeserializer, r.GetString(0)), cancellationToken).ConfigureAwait(false);
}
