using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Sqlite.Tests;

/// <summary>Merge decisions kept in the store's file hold for aggregations in later processes.</summary>
public sealed class SqliteMergeReviewTests : IDisposable
{
    private readonly TempFolder _tmp = TestHost.TempFolder();

    private static AggregationRequest Sample => new() { Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList() };

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    [Fact]
    public async Task Decisions_SurviveANewHost_AndEveryLaterAggregationHonoursThem()
    {
        var connection = $"Data Source={_tmp.File("ehr.db")}";
        List<string> keys;
        int recordsBefore;
        using (var first = TestHost.Create(hr => hr.UseSqliteStore(connection)))
        {
            Assert.IsType<SqliteMergeReview>(first.GetRequiredService<IMergeReview>());
            var ehr = (await first.GetRequiredService<IEhrAggregator>().AggregateAsync(Sample)).Ehrs.Single();
            recordsBefore = ehr.Records.Count;
            keys = ehr.Records.First(r => r.Sources.Count > 1).Sources.Select(s => s.ToString()).ToList();
            await first.GetRequiredService<IMergeReview>().AddAsync(MergeOverride.Create(MergeOverrideKind.NeverMerge, keys, "reviewed by Dr. Lee"));
        }

        SqliteConnection.ClearAllPools();
        using var second = TestHost.Create(hr => hr.UseSqliteStore(connection));
        var stored = Assert.Single(await second.GetRequiredService<IMergeReview>().GetOverridesAsync());
        Assert.Equal(MergeOverrideKind.NeverMerge, stored.Kind);
        Assert.Equal(keys.Order(StringComparer.Ordinal), stored.Records);
        Assert.Equal("reviewed by Dr. Lee", stored.Reason);

        var result = await second.GetRequiredService<IEhrAggregator>().AggregateAsync(Sample);
        var after = result.Ehrs.Single();
        Assert.Equal(recordsBefore + keys.Count - 1, after.Records.Count);
        Assert.DoesNotContain(after.Records, r => r.Sources.Count(s => keys.Contains(s.ToString())) > 1);
        Assert.Equal(2, after.Version);
    }

    [Fact]
    public async Task AddAsync_ReplacesTheSameDecision_RemoveAsyncDeletesIt()
    {
        var review = new SqliteMergeReview($"Data Source={_tmp.File("review.db")}");
        await review.AddAsync(MergeOverride.Create(MergeOverrideKind.AlwaysMerge, ["b:Condition/2", "a:Condition/1"], "first"));
        await review.AddAsync(MergeOverride.Create(MergeOverrideKind.AlwaysMerge, ["a:Condition/1", "b:Condition/2"], "second"));
        await review.AddAsync(MergeOverride.Create(MergeOverrideKind.NeverMerge, ["a:Condition/1", "b:Condition/2"]));

        var all = await review.GetOverridesAsync();
        Assert.Equal([MergeOverrideKind.AlwaysMerge, MergeOverrideKind.NeverMerge], all.Select(d => d.Kind));
        Assert.Equal("second", all[0].Reason);

        Assert.True(await review.RemoveAsync(all[0]));
        Assert.False(await review.RemoveAsync(all[0]));
        Assert.Equal(MergeOverrideKind.NeverMerge, Assert.Single(await review.GetOverridesAsync()).Kind);
    }

    [Fact]
    public async Task AFileThatIsNotADatabase_GivesAStoreError()
    {
        var path = _tmp.Write("not-a-db.db", "this is not a SQLite database, just text that is long enough to have a header page..........................................................");
        var review = new SqliteMergeReview($"Data Source={path}");
        var ex = await Assert.ThrowsAsync<EhrStoreException>(async () => await review.GetOverridesAsync());
        Assert.Equal(HealthRecordErrorCode.StoreFailure, ex.Code);
    }
}
