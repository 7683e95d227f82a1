using System.Diagnostics;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.TestSupport;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Tests.Identity;

public class FebrlCorpusTests(ITestOutputHelper output)
{
    [CorpusFact]
    public async Task LinkAsync_Febrl4_BeatsPublishedBest()
    {
        var candidates = Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4a.csv"), "a")
            .Concat(Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4b.csv"), "b")).ToList();
        var started = Stopwatch.GetTimestamp();
        var result = await new ProbabilisticPatientMatcher(Microsoft.Extensions.Options.Options.Create(new ProbabilisticPatientMatcherOptions { GivenNameSafeguard = Environment.GetEnvironmentVariable("SAFE") != "0" })).LinkAsync(candidates);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var quality = PairwiseQuality.Of(candidates, result, crossOnly: true);
        output.WriteLine($"FEBRL4: {quality}; compared {result.Statistics!.ComparedPairs} of {result.Statistics.TotalPairs}, RR {result.Statistics.ReductionRatio:F6}, {elapsed.TotalSeconds:F2} s, prior {result.Statistics.EstimatedMatchShare}");
        foreach (var l in result.Links.Where(l => Febrl.Entity(l.Left) != Febrl.Entity(l.Right) && l.Decision == LinkDecision.Match).Take(10)) output.WriteLine("FP " + l.Left + " " + l.Right + " " + l.Explanation);
        var persons = result.Persons.SelectMany(p => p.Select(k => (k, p))).ToDictionary(x => x.k, x => x.p);
        foreach (var g in candidates.GroupBy(c => Febrl.Entity(c.Key)).Where(g => g.Count() == 2 && persons[g.First().Key] != persons[g.Last().Key]).Take(15))
        {
            var l = result.Links.FirstOrDefault(l => (l.Left == g.First().Key && l.Right == g.Last().Key) || (l.Right == g.First().Key && l.Left == g.Last().Key));
            output.WriteLine("FN " + g.First().Key + " " + g.Last().Key + " " + (l?.Explanation ?? "not linked"));
        }

        Assert.True(quality.Precision >= 0.999, quality.ToString());
        Assert.True(quality.F1 > 0.9992, quality.ToString());
    }

    [CorpusFact]
    public async Task LinkAsync_Febrl3_BeatsPublishedBest()
    {
        var candidates = Febrl.Read(Corpus.PathOf("linkage/febrl/dataset3.csv"), "a");
        var started = Stopwatch.GetTimestamp();
        var result = await new ProbabilisticPatientMatcher(Microsoft.Extensions.Options.Options.Create(new ProbabilisticPatientMatcherOptions { GivenNameSafeguard = Environment.GetEnvironmentVariable("SAFE") != "0" })).LinkAsync(candidates);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var quality = PairwiseQuality.Of(candidates, result, crossOnly: false);
        output.WriteLine($"FEBRL3: {quality}; compared {result.Statistics!.ComparedPairs} of {result.Statistics.TotalPairs}, RR {result.Statistics.ReductionRatio:F6}, {elapsed.TotalSeconds:F2} s, prior {result.Statistics.EstimatedMatchShare}");
        foreach (var l in result.Links.Where(l => Febrl.Entity(l.Left) != Febrl.Entity(l.Right) && l.Decision == LinkDecision.Match).Take(10)) output.WriteLine("FP " + l.Left + " " + l.Right + " " + l.Explanation);
        var persons = result.Persons.SelectMany(p => p.Select(k => (k, p))).ToDictionary(x => x.k, x => x.p);
        foreach (var g in candidates.GroupBy(c => Febrl.Entity(c.Key)).Where(g => g.Select(c => persons[c.Key]).Distinct().Count() > 1).Take(15))
        {
            output.WriteLine("FN group " + string.Join(" ", g.Select(c => c.Key + "=>" + persons[c.Key][0])));
            foreach (var l in result.Links.Where(l => Febrl.Entity(l.Left) == g.Key && Febrl.Entity(l.Right) == g.Key && l.Decision != LinkDecision.Match)) output.WriteLine("   " + l.Left + " " + l.Right + " " + l.Explanation);
        }

        Assert.True(quality.Precision >= 0.999, quality.ToString());
        Assert.True(quality.F1 > 0.9929, quality.ToString());
    }
}
