using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
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
