using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Tests.Aggregation;

public class SmokeTests
{
    [CorpusFact]
    public async Task AggregateAsync_SyntheaBundle_BuildsOneEhr()
    {
        using var sp = new ServiceCollection().AddLogging().AddHealthRecord().BuildServiceProvider();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var path = Corpus.PathOf("fhir-bundles/synthea/Antonio_Runolfsson_a1795152-808d-4cb9-b259-ce6e3716dedf.json");
        var result = await aggregator.AggregateAsync(new AggregationRequest { Sources = [new SourceRequest("a", path), new SourceRequest("b", path)] });
        var ehr = Assert.Single(result.Ehrs);
        foreach (var i in result.Issues.Take(20)) Console.WriteLine(i);
        Console.WriteLine(string.Join(", ", ehr.CountByType()));
        Assert.Equal(145, ehr.Records.Count);
        Assert.Equal(292, ehr.Lineage.Count);
    }
}
