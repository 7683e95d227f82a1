using HealthRecord.Sdk.Deduplication;
using Npgsql;
using static HealthRecord.Sdk.PostgreSql.PostgreSqlEhrStore;

namespace HealthRecord.Sdk.PostgreSql;

/// <summary>
/// Keeps reviewers' merge decisions (<see cref="IMergeReview"/>) in the PostgreSQL store, so "never merge these"
/// and "always merge these" hold for every later aggregation by every worker.
/// </summary>
/// <remarks>Thread-safe. Registered by <c>UsePostgreSqlStore</c>.</remarks>
public sealed class PostgreSqlMergeReview : IMergeReview
{
    private const char KeySeparator = '\u001f';
    private const string What = "reading or writing the merge decisions";
    private readonly PostgreSqlDatabase _db;
    private readonly TimeProvider _time;

    /// <summary>Creates the review store.</summary>
    /// <param name="database">The database (the same as the EHR store's).</param>
    /// <param name="timeProvider">The clock for when a decision was recorded.</param>
    public PostgreSqlMergeReview(PostgreSqlDatabase database, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<MergeOverride>> GetOverridesAsync(CancellationToken cancellationToken = default) =>
        await _db.ReadAsync<IReadOnlyList<MergeOverride>>(
            What,
            async connection =>
            {
                var list = new List<MergeOverride>();
                using var cmd = new NpgsqlCommand($"SELECT kind, records, reason FROM {_db.T("ehr_merge_overrides")} ORDER BY seq", connection);
                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (Enum.TryParse<MergeOverrideKind>(reader.GetString(0), out var kind))
                    {
                        list.Add(new MergeOverride(kind, reader.GetString(1).Split(KeySeparator), reader.IsDBNull(2) ? null : reader.GetString(2)));
                    }
                }

                return list;
            },
            [],
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask AddAsync(MergeOverride decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        decision = MergeOverride.Create(decision.Kind, decision.Records, decision.Reason);
        await _db.WriteAsync(
            What,
            async connection =>
            {
                using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(Command($"DELETE FROM {_db.T("ehr_merge_overrides")} WHERE kind = $1 AND records = $2", P(decision.Kind.ToString()), P(string.Join(KeySeparator, decision.Records))));
                batch.BatchCommands.Add(Command(
                    $"INSERT INTO {_db.T("ehr_merge_overrides")} (kind, records, reason, recorded_at) VALUES ($1, $2, $3, $4)",
                    P(decision.Kind.ToString()), P(string.Join(KeySeparator, decision.Records)), new NpgsqlParameter { Value = (object?)decision.Reason ?? DBNull.Value }, P(_time.GetUtcNow())));
                return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false); // a batch runs in one implicit transaction
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> RemoveAsync(MergeOverride decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        decision = MergeOverride.Create(decision.Kind, decision.Records, decision.Reason);
        var removed = await _db.WriteAsync(
            What,
            async connection =>
            {
                using var cmd = new NpgsqlCommand($"DELETE FROM {_db.T("ehr_merge_overrides")} WHERE kind = $1 AND records = $2", connection);
                cmd.Parameters.Add(P(decision.Kind.ToString()));
                cmd.Parameters.Add(P(string.Join(KeySeparator, decision.Records)));
                return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return removed > 0;
    }
}
