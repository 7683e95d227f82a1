using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Tests.Identity;

/// <summary>
/// FEBRL (Christen, ANU) measured at the default thresholds with no training labels. Published best: FEBRL4 F1 0.9992
/// (P 1.0000, R 0.9984), FEBRL3 F1 0.9929. FEBRL4 at the defaults stays below it on purpose: 18 of its true pairs had the
/// given name and the SSN replaced by unrelated values (twin-shaped), 8 the birth date by one ten or more years away with
/// a different SSN (parent-and-child-shaped); docs/identity-linking.md lists them.
/// </summary>
public class FebrlCorpusTests(ITestOutputHelper output)
{
    private static readonly Lazy<List<PatientCandidate>> Febrl4 = new(() =>
        Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4a.csv"), "a").Concat(Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4b.csv"), "b")).ToList());

    private static readonly Lazy<List<PatientCandidate>> Febrl3 = new(() => Febrl.Read(Corpus.PathOf("linkage/febrl/dataset3.csv"), "a"));

    [CorpusFact]
    public async Task LinkAsync_Febrl4Defaults_PerfectPrecisionAndHighRecall()
    {
        var (quality, result) = await RunAsync(Febrl4.Value, new ProbabilisticPatientMatcherOptions(), crossOnly: true, "FEBRL4 defaults");

        Assert.True(quality.Precision >= 0.999, quality.ToString());
        // The twin and parent/child safeguards keep 26 FEBRL pairs possible (twin-shaped: given name and SSN replaced).
        Assert.True(quality.F1 >= 0.9973, quality.ToString());
        Assert.True(result.Statistics!.ReductionRatio >= 0.9995, result.Statistics.ToString());
        Assert.Empty(result.Warnings);
    }

    [CorpusFact]
    public async Task LinkAsync_Febrl4WithoutGivenNameSafeguard_MatchesPublishedBest()
    {
        var (quality, _) = await RunAsync(Febrl4.Value, new ProbabilisticPatientMatcherOptions { GivenNameSafeguard = false }, crossOnly: true, "FEBRL4 no given-name safeguard");

        Assert.True(quality.Precision >= 0.999, quality.ToString());
        // The 8 pairs left are parent/child-shaped (birth dates ten or more years apart, SSNs different or less than 100 apart).
        Assert.True(quality.F1 > 0.9991, quality.ToString());
    }

    [CorpusFact]
    public async Task LinkAsync_Febrl3Defaults_BeatsPublishedBest()
    {
        var (quality, result) = await RunAsync(Febrl3.Value, new ProbabilisticPatientMatcherOptions(), crossOnly: false, "FEBRL3 defaults");

        Assert.True(quality.Precision >= 0.999, quality.ToString());
        Assert.True(quality.F1 > 0.9929, quality.ToString());
        Assert.True(result.Statistics!.ReductionRatio >= 0.999, result.Statistics.ToString());
    }

    [CorpusFact]
    public async Task LinkAsync_Febrl3WithoutGivenNameSafeguard_BeatsPublishedBest()
    {
        var (quality, _) = await RunAsync(Febrl3.Value, new ProbabilisticPatientMatcherOptions { GivenNameSafeguard = false }, crossOnly: false, "FEBRL3 no given-name safeguard");

        Assert.True(quality.Precision >= 0.999, quality.ToString());
        Assert.True(quality.F1 > 0.9980, quality.ToString());
    }

    [CorpusFact]
    public void Pairs_Febrl4_KeepsNearlyEveryTruePair()
    {
        var candidates = Febrl4.Value.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        var features = candidates.Select(c => PatientFeatures.From(c.Key, c.Patient, NicknameTable.Default)).ToArray();

        var pairs = CandidateBlocker.Pairs(features, 500, []);

        var truePairs = pairs.Select(CandidateBlocker.Unpack).Count(p => Febrl.Entity(candidates[p.Left].Key) == Febrl.Entity(candidates[p.Right].Key));
        output.WriteLine($"FEBRL4 blocking: {pairs.Length} pairs, pairs completeness {truePairs / 5000.0:F4}");
        Assert.True(truePairs >= 4995, $"{truePairs} of 5000 true pairs survive blocking");
    }

    private async Task<(PairwiseQuality Quality, PatientLinkResult Result)> RunAsync(List<PatientCandidate> candidates, ProbabilisticPatientMatcherOptions options, bool crossOnly, string name)
    {
        var result = await new ProbabilisticPatientMatcher(Options.Create(options)).LinkAsync(candidates);
        var quality = PairwiseQuality.Of(candidates, result, crossOnly);
        var s = result.Statistics!;
        output.WriteLine($"{name}: {quality}; compared {s.ComparedPairs} of {s.TotalPairs} (reduction ratio {s.ReductionRatio:F6}); possible links {result.Links.Count(l => l.Decision == LinkDecision.Possible)}");
        return (quality, result);
    }
}
