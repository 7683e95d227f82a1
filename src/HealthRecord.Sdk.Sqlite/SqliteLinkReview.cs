using System.Globalization;
using System.Text.Json;
using HealthRecord.Sdk.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Sqlite;

/// <summary>
/// Keeps reviewers' identity answers and the possible links waiting for them (<see cref="ILinkReview"/>) in the
/// store's SQLite file, so an answer given once holds for every later aggregation, in this process and the next.
/// </summary>
/// <remarks>Thread-safe: each operation opens its own pooled connection. Registered by <c>UseSqliteStore</c>.</remarks>
public sealed class SqliteLinkReview : ILinkReview
{
    private readonly SqliteDatabase _database;
    private const string What = "reading or writing the identity review answers";
    private readonly TimeProvider _time;

    /// <summary>Creates the review store (its tables are created with the store, on the first write).</summary>
    /// <param name="options">The store options (the same file as the EHR store).</param>
    /// <param name="timeProvider">The clock for when an answer was recorded.</param>
    public SqliteLinkReview(IOptions<SqliteEhrStoreOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = new SqliteDatabase(options.Value);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates the review store for a connection string.</summary>
    /// <param name="connectionString">E.g. <c>Data Source=ehr.db</c>.</param>
    public SqliteLinkReview(string connectionString)
        : this(Options.Create(new SqliteEhrStoreOptions { ConnectionString = connectionString }))
    {
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ReviewedLink>> GetDecisionsAsync(CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(
            What,
            "SELECT left_key, right_key, decision FROM ehr_link_decisions ORDER BY left_key, right_key",
            r => Enum.TryParse<ReviewDecision>(r.GetString(2), out var decision) ? new ReviewedLink(r.GetString(0), r.GetString(1), decision) : null,
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask SubmitAsync(IReadOnlyList<PatientLink> links, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(links);
        if (links.Count == 0)
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

                // A pair already answered is not queued again; a pair queued again replaces its earlier entry.
                insert.CommandText = """
                    INSERT INTO ehr_link_pending (left_key, right_key, link_json)
                    SELECT $left, $right, $json
                    WHERE NOT EXISTS (SELECT 1 FROM ehr_link_decisions WHERE left_key = $left AND right_key = $right)
                    ON CONFLICT (left_key, right_key) DO UPDATE SET link_json = excluded.link_json
                    """;
                var left = insert.Parameters.Add("$left", SqliteType.Text);
                var right = insert.Parameters.Add("$right", SqliteType.Text);
                var json = insert.Parameters.Add("$json", SqliteType.Text);
                foreach (var link in links)
                {
                    (left.Value, right.Value) = string.CompareOrdinal(link.Left, link.Right) <= 0 ? (link.Left, link.Right) : (link.Right, link.Left);
                    json.Value = JsonSerializer.Serialize(link);
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<PatientLink>> GetPendingAsync(CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(
            What,
            "SELECT link_json FROM ehr_link_pending ORDER BY left_key, right_key",
            r => JsonSerializer.Deserialize<PatientLink>(r.GetString(0)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask ResolveAsync(string left, string right, ReviewDecision decision, CancellationToken cancellationToken = default)
    {
        var reviewed = ReviewedLink.Create(left, right, decision);
        await _database.RunAsync(
            What,
            async connection =>
            {
                using var tx = connection.BeginTransaction(deferred: false);
                using var upsert = connection.CreateCommand();
                upsert.Transaction = tx;
                upsert.CommandText = """
                    INSERT INTO ehr_link_decisions (left_key, right_key, decision, decided_at) VALUES ($left, $right, $decision, $at)
                    ON CONFLICT (left_key, right_key) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at;
                    DELETE FROM ehr_link_pending WHERE left_key = $left AND right_key = $right;
                    """;
                upsert.Parameters.AddWithValue("$left", reviewed.Left);
                upsert.Parameters.AddWithValue("$right", reviewed.Right);
                upsert.Parameters.AddWithValue("$decision", reviewed.Decision.ToString());
                upsert.Parameters.AddWithValue("$at", _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }
}
