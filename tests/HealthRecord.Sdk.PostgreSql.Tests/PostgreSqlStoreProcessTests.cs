using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport.Storage;
using Npgsql;

namespace HealthRecord.Sdk.PostgreSql.Tests;

/// <summary>Crash and concurrency tests (<see cref="StoreProcessTests"/>) on one PostgreSQL database (a schema of its own).</summary>
public sealed class PostgreSqlStoreProcessTests : StoreProcessTests, IAsyncLifetime
{
    private readonly string _schema = PostgresServer.NewSchema();
    private readonly List<PostgreSqlDatabase> _opened = [];

    protected override string WorkerStore => $"postgres:{PostgresServer.RequireConnectionString()}|{_schema}";

    protected override IEhrStore OpenStore()
    {
        var db = PostgreSqlDatabase.Create(PostgresServer.RequireConnectionString(), _schema);
        _opened.Add(db);
        return new PostgreSqlEhrStore(db);
    }

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
}
