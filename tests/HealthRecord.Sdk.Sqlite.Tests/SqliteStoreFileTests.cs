using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.Sqlite.Tests;

/// <summary>Files that are not a store, old stores, locks: clear typed errors, and files left as they were.</summary>
public sealed class SqliteStoreFileTests : IDisposable
{
    private static readonly Lazy<EhrAggregate> Sample = new(() => TestHost.AggregateAsync(TestHost.SampleSources).GetAwaiter().GetResult().Ehrs.Single());
    private readonly TempFolder _tmp = TestHost.TempFolder();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    public static TheoryData<string> NotAStore() => new() { "empty", "random", "text" };

    [Theory]
    [MemberData(nameof(NotAStore))]
    public async Task SaveAsync_FileIsNotAStore_ThrowsNotAStoreAndLeavesTheFileUntouched(string kind)
    {
        var path = _tmp.File(kind + ".db");
        var bytes = kind switch
        {
            "empty" => [],
            "random" => RandomBytes(8192),
            _ => System.Text.Encoding.UTF8.GetBytes(new string('x', 5000)),
        };
        await File.WriteAllBytesAsync(path, bytes);
        var store = new SqliteEhrStore($"Data Source={path}");

        var save = await Assert.ThrowsAsync<EhrStoreException>(() => store.SaveAsync(Sample.Value));
        var read = await Assert.ThrowsAsync<EhrStoreException>(() => store.GetAsync("someone"));

        Assert.Equal(EhrStoreErrorKind.NotAStore, save.Kind);
        Assert.Equal(EhrStoreErrorKind.NotAStore, read.Kind);
        Assert.Contains(path, save.Message, StringComparison.Ordinal);
        Assert.Contains("untouched", save.Message, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task SaveAsync_AnotherApplicationsDatabase_RefusedWithNoTableAddedAndJournalModeKept()
    {
        var path = _tmp.File("other-app.db");
        using (var other = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            using var cmd = other.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode = DELETE; CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('a');";
            cmd.ExecuteNonQuery();
        }

        var before = await File.ReadAllBytesAsync(path);

        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => new SqliteEhrStore($"Data Source={path}").SaveAsync(Sample.Value));

        Assert.Equal(EhrStoreErrorKind.NotAStore, ex.Kind);
        Assert.Contains("another application", ex.Message, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
        using var check = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        check.Open();
        using var mode = check.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("delete", mode.ExecuteScalar());
        mode.CommandText = "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'";
        Assert.Equal("accounts", mode.ExecuteScalar());
    }

    [Fact]
    public async Task SaveAsync_MissingFolder_ThrowsUnavailableAndCreatesNothing()
    {
        var folder = Path.Combine(_tmp.Path, "missing");
        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => new SqliteEhrStore($"Data Source={Path.Combine(folder, "ehr.db")}").SaveAsync(Sample.Value));

        Assert.Equal(EhrStoreErrorKind.Unavailable, ex.Kind);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task SaveAsync_ReadOnlyStore_ThrowsReadOnlyAndKeepsTheVersions()
    {
        var path = _tmp.File("ehr.db");
        await new SqliteEhrStore($"Data Source={path}").SaveAsync(Sample.Value);

        var readOnly = new SqliteEhrStore($"Data Source={path};Mode=ReadOnly");
        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => readOnly.SaveAsync(Sample.Value with { Records = [] }));

        Assert.Equal(EhrStoreErrorKind.ReadOnly, ex.Kind);
        Assert.Equal(1, (await readOnly.GetAsync(Sample.Value.PersonId))!.Version);
    }

    [Fact]
    public async Task GetAsync_NoFile_ReturnsNothingAndCreatesNoFile()
    {
        var path = _tmp.File("none.db");
        var store = new SqliteEhrStore($"Data Source={path}");

        Assert.Null(await store.GetAsync("someone"));
        Assert.Null(await store.FindPersonAsync(["a:Patient/1"]));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Reads_WhileAnotherWriterHoldsTheLock_DoNotWait()
    {
        var path = _tmp.File("ehr.db");
        await new SqliteEhrStore($"Data Source={path}").SaveAsync(Sample.Value);
        using var writer = new SqliteConnection($"Data Source={path};Pooling=False");
        writer.Open();
        using var tx = writer.BeginTransaction(deferred: false); // holds the write lock

        var reader = new SqliteEhrStore(Microsoft.Extensions.Options.Options.Create(new SqliteEhrStoreOptions { ConnectionString = $"Data Source={path}", BusyTimeout = TimeSpan.FromSeconds(30) }));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var persons = new List<EhrVersionInfo>();
        await foreach (var p in reader.ListPersonsAsync())
        {
            persons.Add(p);
        }

        Assert.Single(persons);
        Assert.NotNull(await reader.GetAsync(Sample.Value.PersonId));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"reads took {started.Elapsed}");
    }

    [Fact]
    public async Task SaveAsync_AnotherWriterHoldsTheLockPastTheTimeout_ThrowsBusy()
    {
        var path = _tmp.File("ehr.db");
        await new SqliteEhrStore($"Data Source={path}").SaveAsync(Sample.Value);
        using var writer = new SqliteConnection($"Data Source={path};Pooling=False");
        writer.Open();
        using var tx = writer.BeginTransaction(deferred: false);

        var store = new SqliteEhrStore(Microsoft.Extensions.Options.Options.Create(new SqliteEhrStoreOptions { ConnectionString = $"Data Source={path}", BusyTimeout = TimeSpan.FromSeconds(1) }));
        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => store.SaveAsync(Sample.Value with { Records = [] }));

        Assert.Equal(EhrStoreErrorKind.Busy, ex.Kind);
        Assert.Contains("busy timeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_StoreOfSchemaVersion1_IsMigratedForwardAndKeepsItsVersions()
    {
        var path = _tmp.File("v1.db");
        // The first release kept no source records with a version (and hashed none).
        var data = EhrAggregateSerializer.Serialize(Sample.Value with { SourceRecords = [] });
        using (var v1 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v1.Open();
            using var cmd = v1.CreateCommand();
            // The layout the first release wrote (no application_id, a non-unique patient key).
            cmd.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE ehr_schema (version INTEGER NOT NULL); INSERT INTO ehr_schema VALUES (1);
                CREATE TABLE ehr_versions (person_id TEXT NOT NULL, version INTEGER NOT NULL, saved_at TEXT NOT NULL, record_count INTEGER NOT NULL,
                    content_hash TEXT NOT NULL, sources TEXT NOT NULL, bundle_json BLOB NOT NULL, details_json BLOB NOT NULL, PRIMARY KEY (person_id, version)) WITHOUT ROWID;
                CREATE TABLE ehr_person_patients (patient_key TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (patient_key, person_id)) WITHOUT ROWID;
                INSERT INTO ehr_versions VALUES ($p, 1, '2026-01-01T00:00:00.0000000+00:00', 2, $h, '["a"]', $b, $d);
                INSERT INTO ehr_person_patients VALUES ($k, $p);
                """;
            cmd.Parameters.AddWithValue("$p", Sample.Value.PersonId);
            cmd.Parameters.AddWithValue("$h", data.ContentHash);
            cmd.Parameters.AddWithValue("$b", data.BundleJson);
            cmd.Parameters.AddWithValue("$d", data.DetailsJson);
            cmd.Parameters.AddWithValue("$k", Sample.Value.LinkedPatients[0].ToString());
            cmd.ExecuteNonQuery();
        }

        var store = new SqliteEhrStore($"Data Source={path}");
        var read = await store.GetAsync(Sample.Value.PersonId);
        var saved = await store.SaveAsync(Sample.Value with { Records = Sample.Value.Records.Skip(1).ToList() });

        Assert.Equal(1, read!.Version);
        Assert.Equal(2, saved.Version);
        Assert.Equal(Sample.Value.PersonId, await store.FindPersonAsync([Sample.Value.LinkedPatients[0].ToString()]));
        Assert.Empty(await store.CheckIntegrityAsync());
        using var check = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        check.Open();
        using var q = check.CreateCommand();
        q.CommandText = "PRAGMA application_id";
        Assert.Equal(0x48526563L, q.ExecuteScalar());
        q.CommandText = "SELECT version FROM ehr_schema";
        Assert.Equal((long)SqliteEhrStore.SchemaVersion, q.ExecuteScalar());
    }

    [Fact]
    public async Task Open_StoreFromANewerSdk_ThrowsSchemaTooNew()
    {
        var path = _tmp.File("ehr.db");
        await new SqliteEhrStore($"Data Source={path}").SaveAsync(Sample.Value);
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE ehr_schema SET version = 99";
            cmd.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => new SqliteEhrStore($"Data Source={path}").GetAsync(Sample.Value.PersonId));

        Assert.Equal(EhrStoreErrorKind.SchemaTooNew, ex.Kind);
    }

    private static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        new Random(7).NextBytes(bytes);
        return bytes;
    }
}
