using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Deduplication;

/// <summary>Reviewers' standing decisions ("never merge these", "always merge these") hold in every later aggregation.</summary>
public sealed class MergeReviewTests
{
    private static readonly AggregationRequest Sample = new() { Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList() };

    [Fact]
    public async Task NeverMerge_SplitsARecordTheMatcherMerged_InEveryLaterRun()
    {
        using var sp = TestHost.Create();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var before = Assert.Single((await aggregator.AggregateAsync(Sample)).Ehrs);
        var merged = before.Records.First(r => r.Sources.Count > 1 && r.Resource is Condition);
        var keys = merged.Sources.Select(s => s.ToString()).ToList();

        await sp.GetRequiredService<IMergeReview>().AddAsync(MergeOverride.Create(MergeOverrideKind.NeverMerge, keys, "two episodes"));

        for (var run = 0; run < 2; run++)
        {
            var after = Assert.Single((await aggregator.AggregateAsync(Sample)).Ehrs);
            foreach (var record in after.Records)
            {
                Assert.True(record.Sources.Count(s => keys.Contains(s.ToString())) <= 1, $"{record.Reference} still holds two records a reviewer kept apart.");
            }

            // Nothing is lost: every source record of the split record is still in the EHR.
            Assert.All(keys, k => Assert.Contains(after.Records, r => r.Sources.Any(s => s.ToString() == k)));
            Assert.Equal(before.Records.Count + keys.Count - 1, after.Records.Count);
        }
    }

    [Fact]
    public async Task AlwaysMerge_JoinsRecordsTheMatcherKeptApart_AndSaysWhy()
    {
        using var sp = TestHost.Create();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var before = Assert.Single((await aggregator.AggregateAsync(Sample)).Ehrs);
        var conditions = before.Records.Where(r => r.Resource is Condition && r.Sources.Count == 1).Take(2).ToList();
        Assert.Equal(2, conditions.Count);
        var keys = conditions.Select(r => r.Sources[0].ToString()).ToList();

        await sp.GetRequiredService<IMergeReview>().AddAsync(MergeOverride.Create(MergeOverrideKind.AlwaysMerge, keys, "same problem, recoded"));
        var after = Assert.Single((await aggregator.AggregateAsync(Sample)).Ehrs);

        var joined = Assert.Single(after.Records, r => r.Sources.Any(s => s.ToString() == keys[0]));
        Assert.Equal(keys.Order(StringComparer.Ordinal), joined.Sources.Select(s => s.ToString()).Order(StringComparer.Ordinal));
        Assert.Contains(DuplicateClusterer.ManualMergeRule, joined.Rule, StringComparison.Ordinal);
        Assert.Contains("same problem, recoded", joined.Rule, StringComparison.Ordinal);
        Assert.Equal(before.Records.Count - 1, after.Records.Count);
        Assert.All(keys, k => Assert.Contains(after.Lineage, l => $"{l.SourceName}:{l.SourceResource}" == k && l.Action == LineageAction.Merged));
    }

    [Fact]
    public async Task NeverMerge_WinsOverAlwaysMerge()
    {
        using var sp = TestHost.Create();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var before = Assert.Single((await aggregator.AggregateAsync(Sample)).Ehrs);
        var keys = before.Records.Where(r => r.Resource is Condition && r.Sources.Count == 1).Take(2).Select(r => r.Sources[0].ToString()).ToList();
        var review = sp.GetRequiredService<IMergeReview>();
        await review.AddAsync(MergeOverride.Create(MergeOverrideKind.AlwaysMerge, keys));
        await review.AddAsync(MergeOverride.Create(MergeOverrideKind.NeverMerge, keys));

        var after = Assert.Single((await aggregator.AggregateAsync(Sample)).Ehrs);
        Assert.Equal(before.Records.Count, after.Records.Count);
        Assert.DoesNotContain(after.Records, r => r.Sources.Count(s => keys.Contains(s.ToString())) > 1);
    }

