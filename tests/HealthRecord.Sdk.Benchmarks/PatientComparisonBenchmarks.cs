using BenchmarkDotNet.Attributes;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.Tests.Identity;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>
/// Identity linking on FEBRL4 (5,000 × 5,000): compared pairs per second (one operation = one pair)
/// and the whole linkage end to end. Needs the corpus (linkage/febrl).
/// </summary>
[MemoryDiagnoser]
public class PatientComparisonBenchmarks
{
    private const int BlockedPairs = 13_130;
    private PatientFeatures[] _features = [];
    private long[] _blocked = [];
    private List<PatientCandidate> _candidates = [];

    [GlobalSetup]
    public void Setup()
    {
        _candidates = Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4a.csv"), "a")
            .Concat(Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4b.csv"), "b"))
            .OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        _features = _candidates.Select(c => PatientFeatures.From(c.Key, c.Patient, NicknameTable.Default)).ToArray();
        _blocked = CandidateBlocker.Pairs(_features, 500, []);
        if (_blocked.Length != BlockedPairs)
        {
            // OperationsPerInvoke must equal the real pair count, or the per-pair figure would be wrong.
            throw new InvalidOperationException($"Blocking now yields {_blocked.Length} pairs; update BlockedPairs.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BlockedPairs)]
    public ulong CompareBlockedPairs()
    {
        var x = 0UL;
        foreach (var p in _blocked)
        {
            var (a, b) = CandidateBlocker.Unpack(p);
            x ^= PatientComparator.Compare(_features[a], _features[b]);
        }

        return x;
    }

    [Benchmark]
    public async Task<int> LinkFebrl4() => (await new ProbabilisticPatientMatcher().LinkAsync(_candidates)).Persons.Count;
}
