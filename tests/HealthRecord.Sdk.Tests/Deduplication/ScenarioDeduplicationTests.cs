using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Tests.Scenarios;
using HealthRecord.Sdk.TestSupport;
using Bundle = Hl7.Fhir.Model.Bundle;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Tests.Deduplication;

public class ScenarioDeduplicationTests(ITestOutputHelper output)
{
    internal static async Task<(EhrAggregate Ehr, Scenario Scenario)> AggregateAsync(Bundle bundle, int seed)
    {
        var scenario = ScenarioGenerator.Generate(bundle, seed);
        var ehr = await AggregateAsync(scenario);
        return (ehr, scenario);
    }

    internal static async Task<EhrAggregate> AggregateAsync(Scenario scenario, Action<IHealthRecordBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEmrSourceAdapter>(new ScenarioSourceAdapter(scenario.Sources));
        services.AddHealthRecord(hr =>
        {
            hr.Configure((HealthRecordOptions o) => o.SaveToStore = false);
            configure?.Invoke(hr);
        });
        using var sp = services.BuildServiceProvider();
        var result = await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = scenario.Requests });
        return Assert.Single(result.Ehrs);
    }

    private static string Describe(Hl7.Fhir.Model.Resource r) => r is Hl7.Fhir.Model.Observation o
        ? $"eff {(o.Effective as Hl7.Fhir.Model.FhirDateTime)?.Value} issued {o.Issued:O} value {(o.Value as Hl7.Fhir.Model.Quantity)?.Value} {(o.Value as Hl7.Fhir.Model.Quantity)?.Code} comps {string.Join(",", o.Component.Select(c => (c.Value as Hl7.Fhir.Model.Quantity)?.Value))}"
        : r.TypeName;

    internal static Bundle LoadBundle(string path) => FhirJson.Parse<Bundle>(File.ReadAllText(path));

    [Fact]
    public async Task Aggregate_FixturePatientSplitAcross15Emrs_MeetsPrecisionAndRecallGoals()
    {
        var bundle = LoadBundle(Corpus.Fixture("synthea/Paris_Casper.json"));
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var (ehr, scenario) = await AggregateAsync(bundle, seed);
            var m = PairwiseMetrics.Compute(ehr, scenario);
            output.WriteLine($"seed {seed}: {scenario.RecordCount} records, {scenario.Traps.Count} traps, {ehr.Records.Count} EHR records, {ehr.Conflicts.Count} conflicts, {m}");
            foreach (var rule in ehr.Records.Where(r => r.Sources.Count > 1).GroupBy(r => r.Rule.Split(" (")[0]).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                output.WriteLine($"  {rule.Count()} merged by {rule.Key}");
            }
            foreach (var f in m.FalseMerges.Take(10))
            {
                output.WriteLine("  false merge " + f);
            }

            Assert.Equal(0, m.TrapMerges);
            Assert.True(m.Precision >= 0.995, m.ToString());
            Assert.True(m.F1 >= 0.98, m.ToString());
            var references = PairwiseMetrics.Compute(ehr, scenario, referenceRecords: true);
            output.WriteLine("  practitioners and organizations: " + references);
            Assert.Equal(1.0, references.F1);
        }
    }

    [Fact]
    public async Task Aggregate_ExactDuplicateMatcherOnly_MissesTheVariedCopies()
    {
        // The control: identifier and content equality alone cannot see through the generator's variations.
        var scenario = ScenarioGenerator.Generate(LoadBundle(Corpus.Fixture("synthea/Paris_Casper.json")), 1);
        var ehr = await AggregateAsync(scenario, hr => hr.AddRecordMatcher<HealthRecord.Sdk.Deduplication.ExactDuplicateMatcher>());
        var m = PairwiseMetrics.Compute(ehr, scenario);
        output.WriteLine(m.ToString());
        Assert.True(m.Recall < 0.3, m.ToString());
    }

    [Fact]
    public async Task Aggregate_OldRulesOnTheNewScenario_MissResentCopies()
    {
        // The control for the generator: with the rules before issue #17 (two records of one source never merge
        // unless identical; 0.3 % value tolerance) the re-sent copies inside one EMR stay apart.
        var scenario = ScenarioGenerator.Generate(LoadBundle(Corpus.Fixture("synthea/Paris_Casper.json")), 1);
        var ehr = await AggregateAsync(scenario, hr => hr.ConfigureDeduplication(d =>
        {
            d.SameActTimeTolerance = TimeSpan.Zero;
            d.QuantityRelativeTolerance = 0.003;
        }));
        var m = PairwiseMetrics.Compute(ehr, scenario);
        output.WriteLine(m.ToString());
        Assert.True(m.Recall < 0.98, m.ToString());
    }

    [Fact]
    public void Generate_SameSeed_GivesTheSameScenario()
    {
        var bundle = LoadBundle(Corpus.Fixture("synthea/Paris_Casper.json"));
        var a = ScenarioGenerator.Generate(bundle, 5);
        var b = ScenarioGenerator.Generate(bundle, 5);
        Assert.Equal(a.Truth.OrderBy(x => x.Key, StringComparer.Ordinal), b.Truth.OrderBy(x => x.Key, StringComparer.Ordinal));
        Assert.Equal(15, a.Sources.Count);
        Assert.NotEmpty(a.Traps);
    }

    [Fact]
    public async Task Aggregate_FixturePatientOver50Seeds_NoTrapMergesAndGoalsMet()
    {
        // Each seed places its own traps and re-sends and shuffles every EMR's records; a failing seed replays.
        var bundle = LoadBundle(Corpus.Fixture("synthea/Paris_Casper.json"));
        long tp = 0, predicted = 0, actual = 0;
        int records = 0, trapsPlaced = 0;
        foreach (var seed in Enumerable.Range(100, 50))
        {
            var (ehr, scenario) = await AggregateAsync(bundle, seed);
            var m = PairwiseMetrics.Compute(ehr, scenario);
            if (m.TrapMerges > 0 || m.Precision < 0.995)
            {
                output.WriteLine($"seed {seed}: {m}; {string.Join("; ", m.FalseMerges)}");
            }

            Assert.True(m.TrapMerges == 0, $"seed {seed}: {m}; {string.Join("; ", m.FalseMerges)}");
            records += scenario.RecordCount;
            trapsPlaced += scenario.Traps.Count;
            tp += m.TruePositives;
            predicted += m.Predicted;
            actual += m.Actual;
        }

        var total = new PairwiseMetrics(tp, predicted, actual, 0, []);
        output.WriteLine($"50 seeds: {records} records, {trapsPlaced} traps, {total}");
        Assert.True(total.Precision >= 0.995, total.ToString());
        Assert.True(total.F1 >= 0.98, total.ToString());
    }

    // HEALTHRECORD_SCENARIO_SEEDS="1001,1002" measures other seeds (held out: never looked at while tuning).
    private static int[] CorpusSeeds() =>
        Environment.GetEnvironmentVariable("HEALTHRECORD_SCENARIO_SEEDS") is { Length: > 0 } seeds
            ? [.. seeds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture))]
            : [7];

    [CorpusFact]
    public async Task Aggregate_CorpusPatientsSplitAcross15Emrs_MeetsPrecisionAndRecallGoals()
    {
        long tp = 0, predicted = 0, actual = 0;
        int traps = 0, trapsPlaced = 0, records = 0;
        foreach (var (file, seed) in Corpus.SyntheaBundles().SelectMany(f => CorpusSeeds().Select(s => (f, s))))
        {
            var (ehr, scenario) = await AggregateAsync(LoadBundle(file), seed);
            var m = PairwiseMetrics.Compute(ehr, scenario);
            output.WriteLine($"{Path.GetFileNameWithoutExtension(file)[..12]} seed {seed}: {scenario.RecordCount} records, {m}");
            foreach (var f in m.FalseMerges.Take(5))
            {
                output.WriteLine("  false merge " + f);
                var record = ehr.Records.First(r => f.StartsWith(r.Reference + ":", StringComparison.Ordinal));
                foreach (var src in record.Sources)
                {
                    var res = scenario.Sources[src.SourceName].First(x => $"{x.TypeName}/{x.Id}" == src.SourceResource);
                    output.WriteLine($"    {src.SourceName} {scenario.Truth[src.ToString()]} {Describe(res)}");
                }
            }

            foreach (var f in m.Missed.Take(5))
            {
                output.WriteLine("  missed " + f);
            }

            trapsPlaced += scenario.Traps.Count;
            records += scenario.RecordCount;
            tp += m.TruePositives;
            predicted += m.Predicted;
            actual += m.Actual;
            traps += m.TrapMerges;
        }

        var total = new PairwiseMetrics(tp, predicted, actual, traps, []);
        output.WriteLine($"all: {records} records, {trapsPlaced} traps, {total}");
        Assert.Equal(0, traps);
        Assert.True(total.Precision >= 0.995, total.ToString());
        Assert.True(total.F1 >= 0.98, total.ToString());
    }
}
