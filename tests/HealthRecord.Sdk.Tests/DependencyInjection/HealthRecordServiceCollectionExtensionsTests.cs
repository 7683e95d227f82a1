using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Tests.DependencyInjection;

public class HealthRecordServiceCollectionExtensionsTests
{
    [Fact]
    public void AddHealthRecord_RegistersThePipelineWithDefaults()
    {
        using var sp = TestHost.Create();

        Assert.IsType<EhrAggregator>(sp.GetRequiredService<IEhrAggregator>());
        Assert.IsType<InMemoryEhrStore>(sp.GetRequiredService<IEhrStore>());
        Assert.Contains(sp.GetServices<ISourceDocumentReader>(), r => r is FhirJsonDocumentReader);
        Assert.Contains(sp.GetServices<IEmrSourceAdapter>(), a => a is FileSystemSourceAdapter);
        Assert.Equal(["fhir-bundle", "ndjson", "ips"], sp.GetServices<IEhrExporter>().Select(e => e.Format));
        Assert.NotNull(sp.GetRequiredService<IPatientMatcher>());
        Assert.Equal("source-priority", sp.GetRequiredService<IOptions<MergeOptions>>().Value.DefaultPolicy.Name);
    }

    [Fact]
    public void AddHealthRecord_CalledTwice_RegistersEachServiceOnce()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord();
        services.AddHealthRecord();
        using var sp = services.BuildServiceProvider();

        Assert.Equal(2, sp.GetServices<ISourceDocumentReader>().Count());
        Assert.Single(sp.GetServices<IEmrSourceAdapter>());
        Assert.Single(sp.GetServices<IEhrStore>());
    }

    [Fact]
    public void AddHealthRecord_CalledTwice_MergesOptionsInCallOrder()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.Configure(o => { o.MaxParallelSources = 3; o.SaveToStore = false; }));
        services.AddHealthRecord(hr => hr.Configure(o => o.MaxParallelSources = 5));
        using var sp = services.BuildServiceProvider();

        var options = sp.GetRequiredService<IOptions<HealthRecordOptions>>().Value;
        Assert.Equal(5, options.MaxParallelSources);
        Assert.False(options.SaveToStore);
        Assert.Single(sp.GetServices<IEhrAggregator>());
    }

    [Fact]
    public void AddHealthRecord_SecondCallChoosesAStore_ReplacesTheInMemoryDefault()
    {
        var store = new InMemoryEhrStore();
        var services = new ServiceCollection();
        services.AddHealthRecord();
        services.AddHealthRecord(hr => hr.UseStore(_ => store));
        using var sp = services.BuildServiceProvider();

        Assert.Same(store, Assert.Single(sp.GetServices<IEhrStore>()));
    }

    [Fact]
    public void AddHealthRecord_SecondCallAddsAnAdapter_FileSystemAdapterStaysLast()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord();
        services.AddHealthRecord(hr => hr.AddInMemorySources());
        using var sp = services.BuildServiceProvider();

        var adapters = sp.GetServices<IEmrSourceAdapter>().ToList();
        Assert.Equal(2, adapters.Count);
        Assert.IsType<FileSystemSourceAdapter>(adapters[^1]);
    }

    [Fact]
    public void AddHealthRecord_SameStoreTwice_RegistersItOnce()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.UseInMemoryStore());
        services.AddHealthRecord(hr => hr.UseInMemoryStore().UseInMemoryStore());
        using var sp = services.BuildServiceProvider();

        Assert.IsType<InMemoryEhrStore>(Assert.Single(sp.GetServices<IEhrStore>()));
    }

    [Fact]
    public void AddHealthRecord_SecondCallWithAnotherStore_IsRefusedNamingBoth()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.UseInMemoryStore());

        var ex = Assert.Throws<HealthRecordConfigurationException>(() => services.AddHealthRecord(hr => hr.UseStore(_ => new InMemoryEhrStore())));

        Assert.Equal(HealthRecordErrorCode.InvalidConfiguration, ex.Code);
        Assert.Contains("UseStore<InMemoryEhrStore>()", ex.Message, StringComparison.Ordinal);
        Assert.Contains("UseStore(factory)", ex.Message, StringComparison.Ordinal);
        Assert.IsType<InMemoryEhrStore>(Assert.Single(services.BuildServiceProvider().GetServices<IEhrStore>()));
    }

    [Fact]
    public void UseStore_HostRegisteredAStoreItself_IsRefused()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEhrStore, InMemoryEhrStore>();

        var ex = Assert.Throws<HealthRecordConfigurationException>(() => services.AddHealthRecord(hr => hr.UseStore(_ => new InMemoryEhrStore())));

        Assert.Contains("registered on the service collection (InMemoryEhrStore)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddStoreService_HostRegisteredTheService_KeepsTheHosts()
    {
        var review = new InMemoryLinkReview();
        var services = new ServiceCollection();
        services.AddSingleton<ILinkReview>(review);
        services.AddHealthRecord(hr => Assert.False(hr.AddStoreService<ILinkReview>(_ => new InMemoryLinkReview())));
        services.AddHealthRecord(hr => Assert.True(hr.AddStoreService<IMergeReview>(_ => new InMemoryMergeReview())));
        using var sp = services.BuildServiceProvider();

        Assert.Same(review, sp.GetRequiredService<ILinkReview>());
        Assert.Single(sp.GetServices<IMergeReview>());
    }

    [Fact]
    public void AddHealthRecord_HostChoices_WinOverDefaults()
    {
        var matcher = new SinglePersonMatcher();
        using var sp = TestHost.Create(hr => hr
            .UsePatientMatcher(matcher)
            .UseStore(_ => new InMemoryEhrStore())
            .ConfigureMerge(m => m.Default(MergePolicies.MostRecent()).For("Observation", MergePolicies.KeepAll())));

        Assert.Same(matcher, sp.GetRequiredService<IPatientMatcher>());
        var merge = sp.GetRequiredService<IOptions<MergeOptions>>().Value;
        Assert.Equal("most-recent", merge.PolicyFor("Condition").Name);
        Assert.Equal("keep-all", merge.PolicyFor("Observation").Name);
    }

    [Fact]
    public void AddHealthRecord_InvalidOptions_FailWithEveryError()
    {
        using var sp = TestHost.Create(hr => hr.Configure(o =>
        {
            o.MaxDocumentBytes = 0;
            o.MaxParallelSources = 0;
            o.SourcePriority.Add("a");
            o.SourcePriority.Add("a");
        }));

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<HealthRecordOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("MaxDocumentBytes", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("MaxParallelSources", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("more than once", StringComparison.Ordinal));
    }

    [Fact]
    public void MergeOptions_For_RejectsUnknownResourceTypes() =>
        Assert.Throws<ArgumentException>(() => new MergeOptions().For("Observaton", MergePolicies.KeepAll()));

    [Fact]
    public void MergePolicies_FromName_RejectsUnknownNames()
    {
        var ex = Assert.Throws<Errors.HealthRecordConfigurationException>(() => MergePolicies.FromName("newest"));
        Assert.Contains("source-priority", ex.Message, StringComparison.Ordinal);
        Assert.All(MergePolicies.Names, n => Assert.Equal(n, MergePolicies.FromName(n).Name));
    }
}
