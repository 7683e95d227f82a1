using HealthRecord.Sdk.TestSupport.Storage;
using Npgsql;

namespace HealthRecord.Sdk.PostgreSql.Tests;

/// <summary>The store contract (<see cref="EhrStoreConformanceTests"/>) on <see cref="PostgreSqlEhrStore"/>: each test gets its own schema; every Open is a new database instance over it.</summary>
public sealed class PostgreSqlEhrStoreConformanceTests : EhrStoreConformanceTests, IAsyncLifetime
{
    private readonly string _schema = PostgresServer.NewSchema();
    private readonly List<PostgreSqlDatabase> _opened = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var db in _opened)
        {
            await db.DisposeAsync();
        }

        if (Environment.GetEnvironmentVariable(PostgresServer.Variable) is { Length: > 0 } cs)
        {
            await using var source = NpgsqlDataSource.Create(cs);
            await using var cmd = source.CreateCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
            await cmd.ExecuteNonQueryAsync();
        }
    }

    protected override StoreSet Open()
    {
        var db = PostgreSqlDatabase.Create(PostgresServer.RequireConnectionString(), _schema);
        lock (_opened)
        {
            _opened.Add(db);
        }

        return new StoreSet(new PostgreSqlEhrStore(db), new PostgreSqlMergeReview(db), new PostgreSqlLinkReview(db), new PostgreSqlAuditLog(db));
    }
}
