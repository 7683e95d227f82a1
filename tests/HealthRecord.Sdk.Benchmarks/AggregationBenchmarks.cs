using BenchmarkDotNet.Attributes;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Benchmarks.Scenarios;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Sources;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>
/// DESIGN.md's yardstick: P is the default Firely parse of the same 15 EMR documents; the whole
/// aggregation should cost at most 1.0 × P, and everything after reading (resolve, link, deduplicate,
/// merge, lineage, Provenance) a fraction of it. Ratios come from one run (the Baseline column).
/// Like for like (issue #11): P is shown with Firely's defaults (validating, the baseline) and with the structural
/// deserializer the SDK reads with, and the aggregation at the default parallelism and on one thread (P is one thread).
/// </summary>
[MemoryDiagnoser]
public class AggregationBenchmarks
{
    private IReadOnlyList<(string Name, byte[] Content)> _documents = [];
    private ServiceProvider _services = null!;
    private IEhrAggregator _aggregator = null!;
    private ServiceProvider _oneThreadServices = null!;
    private IEhrAggregator _oneThreadAggregator = null!;
    private IReadOnlyList<SourceRecord> _records = [];
    private AggregationRequest _request = null!;
    private readonly FhirJsonDeserializer _deserializer = new();

    [GlobalSetup]
    public void Setup()
    {
        _documents = FifteenEmrScenario.Build(FifteenEmrScenario.InputPath());
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.AddInMemorySources().Configure(o => o.SaveToStore = false));
        _services = services.BuildServiceProvider();
        var memory = _services.GetRequiredService<InMemorySourceAdapter>();
        foreach (var (name, content) in _documents)
        {
            memory.Add(name, name + ".json", content);
        }

        _aggregator = _services.GetRequiredService<IEhrAggregator>();

        // The same aggregation with every parallel setting at 1: sources read one after another, like P.
        var oneThread = new ServiceCollection();
        oneThread.AddHealthRecord(hr => hr.AddInMemorySources().Configure(o =>
        {
            o.SaveToStore = false;
            o.MaxParallelSources = 1;
            o.MaxDegreeOfParallelism = 1;
        }));
        _oneThreadServices = oneThread.BuildServiceProvider();
        var oneThreadMemory = _oneThreadServices.GetRequiredService<InMemorySourceAdapter>();
        foreach (var (name, content) in _documents)
        {
            oneThreadMemory.Add(name, name + ".json", content);
        }

        _oneThreadAggregator = _oneThreadServices.GetRequiredService<IEhrAggregator>();
        _request = new AggregationRequest { Sources = _documents.Select(d => new SourceRequest(d.Name, InMemorySourceAdapter.Scheme + d.Name)).ToList() };
        _records = _aggregator.AggregateAsync(_request).GetAwaiter().GetResult().SourceRecords;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _oneThreadServices.Dispose();
    }

    /// <summary>P: Firely's default deserializer over the same documents.</summary>
    [Benchmark(Baseline = true)]
    public int FirelyParse()
    {
        var count = 0;
        foreach (var (_, content) in _documents)
        {
            var reader = new System.Text.Json.Utf8JsonReader(content);
            count += ((Bundle)_deserializer.DeserializeResource(ref reader)).Entry.Count;
        }

        return count;
    }

    /// <summary>P with the structural deserializer the SDK reads with (<see cref="FhirJson.StructuralDeserializer"/>: no per-value validation).</summary>
    [Benchmark]
    public int FirelyParseStructural()
    {
        var count = 0;
        foreach (var (_, content) in _documents)
        {
            var reader = new System.Text.Json.Utf8JsonReader(content);
            count += ((Bundle)FhirJson.StructuralDeserializer.DeserializeResource(ref reader)).Entry.Count;
        }

        return count;
    }

    /// <summary>Read, validate, resolve, link, deduplicate, merge, lineage and Provenance.</summary>
    [Benchmark]
    public async Task<int> WholeAggregation() => (await _aggregator.AggregateAsync(_request)).Ehrs[0].Records.Count;

    /// <summary>The whole aggregation on one thread (<c>MaxParallelSources</c> and <c>MaxDegreeOfParallelism</c> 1), as P runs.</summary>
    [Benchmark]
    public async Task<int> WholeAggregationOneThread() => (await _oneThreadAggregator.AggregateAsync(_request)).Ehrs[0].Records.Count;

    /// <summary>Everything after reading: validate, resolve, link, deduplicate, merge, lineage, Provenance.</summary>
    [Benchmark]
    public async Task<int> AfterReading() => (await _aggregator.AggregateRecordsAsync(_records)).Ehrs[0].Records.Count;
}