    [Fact]
    public async Task AlwaysMerge_OfDifferentTypes_IsReportedAndNotApplied()
    {
        using var sp = TestHost.Create();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var before = Assert.Single((await aggregator.AggregateAsync(Sample)).Ehrs);
        var condition = before.Records.First(r => r.Resource is Condition).Sources[0].ToString();
        var observation = before.Records.First(r => r.Resource is Observation).Sources[0].ToString();
        await sp.GetRequiredService<IMergeReview>().AddAsync(MergeOverride.Create(MergeOverrideKind.AlwaysMerge, [condition, observation]));

        var result = await aggregator.AggregateAsync(Sample);
        Assert.Equal(before.Records.Count, Assert.Single(result.Ehrs).Records.Count);
        Assert.Contains(result.Issues, i => i.Message.Contains("different types", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Decisions_AreIndependentOfTheOrderTheyWereRecordedIn()
    {
        using var sp1 = TestHost.Create();
        using var sp2 = TestHost.Create();
        var before = Assert.Single((await sp1.GetRequiredService<IEhrAggregator>().AggregateAsync(Sample)).Ehrs);
        var keys = before.Records.Where(r => r.Resource is Observation && r.Sources.Count == 1).Take(3).Select(r => r.Sources[0].ToString()).ToList();
        var a = MergeOverride.Create(MergeOverrideKind.AlwaysMerge, [keys[0], keys[1]]);
        var b = MergeOverride.Create(MergeOverrideKind.AlwaysMerge, [keys[1], keys[2]]);
        var c = MergeOverride.Create(MergeOverrideKind.NeverMerge, [keys[0], keys[2]]);
        foreach (var d in new[] { a, b, c })
        {
            await sp1.GetRequiredService<IMergeReview>().AddAsync(d);
        }

        foreach (var d in new[] { c, b, a })
        {
            await sp2.GetRequiredService<IMergeReview>().AddAsync(d);
        }

        var one = Assert.Single((await sp1.GetRequiredService<IEhrAggregator>().AggregateAsync(Sample)).Ehrs);
        var two = Assert.Single((await sp2.GetRequiredService<IEhrAggregator>().AggregateAsync(Sample)).Ehrs);
        Assert.Equal(one.Records.Select(r => r.Reference), two.Records.Select(r => r.Reference));
        Assert.DoesNotContain(one.Records, r => r.Sources.Any(s => s.ToString() == keys[0]) && r.Sources.Any(s => s.ToString() == keys[2]));
    }

    [Fact]
    public async Task InMemoryReview_ReplacesTheSameDecision_AndRemovesIt()
    {
        var review = new InMemoryMergeReview();
        await review.AddAsync(MergeOverride.Create(MergeOverrideKind.NeverMerge, ["b:Condition/2", "a:Condition/1"], "first"));
        await review.AddAsync(MergeOverride.Create(MergeOverrideKind.NeverMerge, ["a:Condition/1", "b:Condition/2"], "second"));
        var only = Assert.Single(await review.GetOverridesAsync());
        Assert.Equal(["a:Condition/1", "b:Condition/2"], only.Records);
        Assert.Equal("second", only.Reason);
        Assert.True(await review.RemoveAsync(MergeOverride.Create(MergeOverrideKind.NeverMerge, ["b:Condition/2", "a:Condition/1"])));
        Assert.Empty(await review.GetOverridesAsync());
        Assert.False(await review.RemoveAsync(only));
    }

    [Theory]
    [InlineData("a:Condition/1")]
    [InlineData("a:Condition/1", "a:Condition/1")]
    [InlineData("a:Condition/1", "Condition/2")]
    [InlineData("a:Condition/1", "b:Condition")]
    [InlineData("a:Condition/1", "b:Condition/2/3")]
    [InlineData("a:Condition/1", ":Condition/2")]
    public void Create_RefusesWhatDoesNotNameTwoSourceRecords(params string[] keys) =>
        Assert.Throws<ArgumentException>(() => MergeOverride.Create(MergeOverrideKind.AlwaysMerge, keys));
}
