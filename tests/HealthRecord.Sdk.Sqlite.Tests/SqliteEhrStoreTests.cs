using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Sqlite;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HealthRecord.Sdk.Sqlite.Tests;

public sealed class SqliteEhrStoreTests : IDisposable
{
    private readonly TempFolder _tmp = TestHost.TempFolder();

    private static readonly Lazy<EhrAggregate> Sample = new(() => TestHost.AggregateAsync(TestHost.SampleSources).GetAwaiter().GetResult().Ehrs.Single());

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    private SqliteEhrStore NewStore(TimeProvider? time = null) => new($"Data Source={_tmp.File("ehr.db")}", time);

    [Fact]
    public async Task SaveAsync_ThenGetAsync_ReturnsTheSameEhr()
    {
        var store = NewStore();

        var saved = await store.SaveAsync(Sample.Value);
        var read = await store.GetAsync(Sample.Value.PersonId);

        Assert.Equal(1, saved.Version);
        Assert.NotNull(read);
        Assert.Equal(1, read.Version);
        Assert.Equal(FhirJson.Serialize(EhrBundleBuilder.Build(Sample.Value)), FhirJson.Serialize(EhrBundleBuilder.Build(read)));
        Assert.Equal(Sample.Value.Lineage, read.Lineage);
        Assert.Equal(Sample.Value.Conflicts.Select(EhrProvenanceExtensions.Describe), read.Conflicts.Select(EhrProvenanceExtensions.Describe));
        Assert.Equal(Sample.Value.Records.Select(r => r.Rule), read.Records.Select(r => r.Rule));
    }

    [Fact]
    public async Task SaveAsync_UnchangedContent_DoesNotAddAVersion()
    {
        var store = NewStore();
        await store.SaveAsync(Sample.Value);
        var again = await store.SaveAsync(Sample.Value);

        Assert.Equal(1, again.Version);
        Assert.Single(await ToListAsync(store.ListVersionsAsync(Sample.Value.PersonId)));
    }

    [Fact]
    public async Task SaveAsync_ChangedContent_AddsVersionsAndKeepsOldOnes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var store = NewStore(time);
        await store.SaveAsync(Sample.Value);
        time.Advance(TimeSpan.FromDays(1));
        var smaller = Sample.Value with { Records = Sample.Value.Records.Skip(1).ToList() };
        var second = await store.SaveAsync(smaller);

        var versions = await ToListAsync(store.ListVersionsAsync(Sample.Value.PersonId));
        Assert.Equal(2, second.Version);
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal(new DateTimeOffset(2026, 1, 3, 3, 4, 5, TimeSpan.Zero), versions[1].SavedAt);
        Assert.Equal(Sample.Value.Records.Count + 1, (await store.GetAsync(Sample.Value.PersonId, 1))!.Records.Count + 1);
        Assert.Equal(Sample.Value.Records.Count - 1, (await store.GetAsync(Sample.Value.PersonId))!.Records.Count);
        var person = Assert.Single(await ToListAsync(store.ListPersonsAsync()));
        Assert.Equal(2, person.Version);
    }

    [Fact]
    public async Task SaveAsync_ConcurrentWriters_GetDistinctVersions()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => NewStore()).ToArray();
        var variants = Enumerable.Range(0, 8).Select(i => Sample.Value with { Records = Sample.Value.Records.Skip(i).ToList() }).ToArray();

        var saved = await Task.WhenAll(variants.Select((v, i) => Task.Run(() => stores[i % stores.Length].SaveAsync(v))));

        Assert.Equal(Enumerable.Range(1, 8), saved.Select(s => s.Version).Order());
    }

    [Fact]
    public async Task FindPersonAsync_FindsThePersonOfAnyLinkedPatient()
    {
        var store = NewStore();
        await store.SaveAsync(Sample.Value);

        Assert.Equal(Sample.Value.PersonId, await store.FindPersonAsync([Sample.Value.LinkedPatients[1].ToString(), "x:Patient/none"]));
        Assert.Null(await store.FindPersonAsync(["x:Patient/none"]));
    }

    [Fact]
    public async Task GetAsync_UnknownPerson_ReturnsNull() =>
        Assert.Null(await NewStore().GetAsync("nobody"));

    [Fact]
    public async Task SaveAsync_FileIsNotADatabase_ThrowsStoreErrorAndWritesNothing()
    {
        var path = _tmp.Write("not-a-db.db", "this is not a SQLite database, just text that is long enough to have a header page..........................................................");
        var before = await File.ReadAllBytesAsync(path);
        var store = new SqliteEhrStore($"Data Source={path}");

        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => store.SaveAsync(Sample.Value));

        Assert.Equal(HealthRecordErrorCode.StoreFailure, ex.Code);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task UseSqliteStore_AggregatorSavesThroughIt()
    {
        var db = _tmp.File("di.db");
        using var sp = TestHost.Create(hr => hr.UseSqliteStore($"Data Source={db}"));

        var result = await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList() });

        Assert.IsType<SqliteEhrStore>(sp.GetRequiredService<IEhrStore>());
        Assert.Equal(1, result.Ehrs.Single().Version);
        Assert.True(File.Exists(db));
        Assert.NotNull(await new SqliteEhrStore($"Data Source={db}").GetAsync(result.Ehrs[0].PersonId));
    }

    [Fact]
    public void UseSqliteStore_InvalidConnectionString_FailsValidation()
    {
        using var sp = TestHost.Create(hr => hr.UseSqliteStore(o => o.ConnectionString = ""));

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("ConnectionString", StringComparison.Ordinal));
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var i in items)
        {
            list.Add(i);
        }

        return list;
    }
}
