using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.Warmup;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Tests.Warmup;

public class HealthRecordWarmupTests
{
    [Fact]
    public async Task WarmUpAsync_ReadsTheSyntheticEmrsAndRunsEveryExporter()
    {
        using var sp = TestHost.Create();

        var report = await sp.GetRequiredService<IHealthRecordWarmup>().WarmUpAsync();

        Assert.Equal(13, report.RecordsRead);
        Assert.Equal(sp.GetServices<IEhrExporter>().Count(), report.Exporters);
        Assert.True(report.StoreRead);
        Assert.True(report.Elapsed > TimeSpan.Zero);
    }

    [Fact]
    public async Task WarmUpAsync_SavesNothingToTheStore()
    {
        using var sp = TestHost.Create(hr => hr.Configure(o => o.SaveToStore = true));

        await sp.GetRequiredService<IHealthRecordWarmup>().WarmUpAsync();

        var persons = new List<EhrVersionInfo>();
        await foreach (var p in sp.GetRequiredService<IEhrStore>().ListPersonsAsync())
        {
            persons.Add(p);
        }

        Assert.Empty(persons);
    }

    [Fact]
    public async Task WarmUpAsync_CalledConcurrentlyAndAgain_Succeeds()
    {
        using var sp = TestHost.Create();
        var warmup = sp.GetRequiredService<IHealthRecordWarmup>();

        var reports = await Task.WhenAll(warmup.WarmUpAsync(), warmup.WarmUpAsync(), warmup.WarmUpAsync());
        var again = await warmup.WarmUpAsync();

        Assert.All(reports, r => Assert.Equal(again.RecordsRead, r.RecordsRead));
    }

    [Fact]
    public async Task WarmUpAsync_Cancelled_Throws()
    {
        using var sp = TestHost.Create();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sp.GetRequiredService<IHealthRecordWarmup>().WarmUpAsync(cts.Token));
    }

    [Fact]
    public async Task SyntheticEmrs_AggregateIntoOnePersonWithMergedRecordsAndAConflict()
    {
        // The warm-up is only worth its time if its data goes down the paths a real aggregation takes:
        // identity linking across two sources, duplicate matching, a merge and a conflict.
        using var sp = TestHost.Create();
        var reader = sp.GetServices<ISourceDocumentReader>().OfType<FhirJsonDocumentReader>().Single();
        var records = new List<SourceRecord>();
        for (var i = 0; i < HealthRecordWarmup.SourceNames.Length; i++)
        {
            var document = SourceDocument.FromBytes(HealthRecordWarmup.SourceNames[i], "emr.json", SyntheticEmrs.Document(i));
            await foreach (var record in reader.ReadAsync(document))
            {
                records.Add(record);
            }
        }

        var result = await sp.GetRequiredService<IEhrAggregator>().AggregateRecordsAsync(records, new AggregationRequest { SaveToStore = false });

        Assert.All(records, r => Assert.Null(r.Rejection));
        var ehr = Assert.Single(result.Ehrs);
        Assert.Contains(ehr.Records, r => r.Sources.Count > 1 && r.Resource.TypeName == "Condition");
        Assert.Contains(ehr.Records, r => r.Sources.Count > 1 && r.Resource.TypeName == "Observation");
        Assert.NotEmpty(ehr.Conflicts);
        Assert.Empty(result.Unattributed);
    }

    [Fact]
    public async Task WarmUpAsync_StoreUnreachable_ReportsItInsteadOfThrowing()
    {
        using var sp = TestHost.Create(hr => hr.Services.AddSingleton<IEhrStore, UnreachableStore>());

        var report = await sp.GetRequiredService<IHealthRecordWarmup>().WarmUpAsync();

        Assert.False(report.StoreRead);
        Assert.Equal(13, report.RecordsRead);
    }

    private sealed class UnreachableStore : IEhrStore
    {
        private static EhrStoreException Down() => new(EhrStoreErrorKind.Failed, "The test store is down.");

        public Task<EhrAggregate> SaveAsync(EhrAggregate aggregate, CancellationToken cancellationToken = default) => throw Down();

        public Task<EhrAggregate?> GetAsync(string personId, int? version = null, CancellationToken cancellationToken = default) => throw Down();

        public Task<string?> FindPersonAsync(IReadOnlyCollection<string> linkedPatients, CancellationToken cancellationToken = default) => throw Down();

        public IAsyncEnumerable<EhrVersionInfo> ListPersonsAsync(CancellationToken cancellationToken = default) => throw Down();

        public IAsyncEnumerable<EhrVersionInfo> ListVersionsAsync(string personId, CancellationToken cancellationToken = default) => throw Down();
    }
}
