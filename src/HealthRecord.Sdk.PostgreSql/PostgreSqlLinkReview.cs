using System.Text.Json;
using HealthRecord.Sdk.Identity;
using Npgsql;
using NpgsqlTypes;
using static HealthRecord.Sdk.PostgreSql.PostgreSqlEhrStore;

namespace HealthRecord.Sdk.PostgreSql;

/// <summary>
/// Keeps reviewers' identity answers and the possible links waiting for them (<see cref="ILinkReview"/>) in the
/// PostgreSQL store, so an answer given once holds for every later aggregation by every worker.
/// </summary>
/// <remarks>Thread-safe. Registered by <c>UsePostgreSqlStore</c>.</remarks>
public sealed class PostgreSqlLinkReview : ILinkReview
{
    private const string What = "reading or writing the identity review answers";
    private readonly PostgreSqlDatabase _db;
    private readonly TimeProvider _time;

    /// <summary>Creates the review store.</summary>
    /// <param name="database">The database (the same as the EHR store's).</param>
    /// <param name="timeProvider">The clock for when an answer was recorded.</param>
    public PostgreSqlLinkReview(PostgreSqlDatabase database, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ReviewedLink>> GetDecisionsAsync(CancellationToken cancellationToken = default) =>
        await _db.ReadAsync<IReadOnlyList<ReviewedLink>>(
            What,
            async connection =>
            {
                var list = new List<ReviewedLink>();
                using var cmd = new NpgsqlCommand($"SELECT left_key, right_key, decision FROM {_db.T("ehr_link_decisions")} ORDER BY left_key COLLATE \"C\", right_key COLLATE \"C\"", connection);
                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (Enum.TryParse<ReviewDecision>(reader.GetString(2), out var decision))
                    {
                        list.Add(new ReviewedLink(reader.GetString(0), reader.GetString(1), decision));
                    }
                }

                return list;
            },
            [],
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask SubmitAsync(IReadOnlyList<PatientLink> links, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(links);
        if (links.Count == 0)
        {
            return;
        }

        await _db.WriteAsync(
            What,
            async connection =>
            {
                // A pair already answered is not queued again; a pair queued again replaces its earlier entry. One batch, one transaction.
                using var batch = new NpgsqlBatch(connection);
                foreach (var link in links)
                {
                    var (left, right) = string.CompareOrdinal(link.Left, link.Right) <= 0 ? (link.Left, link.Right) : (link.Right, link.Left);
                    batch.BatchCommands.Add(Command(
                        $"""
                        INSERT INTO {_db.T("ehr_link_pending")} (left_key, right_key, link_json)
                        SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM {_db.T("ehr_link_decisions")} WHERE left_key = $1 AND right_key = $2)
                        ON CONFLICT (left_key, right_key) DO UPDATE SET link_json = excluded.link_json
                        """,
                        P(left), P(right), new NpgsqlParameter { Value = JsonSerializer.Serialize(link), NpgsqlDbType = NpgsqlDbType.Jsonb }));
                }

                return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<PatientLink>> GetPendingAsync(CancellationToken cancellationToken = default) =>
        await _db.ReadAsync<IReadOnlyList<PatientLink>>(
            What,
            async connection =>
            {
                var list = new List<PatientLink>();
                using var cmd = new NpgsqlCommand($"SELECT link_json::text FROM {_db.T("ehr_link_pending")} ORDER BY left_key COLLATE \"C\", right_key COLLATE \"C\"", connection);
                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (JsonSerializer.Deserialize<PatientLink>(reader.GetString(0)) is { } link)
                    {
                        list.Add(link);
                    }
                }

                return list;
            },
            [],
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask ResolveAsync(string left, string right, ReviewDecision decision, CancellationToken cancellationToken = default)
    {
        var reviewed = ReviewedLink.Create(left, right, decision);
        await _db.WriteAsync(
            What,
            async connection =>
            {
                using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(Command(
                    $"""
                    INSERT INTO {_db.T("ehr_link_decisions")} (left_key, right_key, decision, decided_at) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (left_key, right_key) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at
                    """,
                    P(reviewed.Left), P(reviewed.Right), P(reviewed.Decision.ToString()), P(_time.GetUtcNow())));
                batch.BatchCommands.Add(Command($"DELETE FROM {_db.T("ehr_link_pending")} WHERE left_key = $1 AND right_key = $2", P(reviewed.Left), P(reviewed.Right)));
                return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }
}
