using System.Text.RegularExpressions;
using HealthRecord.Cli;
using HealthRecord.Sdk.TestSupport.Storage;

namespace HealthRecord.Cli.Tests;

/// <summary><c>aggregate --store</c> naming the people it saved, and <c>--shard i/n</c> splitting a run.</summary>
public sealed partial class AggregateCommandTests : CliTestBase
{
    [Fact]
    public async Task Aggregate_TwoShardsIntoOneStore_SaveEachPersonOnceAsAnUnsplitRunDoes()
    {
        var sources = ShardPopulation.Write(Tmp.File("pop"), 12).SelectMany(s => new[] { "--source", s }).ToArray();

        var (wholeExit, whole) = await RunAsync(["aggregate", .. sources, "--store", $"sqlite:{Tmp.File("whole.db")}"]);
        var (firstExit, first) = await RunAsync(["aggregate", .. sources, "--store", $"sqlite:{Tmp.File("split.db")}", "--shard", "1/2"]);
        var (secondExit, second) = await RunAsync(["aggregate", .. sources, "--store", $"sqlite:{Tmp.File("split.db")}", "--shard", "2/2"]);

        Assert.True(wholeExit == CliApp.Success, whole);
        Assert.True(firstExit == CliApp.Success, first);
        Assert.True(secondExit == CliApp.Success, second);
        var expected = SavedLines(whole);
        Assert.Equal(12, expected.Count);
        Assert.All(expected, l => Assert.EndsWith(" version 1", l, StringComparison.Ordinal));
        Assert.NotEmpty(SavedLines(first));
        Assert.NotEmpty(SavedLines(second));
        Assert.Equal(expected, SavedLines(first).Concat(SavedLines(second)).Order(StringComparer.Ordinal)); // none twice, none missing
        Assert.Contains("Shard 1/2:", first, StringComparison.Ordinal);
        Assert.Contains("a run is not atomic across people", whole, StringComparison.Ordinal);

        // Run again: nothing changed, so every person keeps version 1 and is named again.
        var (againExit, again) = await RunAsync(["aggregate", .. sources, "--store", $"sqlite:{Tmp.File("split.db")}"]);
        Assert.Equal(CliApp.Success, againExit);
        Assert.Equal(expected, SavedLines(again));
    }

    [Theory]
    [InlineData("0/2")]
    [InlineData("3/2")]
    [InlineData("1/0")]
    [InlineData("one/two")]
    [InlineData("2")]
    public async Task Aggregate_BadShard_ExitsWithUsageError(string shard)
    {
        var (exit, output) = await RunAsync("aggregate", "--source", $"valley-primary-care={DataDir}/valley-primary-care.json", "--shard", shard);

        Assert.Equal(CliApp.UsageError, exit);
        Assert.Contains("--shard takes I/N", output, StringComparison.Ordinal);
    }

    private static List<string> SavedLines(string output) =>
        SavedLine().Matches(output).Select(m => m.Value).Order(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"saved: person [0-9a-f-]{36} version \d+")]
    private static partial Regex SavedLine();
}
