using System.Diagnostics;
using System.Globalization;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.TestSupport.Storage;
using Npgsql;

namespace HealthRecord.Sdk.PostgreSql.Tests;

/// <summary>
/// A population run split across worker processes (<c>AggregationRequest.Shard</c>, the worker in
/// tests/HealthRecord.Sdk.StoreWorker) into one PostgreSQL: with 1, 2 and 4 workers the union of what they saved is
/// what one unsplit process saves.
/// </summary>
public sealed class PostgreSqlShardedPopulationTests : IAsyncLifetime
{
    private const int People = 12;
    private readonly List<string> _schemas = [];
    private readonly List<PostgreSqlDatabase> _opened = [];

    [SkippableFact]
    public async Task Workers_OneTwoAndFourShards_SaveEveryPersonOnceAsOneUnsplitProcessDoes()
    {
        var cs = PostgresServer.RequireConnectionString();
        using var tmp = TestHost.TempFolder();
        var sources = ShardPopulation.Write(tmp.Path, People);

        var referenceSchema = NewSchema();
        var reference = await RunWorkerAsync(cs, referenceSchema, "-", sources);
        Assert.True(reference.ExitCode == 0, reference.Output);
        var expected = Saved(reference.Output).ToDictionary(s => s.Person, s => s.Records, StringComparer.Ordinal);
        Assert.Equal(People, expected.Count); // the clinic's and the hospital's Patients of one person were linked
        var referenceStore = await StoredAsync(cs, referenceSchema);

        foreach (var workers in new[] { 1, 2, 4 })
        {
            var schema = NewSchema();
            var runs = await Task.WhenAll(Enumerable.Range(1, workers).Select(i => RunWorkerAsync(cs, schema, $"{i}/{workers}", sources)));
            Assert.All(runs, r => Assert.True(r.ExitCode == 0 && r.Output.Contains("done", StringComparison.Ordinal), r.Output));

            var saved = runs.SelectMany(r => Saved(r.Output)).ToList();
            Assert.Equal(saved.Count, saved.Select(s => s.Person).Distinct(StringComparer.Ordinal).Count()); // no person saved by two workers
            Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), saved.OrderBy(s => s.Person, StringComparer.Ordinal).Select(s => KeyValuePair.Create(s.Person, s.Records)));
            Assert.All(saved, s => Assert.Equal(1, s.Version));
            if (workers > 1)
            {
                Assert.True(runs.Count(r => Saved(r.Output).Count > 0) > 1, $"{workers} workers: the split gave every person to one worker");
            }

            // The store holds what the unsplit run's store holds: the same persons, one version each, the same records.
            Assert.Equal(referenceStore, await StoredAsync(cs, schema));
            var store = new PostgreSqlEhrStore(Open(cs, schema));
            Assert.Empty(await ((IEhrStoreIntegrity)store).CheckIntegrityAsync());
        }
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
            foreach (var schema in _schemas)
            {
                await using var cmd = source.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
                await cmd.ExecuteNonQueryAsync();
            }
        }
    }

    private string NewSchema()
    {
        var schema = PostgresServer.NewSchema();
        _schemas.Add(schema);
        return schema;
    }

    private PostgreSqlDatabase Open(string cs, string schema)
    {
        var db = PostgreSqlDatabase.Create(cs, schema);
        _opened.Add(db);
        return db;
    }

    // Per person: latest version, record count, and the source patients it holds.
    private async Task<List<string>> StoredAsync(string cs, string schema)
    {
        var store = new PostgreSqlEhrStore(Open(cs, schema));
        var rows = new List<string>();
        await foreach (var person in store.ListPersonsAsync())
        {
            var latest = await store.GetRequiredAsync(person.PersonId);
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"{person.PersonId} v{person.Version} {latest.Records.Count} records {string.Join(',', latest.LinkedPatients.Select(p => p.SourceName + ":" + p.SourceResource).Order(StringComparer.Ordinal))}"));
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    private static List<(string Person, int Version, int Records)> Saved(string output) =>
        output.Split('\n', StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("saved ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Select(p => (p[1], int.Parse(p[2], CultureInfo.InvariantCulture), int.Parse(p[3], CultureInfo.InvariantCulture)))
            .ToList();

    private static async Task<(int ExitCode, string Output)> RunWorkerAsync(string cs, string schema, string shard, IReadOnlyList<string> sources)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { StoreProcessTests.WorkerPath(), "population", $"postgres:{cs}|{schema}", shard }.Concat(sources))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("The store worker did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, $"[worker {shard}]\n" + await output + await error);
    }
}
