using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Tests.Identity;

/// <summary>
/// FEBRL (Christen, ANU) end to end through FHIR Patients (impossible birth dates dropped, as FHIR forces), at the default
/// thresholds with no training labels. The goals: automatic links precision ≥ 0.9999; automatic and review links together
/// recall ≥ 0.999 with a review queue under 1% of the records. Twin-shaped pairs (same surname, birth date and address,
/// another given name and SSN) go to review, never to an automatic link, whatever that costs the automatic recall.
/// FEBRL1 and FEBRL2 are held out: measured only after tuning on FEBRL3 and FEBRL4 had finished.
/// </summary>
public class FebrlCorpusTests(ITestOutputHelper output)
{
    private static readonly Lazy<List<PatientCandidate>> Febrl4 = new(() =>
        Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4a.csv"), "a").Concat(Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4b.csv"), "b")).ToList());

    private static readonly Lazy<List<PatientCandidate>> Febrl3 = new(() => Febrl.Read(Corpus.PathOf("linkage/febrl/dataset3.csv"), "a"));

    [CorpusFact]
    public async Task LinkAsync_Febrl4Defaults_MeetsTheHealthcareGoals()
    {
        var (quality, result) = await RunAsync(Febrl4.Value, new ProbabilisticPatientMatcherOptions(), crossOnly: true, "FEBRL4 defaults");

        AssertGoals(quality);
        // Exact, deterministic figures: 26 true pairs are twin- or parent/child-shaped and wait for review, and one (entity 1795:
        // given name a close typo, birth year one digit off) is held by the sibling safeguard.
        Assert.Equal((5000L, 4973L, 4973L), (quality.TruePairs, quality.PredictedPairs, quality.CorrectPairs));
        Assert.Equal(5000L, quality.ReviewCorrectPairs);
        Assert.True(result.Statistics!.ReductionRatio >= 0.9995, result.Statistics.ToString());
        Assert.Empty(result.Warnings);
    }

    [CorpusFact]
    public async Task LinkAsync_Febrl3Defaults_MeetsTheHealthcareGoals()
    {
        var (quality, result) = await RunAsync(Febrl3.Value, new ProbabilisticPatientMatcherOptions(), crossOnly: false, "FEBRL3 defaults");

        AssertGoals(quality);
        Assert.Equal(1.0, quality.Precision);
        // 67 true pairs are not merged automatically; every one waits for review (with review R 1.0000): 48 twin-shaped (another
        // given name and SSN), 6 parent/child-shaped or relatives, 5 where a record without a given name matches two records of
        // its entity that are twin-shaped to each other, 4 held by the sibling safeguard (given name a close typo, birth date
        // one digit off: entity 482's 1918/1981), 4 pairs of twin- or parent-shaped entities scored below possible.
        Assert.Equal((6538L, 6471L, 6538L), (quality.TruePairs, quality.CorrectPairs, quality.ReviewCorrectPairs));
        Assert.True(result.Statistics!.ReductionRatio >= 0.999, result.Statistics.ToString());
        var missed = MissedPairs.Of(Febrl3.Value, result, crossOnly: false).GroupBy(m => m.Reason).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(
            new Dictionary<MissedPairs.Reason, int>
            {
                [MissedPairs.Reason.TwinShaped] = 48, [MissedPairs.Reason.ParentChildOrRelative] = 6, [MissedPairs.Reason.NoGivenName] = 5, [MissedPairs.Reason.Possible] = 4,
                [MissedPairs.Reason.NotLinked] = 4,
            },
            missed);
    }

    [CorpusFact]
    public async Task LinkAsync_Febrl4WithoutGivenNameSafeguard_MatchesPublishedBest()
    {
        var (quality, _) = await RunAsync(Febrl4.Value, new ProbabilisticPatientMatcherOptions { GivenNameSafeguard = false }, crossOnly: true, "FEBRL4 no given-name safeguard");

        Assert.True(quality.Precision >= 0.9999, quality.ToString());
        // Of the 9 pairs left, 8 are parent/child-shaped (birth dates ten or more years apart, SSNs different or less than 100
        // apart) and one is held by the sibling safeguard (given name a close typo, birth year one digit off), which this option
        // does not turn off: F1 0.99910, a pair under the published best.
        Assert.True(quality.F1 > 0.9990, quality.ToString());
    }

    [CorpusFact]
    public async Task LinkAsync_Febrl3WithoutGivenNameSafeguard_BeatsPublishedBest()
    {
        var (quality, _) = await RunAsync(Febrl3.Value, new ProbabilisticPatientMatcherOptions { GivenNameSafeguard = false }, crossOnly: false, "FEBRL3 no given-name safeguard");

        Assert.True(quality.Precision >= 0.9999, quality.ToString());
        Assert.True(quality.F1 > 0.9980, quality.ToString());
    }

    [CorpusFact]
    public void Pairs_Febrl4_KeepsEveryTruePair()
    {
        var candidates = Febrl4.Value.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        var features = candidates.Select(c => PatientFeatures.From(c.Key, c.Patient, NicknameTable.Default)).ToArray();

        var pairs = CandidateBlocker.Pairs(features, 500, []);

        var truePairs = pairs.Select(CandidateBlocker.Unpack).Count(p => Febrl.Entity(candidates[p.Left].Key) == Febrl.Entity(candidates[p.Right].Key));
        output.WriteLine($"FEBRL4 blocking: {pairs.Length} pairs, pairs completeness {truePairs / 5000.0:F4}");
        Assert.Equal(5000, truePairs);
    }

    /// <summary>
    /// Held out: FEBRL1 and FEBRL2 were first measured after the tuning on FEBRL3 and FEBRL4 had finished. That first
    /// measurement found an implausible EM fit on FEBRL2 (P 0.9990, review queue 10%); the plausibility bound on the fit
    /// (MatchModel.MaximumDisagreementShare) was added on general grounds, and these are the figures after it, asserted
    /// exactly. FEBRL2 misses the with-review recall goal (0.9984): reported, not tuned away. The issue #17 changes tuned on
    /// FEBRL3/4 and the generated heavier errors cost FEBRL2 one automatic pair (1,928 → 1,927: a record without a given name
    /// now compared with two twin-shaped records of its entity); left as measured.
    /// </summary>
    [CorpusTheory]
    [InlineData("dataset1.csv", 500L, 498L, 500L)]
    [InlineData("dataset2.csv", 1934L, 1927L, 1931L)]
    public async Task LinkAsync_HeldOutFebrl1And2_PreciseWithASmallReviewQueue(string file, long truePairs, long correct, long correctWithReview)
    {
        var candidates = Febrl.Read(Corpus.PathOf("linkage/febrl/" + file), "a");

        var (quality, _) = await RunAsync(candidates, new ProbabilisticPatientMatcherOptions(), crossOnly: false, "held-out " + file);

        Assert.Equal(1.0, quality.Precision);
        Assert.Equal((truePairs, correct, correctWithReview), (quality.TruePairs, quality.CorrectPairs, quality.ReviewCorrectPairs));
        Assert.True(quality.ReviewShare < 0.01, quality.ToString());
    }

    private static void AssertGoals(PairwiseQuality quality)
    {
        Assert.True(quality.Precision >= 0.9999, quality.ToString());
        Assert.True(quality.RecallWithReview >= 0.999, quality.ToString());
        Assert.True(quality.ReviewShare < 0.01, quality.ToString());
    }

    private async Task<(PairwiseQuality Quality, PatientLinkResult Result)> RunAsync(List<PatientCandidate> candidates, ProbabilisticPatientMatcherOptions options, bool crossOnly, string name)
    {
        var review = new InMemoryLinkReview();
        var result = await new ProbabilisticPatientMatcher(Options.Create(options), review).LinkAsync(candidates);
        var queue = await review.GetPendingAsync();
        var quality = PairwiseQuality.Of(candidates, result, queue, crossOnly);
        var s = result.Statistics!;
        output.WriteLine($"{name}: {quality}; compared {s.ComparedPairs} of {s.TotalPairs} (reduction ratio {s.ReductionRatio:F6}); possible links {result.Links.Count(l => l.Decision == LinkDecision.Possible)}");
        var missed = MissedPairs.Of(candidates, result, crossOnly);
        output.WriteLine("missed (automatic): " + string.Join(", ", missed.GroupBy(m => m.Reason).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
        foreach (var (left, right, reason, why) in missed.Where(m => m.Reason is not (MissedPairs.Reason.TwinShaped or MissedPairs.Reason.ParentChildOrRelative)))
        {
            output.WriteLine($"  {reason}: {why}");
            output.WriteLine($"    {MissedPairs.Describe(left)}");
            output.WriteLine($"    {MissedPairs.Describe(right)}");
        }

        return (quality, result);
    }
}
