using System.Globalization;
using HealthRecord.Sdk.Deduplication;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Sqlite;

/// <summary>
/// Keeps reviewers' merge decisions (<see cref="IMergeReview"/>) in the store's SQLite file, so "never merge
/// these" and "always merge these" hold for every later aggregation, in this process and the next.
/// </summary>
/// <remarks>Thread-safe: each operation opens its own pooled connection. Registered by <c>UseSqliteStore</c>.</remarks>
public sealed class SqliteMergeReview : IMergeReview
{
    private const char KeySeparator = '\u001f';
    private const string What = "reading or writing the merge decisions";
    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;

    /// <summary>Creates the review store (its table is created with the store, on the first write).</summary>
    /// <param name="options">The store options (the same file as the EHR store).</param>
    /// <param name="timeProvider">The clock for when a decision was recorded.</param>
    public SqliteMergeReview(IOptions<SqliteEhrStoreOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = new SqliteDatabase(options.Value);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates the review store for a connection string.</summary>
    /// <param name="connectionString">E.g. <c>Data Source=ehr.db</c>.</param>
    public SqliteMergeReview(string connectionString)
        : this(Options.Create(new SqliteEhrStoreOptions { ConnectionString = connectionString }))
    {
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<MergeOverride>> GetOverridesAsync(CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(
            What,
            "SELECT kind, records, reason FROM ehr_merge_overrides ORDER BY seq",
            r => Enum.TryParse<MergeOverrideKind>(r.GetString(0), out var kind) ? new MergeOverride(kind, r.GetString(1).Split(KeySeparator), r.IsDBNull(2) ? null : r.GetString(2)) : null,
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask AddAsync(MergeOverride decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        decision = MergeOverride.Create(decision.Kind, decision.Records, decision.Reason);
        await _database.RunAsync(
            What,
            async connection =>
            {
                using var tx = connection.BeginTransaction(deferred: false);
                await DeleteAsync(connection, tx, decision, cancellationToken).ConfigureAwait(false);
                using var insert = connection.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO ehr_merge_overrides (kind, records, reason, recorded_at) VALUES ($kind, $records, $reason, $at)";
                insert.Parameters.AddWithValue("$kind", decision.Kind.ToString());
                insert.Parameters.AddWithValue("$records", string.Join(KeySeparator, decision.Records));
                insert.Parameters.AddWithValue("$reason", (object?)decision.Reason ?? DBNull.Value);
                insert.Parameters.AddWithValue("$at", _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> RemoveAsync(MergeOverride decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        decision = MergeOverride.Create(decision.Kind, decision.Records, decision.Reason);
        var removed = 0;
        await _database.RunAsync(What, async connection => removed = await DeleteAsync(connection, null, decision, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return removed > 0;
    }

    private static async Task<int> DeleteAsync(SqliteConnection connection, SqliteTransaction? tx, MergeOverride decision, CancellationToken cancellationToken)
    {
        using var delete = connection.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM ehr_merge_overrides WHERE kind = $kind AND records = $records";
        delete.Parameters.AddWithValue("$kind", decision.Kind.ToString());
        delete.Parameters.AddWithValue("$records", string.Join(KeySeparator, decision.Records));
        return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
