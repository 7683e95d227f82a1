using CsCheck;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.TestSupport.Storage;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Aggregation;

/// <summary>Splitting a population run across workers (<see cref="PopulationShard"/>, <see cref="AggregationRequest.Shard"/>).</summary>
public class PopulationShardTests
{
    private static readonly Gen<string> Key =
        from source in Gen.OneOf("clinic", "hospital", "lab", "é-emr")
        from id in Gen.String[Gen.Char.AlphaNumeric, 1, 12]
        select $"{source}:Patient/{id}";

    [Fact]
    public void Owns_AnyPersonAndAnyShardCount_ExactlyOneShardOwnsThePersonWhateverTheKeyOrder()
    {
        Gen.Select(Key.List[1, 6], Gen.Int[1, 9]).Sample((keys, count) =>
        {
            var owners = Enumerable.Range(1, count).Where(i => new PopulationShard(i, count).Owns(keys)).ToList();
            var reversed = Enumerable.Range(1, count).Where(i => new PopulationShard(i, count).Owns(Enumerable.Reverse(keys))).ToList();
            return owners.Count == 1 && owners.SequenceEqual(reversed);
        });
    }

    [Fact]
    public void Owns_TheSmallestKeyDecides_SoAddingLargerPatientsKeepsThePersonInItsShard()
    {
        // A stable hash: the same smallest key is in the same shard in every process (no per-process string hash seed).
        Assert.True(new PopulationShard(1, 1).Owns(["a:Patient/1"]));
        Gen.Select(Key, Gen.Int[2, 8]).Sample((key, count) =>
        {
            var shard = Enumerable.Range(1, count).Single(i => new PopulationShard(i, count).Owns([key]));
            return new PopulationShard(shard, count).Owns([key + "~", key, key + "0"]);
        });
    }

    [Fact]
    public void Owns_ManyPeople_SpreadOverTheShards()
    {
        var owned = Enumerable.Range(1, 4).Select(i => Enumerable.Range(0, 400).Count(p => new PopulationShard(i, 4).Owns([$"emr:Patient/{p}"]))).ToList();

        Assert.Equal(400, owned.Sum());
        Assert.All(owned, o => Assert.InRange(o, 70, 130));
    }

    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/4", 2, 4)]
    [InlineData("4/4", 4, 4)]
    public void TryParse_IOfN_GivesTheShard(string text, int index, int count)
    {
        Assert.True(PopulationShard.TryParse(text, out var shard));
        Assert.Equal(new PopulationShard(index, count), shard);
        Assert.Equal(text, shard.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0/4")]
    [InlineData("5/4")]
    [InlineData("1/0")]
    [InlineData("-1/4")]
    [InlineData("1/")]
    [InlineData("/4")]
    [InlineData("1/4/2")]
    [InlineData(" 1/4")]
    public void TryParse_NotIOfN_IsRefused(string? text)
    {
        Assert.False(PopulationShard.TryParse(text, out var shard));
        Assert.Null(shard);
    }

    [Fact]
    public void Constructor_IndexOutsideOneToCount_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PopulationShard(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PopulationShard(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PopulationShard(1, 0));
    }

    [Fact]
    public async Task AggregatePopulationAsync_ThreeShards_TogetherGiveTheUnsplitRunsEhrsEachOnce()
    {
        using var tmp = TestHost.TempFolder();
        var sources = ShardPopulation.Write(tmp.Path, 12).Select(SourceRequest.Parse).ToList();

        var whole = await RunAsync(sources, null);
        var shards = new List<List<EhrAggregate>>();
        for (var i = 1; i <= 3; i++)
        {
            shards.Add(await RunAsync(sources, new PopulationShard(i, 3)));
        }

        Assert.Equal(12, whole.Count);
        Assert.All(shards, s => Assert.NotEmpty(s));
        var split = shards.SelectMany(s => s).OrderBy(e => e.PersonId, StringComparer.Ordinal).ToList();
        Assert.Equal(whole.Select(e => e.PersonId), split.Select(e => e.PersonId)); // none twice, none missing
        Assert.Equal(whole.Select(Json), split.Select(Json)); // and the same EHRs
    }

    [Fact]
    public async Task AggregateAsync_WithAShard_IsRefusedRatherThanSavingEveryone()
    {
        using var sp = TestHost.Create();
        var request = new AggregationRequest { Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList(), Shard = new PopulationShard(1, 2) };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => sp.GetRequiredService<IEhrAggregator>().AggregateAsync(request));
        Assert.Contains("population run", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<List<EhrAggregate>> RunAsync(IReadOnlyList<SourceRequest> sources, PopulationShard? shard)
    {
        using var sp = TestHost.Create(hr => hr.Configure(o => o.SaveToStore = false));
        var ehrs = new List<EhrAggregate>();
        var result = await sp.GetRequiredService<IPopulationAggregator>().AggregatePopulationAsync(new AggregationRequest { Sources = sources, Shard = shard }, (e, _) =>
        {
            ehrs.Add(e);
            return ValueTask.CompletedTask;
        });
        Assert.Equal(ehrs.Count, result.Persons);
        return ehrs.OrderBy(e => e.PersonId, StringComparer.Ordinal).ToList();
    }

    private static string Json(EhrAggregate ehr) => FhirJson.Serialize(EhrBundleBuilder.Build(ehr));
}
