using CsCheck;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Tests.Scenarios;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Deduplication;

public class DeduplicationPropertyTests
{
    private static readonly Lazy<Bundle> Fixture = new(() => ScenarioDeduplicationTests.LoadBundle(Corpus.Fixture("synthea/Paris_Casper.json")));

    private static EhrAggregator AggregatorFor(IReadOnlyDictionary<string, IReadOnlyList<Resource>> sources, out ServiceProvider provider)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEmrSourceAdapter>(new ScenarioSourceAdapter(sources));
        services.AddHealthRecord(hr => hr.Configure((HealthRecordOptions o) => o.SaveToStore = false));
        provider = services.BuildServiceProvider();
        return (EhrAggregator)provider.GetRequiredService<IEhrAggregator>();
    }

    private static async Task<EhrAggregate> AggregateAsync(IReadOnlyDictionary<string, IReadOnlyList<Resource>> sources, IReadOnlyList<SourceRequest> requests)
    {
        var aggregator = AggregatorFor(sources, out var provider);
        using (provider)
        {
            var result = await aggregator.AggregateAsync(new AggregationRequest { Sources = requests });
            return Assert.Single(result.Ehrs);
        }
    }

    private static string Serialize(EhrAggregate ehr) => FhirJson.Serialize(EhrBundleBuilder.Build(ehr));

    [Fact]
    public async Task Aggregate_AnySourceAndRecordOrder_GivesTheSameEhr()
    {
        var scenario = ScenarioGenerator.Generate(Fixture.Value, 11);
        var expected = Serialize(await AggregateAsync(scenario.Sources, scenario.Requests));
        await Gen.Int.SampleAsync(
            async shuffleSeed =>
            {
                var random = new Random(shuffleSeed);
                var shuffled = scenario.Sources.ToDictionary(s => s.Key, s => (IReadOnlyList<Resource>)s.Value.OrderBy(_ => random.Next()).ToList(), StringComparer.Ordinal);
                var requests = scenario.Requests.OrderBy(_ => random.Next()).ToList();
                var actual = Serialize(await AggregateAsync(shuffled, requests));
                Assert.Equal(expected, actual);
            },
            iter: 4,
            threads: 1);
    }

    [Fact]
    public async Task Aggregate_EhrWithItsOwnSources_AddsNothing()
    {
        await Gen.Int[1, 10_000].SampleAsync(
            async seed =>
            {
                var scenario = ScenarioGenerator.Generate(Fixture.Value, seed);
                var ehr = await AggregateAsync(scenario.Sources, scenario.Requests);
                var withEhr = scenario.Sources.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
                withEhr["ehr"] = [ehr.Patient, .. ehr.Records.Select(r => r.Resource)];
                var again = await AggregateAsync(withEhr, [.. scenario.Requests, new SourceRequest("ehr", ScenarioSourceAdapter.Scheme + "ehr")]);
                Assert.Equal(ehr.CountByType(), again.CountByType());
                Assert.All(again.Records, r => Assert.Contains(r.Sources, s => s.SourceName == "ehr"));
            },
            iter: 3,
            threads: 1);
    }

    [Fact]
    public async Task Reaggregate_SplitEveryMergedRecord_RestoresEachSourceRecord()
    {
        var scenario = ScenarioGenerator.Generate(Fixture.Value, 3);
        var aggregator = AggregatorFor(scenario.Sources, out var provider);
        using (provider)
        {
            var read = await aggregator.ReadAsync(new AggregationRequest { Sources = scenario.Requests });
            var merged = Assert.Single((await aggregator.ReaggregateAsync(new ReaggregationRequest { Input = read })).Ehrs);
            var mergedRecords = merged.Records.Where(r => r.Sources.Count > 1).ToList();
            Assert.NotEmpty(mergedRecords);

            // Splitting one cluster undoes that merge only.
            var one = Assert.Single((await aggregator.ReaggregateAsync(new ReaggregationRequest { Input = read, KeepApart = [ReaggregationRequest.Split(mergedRecords[0])] })).Ehrs);
            Assert.Equal(merged.Records.Count + mergedRecords[0].Sources.Count - 1, one.Records.Count);

            // Splitting all of them gives back every source record as it was, as keep-all does.
            var all = Assert.Single((await aggregator.ReaggregateAsync(new ReaggregationRequest { Input = read, KeepApart = mergedRecords.Select(ReaggregationRequest.Split).ToList() })).Ehrs);
            var keepAll = Assert.Single((await aggregator.ReaggregateAsync(new ReaggregationRequest { Input = read, Policy = MergePolicies.KeepAll() })).Ehrs);
            Assert.Equal(scenario.RecordCount - scenario.Sources.Count, all.Records.Count);
            Assert.All(all.Records, r => Assert.Single(r.Sources));
            Assert.Equal(keepAll.Records.Select(r => FhirJson.Serialize(r.Resource)), all.Records.Select(r => FhirJson.Serialize(r.Resource)));

            // The records read were not changed by aggregating them: the first result comes back.
            var again = Assert.Single((await aggregator.ReaggregateAsync(new ReaggregationRequest { Input = read })).Ehrs);
            Assert.Equal(FhirJson.Serialize(EhrBundleBuilder.Build(merged)), FhirJson.Serialize(EhrBundleBuilder.Build(again)));
        }
    }
}
