using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Tests.Aggregation;

/// <summary>A source that cannot be read completely never shrinks a stored EHR (issue 12's first week, issue 14's partial server reads).</summary>
public class IncompleteSourceTests
{
    private static IReadOnlyList<SourceRequest> Sources(string? replaceLast = null) =>
        [.. TestHost.SampleSources.Select((s, i) => new SourceRequest(s.Name, i == TestHost.SampleSources.Count - 1 && replaceLast is not null ? replaceLast : s.Path))];

    [Fact]
    public async Task AggregateAsync_NamedSourceMissingNextRun_KeepsTheStoredVersion()
    {
        using var sp = TestHost.Create();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var store = sp.GetRequiredService<IEhrStore>();
        var first = Assert.Single((await aggregator.AggregateAsync(new AggregationRequest { Sources = Sources(), SaveToStore = true })).Ehrs);

        // The same sources, with a typo in the lab's path.
        var second = await aggregator.AggregateAsync(new AggregationRequest { Sources = Sources("/no/such/northeast-lab"), SaveToStore = true });

        var latest = await store.GetAsync(first.PersonId);
        Assert.Equal(first.Version, latest!.Version);
        Assert.Equal(first.Records.Count, latest.Records.Count);
        Assert.True(Assert.Single(second.Sources, s => s.Name == "northeast-lab").Incomplete);
        var issue = Assert.Single(second.Issues, i => i.Code == HealthRecordErrorCode.SourceUnavailable);
        Assert.Equal(IssueSeverity.Error, issue.Severity);
        Assert.Contains("northeast-lab", issue.Message, StringComparison.Ordinal);
        Assert.Equal(0, Assert.Single(second.Ehrs).Version);
    }

    [Fact]
    public async Task AggregatePopulationAsync_NamedSourceMissingNextRun_KeepsTheStoredVersion()
    {
        using var sp = TestHost.Create();
        var population = sp.GetRequiredService<IPopulationAggregator>();
        var store = sp.GetRequiredService<IEhrStore>();
        var saved = new List<EhrAggregate>();
        await population.AggregatePopulationAsync(new AggregationRequest { Sources = Sources(), SaveToStore = true }, (e, _) => { saved.Add(e); return ValueTask.CompletedTask; });
        var first = Assert.Single(saved);

        var second = await population.AggregatePopulationAsync(new AggregationRequest { Sources = Sources("/no/such/northeast-lab"), SaveToStore = true }, (_, _) => ValueTask.CompletedTask);

        Assert.Equal(first.Version, (await store.GetAsync(first.PersonId))!.Version);
        Assert.Contains(second.Issues, i => i.Code == HealthRecordErrorCode.SourceUnavailable && i.SourceName == "northeast-lab");
    }

    [Fact]
    public async Task AggregateAsync_EveryNamedSourceRead_SavesTheNextVersion()
    {
        using var sp = TestHost.Create();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var first = Assert.Single((await aggregator.AggregateAsync(new AggregationRequest { Sources = Sources(), SaveToStore = true })).Ehrs);
        var second = await aggregator.AggregateAsync(new AggregationRequest { Sources = Sources(), SaveToStore = true });

        Assert.DoesNotContain(second.Issues, i => i.Code == HealthRecordErrorCode.SourceUnavailable);
        Assert.DoesNotContain(second.Sources, s => s.Incomplete);
        Assert.True(Assert.Single(second.Ehrs).Version >= first.Version);
    }
}
