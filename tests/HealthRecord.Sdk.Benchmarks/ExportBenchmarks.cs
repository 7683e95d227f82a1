using BenchmarkDotNet.Attributes;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Benchmarks.Scenarios;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>
/// The output path of one EHR (the 15-EMR scenario's person): the bundle as Firely writes it whole (what the exporter did
/// before it streamed, the baseline), the streaming bundle and NDJSON exporters, and the lineage CSV. The exporters write
/// to <see cref="Stream.Null"/>, so what is measured is serialisation and buffering, not the disk.
/// </summary>
/// <remarks>dotnet run -c Release --project tests/HealthRecord.Sdk.Benchmarks -- --filter '*ExportBenchmarks*' --job short</remarks>
[MemoryDiagnoser]
public class ExportBenchmarks
{
    private readonly FhirBundleExporter _bundle = new();
    private readonly NdjsonExporter _ndjson = new();
    private EhrAggregate _ehr = null!;

    [GlobalSetup]
    public void Setup()
    {
        var documents = FifteenEmrScenario.Build(FifteenEmrScenario.InputPath());
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.AddInMemorySources().Configure(o => o.SaveToStore = false));
        using var provider = services.BuildServiceProvider();
        var memory = provider.GetRequiredService<InMemorySourceAdapter>();
        foreach (var (name, content) in documents)
        {
            memory.Add(name, name + ".json", content);
        }

        var request = new AggregationRequest { Sources = documents.Select(d => new SourceRequest(d.Name, InMemorySourceAdapter.Scheme + d.Name)).ToList() };
        _ehr = provider.GetRequiredService<IEhrAggregator>().AggregateAsync(request).GetAwaiter().GetResult().Ehrs[0];
    }

    /// <summary>Firely's SerializeToBytes over the whole bundle: one buffer grown to the document's size, then copied out.</summary>
    [Benchmark(Baseline = true)]
    public async Task WholeBundleBytes()
    {
        await Stream.Null.WriteAsync(FhirJson.SerializeToUtf8(EhrBundleBuilder.Build(_ehr), pretty: true)).ConfigureAwait(false);
        await Stream.Null.WriteAsync("\n"u8.ToArray()).ConfigureAwait(false);
    }

    /// <summary>The streaming bundle exporter (same bytes), entry by entry through a small pooled buffer.</summary>
    [Benchmark]
    public Task BundleExporter() => _bundle.ExportAsync(_ehr, Stream.Null);

    /// <summary>The NDJSON exporter: one compact line per resource.</summary>
    [Benchmark]
    public Task NdjsonExporter() => _ndjson.ExportAsync(_ehr, Stream.Null);

    /// <summary>The person's lineage rows as CSV.</summary>
    [Benchmark]
    public async Task Lineage()
    {
        var writer = new StreamWriter(Stream.Null);
        await using (writer.ConfigureAwait(false))
        {
            await LineageCsv.AppendAsync(_ehr.Lineage, writer).ConfigureAwait(false);
        }
    }
}
