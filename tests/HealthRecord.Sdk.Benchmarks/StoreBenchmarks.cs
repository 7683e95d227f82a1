using BenchmarkDotNet.Attributes;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.PostgreSql;
using HealthRecord.Sdk.Sqlite;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>
/// Save and load throughput of the stores, with the sample patient (236 EHR records and its 311 source records).
/// Each save is a new version (the records alternate, so the content differs). PostgreSQL runs when
/// <c>HEALTHRECORD_POSTGRES</c> names a server (a schema of its own, dropped afterwards).
/// </summary>
/// <remarks>dotnet run -c Release --project tests/HealthRecord.Sdk.Benchmarks -- --filter '*StoreBenchmarks*' --job short</remarks>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private EhrAggregate[] _variants = [];
    private IEhrStore _store = null!;
    private PostgreSqlDatabase? _database;
    private string _folder = "";
    private int _next;

    /// <summary>The store under test.</summary>
    [Params("sqlite", "postgres")]
    public string Store { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        var result = TestHost.AggregateAsync(TestHost.SampleSources).GetAwaiter().GetResult();
        var sample = result.Ehrs.Single() with { SourceRecords = result.SourceRecords };
        _variants = [sample, sample with { Records = sample.Records.Skip(1).ToList() }];
        _folder = Path.Combine(Path.GetTempPath(), "hr-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        if (Store == "sqlite")
        {
            _store = new SqliteEhrStore($"Data Source={Path.Combine(_folder, "ehr.db")}");
        }
        else
        {
            var cs = Environment.GetEnvironmentVariable("HEALTHRECORD_POSTGRES")
                ?? throw new InvalidOperationException("Set HEALTHRECORD_POSTGRES to benchmark the PostgreSQL store.");
            _database = PostgreSqlDatabase.Create(cs, "bench_" + Guid.NewGuid().ToString("N")[..12]);
            _store = new PostgreSqlEhrStore(_database);
        }

        _store.SaveAsync(_variants[0]).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_database is not null)
        {
            using (var cmd = _database.DataSource.CreateCommand($"DROP SCHEMA {_database.Schema} CASCADE"))
            {
                cmd.ExecuteNonQuery();
            }

            _database.Dispose();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>One save of a new version (236 EHR records + 311 source records).</summary>
    [Benchmark]
    public Task<EhrAggregate> Save() => _store.SaveAsync(_variants[++_next % 2]);

    /// <summary>One load of the latest version, source records included.</summary>
    [Benchmark]
    public Task<EhrAggregate?> Load() => _store.GetAsync(_variants[0].PersonId);
}
