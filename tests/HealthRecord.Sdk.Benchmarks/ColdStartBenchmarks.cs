using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.Warmup;
using Hl7.Fhir.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>
/// Cold start (issue #12): each launch is a new process and measures one call, the first of its kind in that
/// process, so JIT compilation and every first-use cost are in the figure. The services (DI, a SQLite store) are
/// built in the setup, as a host builds them at start-up; the warm-up variant also calls
/// <see cref="IHealthRecordWarmup.WarmUpAsync"/> there. The baseline is the first Firely parse of the same files.
/// Nothing in the setup touches Firely or the pipeline before the measured call (the three-resource file is cut
/// from the demo's sample with System.Text.Json).
/// </summary>
/// <remarks>dotnet run -c Release --project tests/HealthRecord.Sdk.Benchmarks -- --filter '*ColdStartBenchmarks*'</remarks>
[SimpleJob(RunStrategy.ColdStart, launchCount: 5, warmupCount: 0, iterationCount: 1)]
public class ColdStartBenchmarks
{
    private string _folder = "";
    private List<SourceRequest> _sources = [];
    private ServiceProvider _services = null!;
    private AggregationRequest _request = null!;

    /// <summary><c>three-resources</c>: a Patient, a Condition and an Observation in one bundle; <c>demo</c>: the demo's three EMRs (311 records).</summary>
    [Params("three-resources", "demo")]
    public string Input { get; set; } = "three-resources";

    [GlobalSetup(Targets = [nameof(FirstFirelyParse), nameof(FirstAggregate)])]
    public void Setup() => Prepare(warmUp: false);

    [GlobalSetup(Target = nameof(FirstAggregateAfterWarmUp))]
    public void SetupWithWarmUp() => Prepare(warmUp: true);

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>The first parse of the input's files with Firely's default deserializer, in a fresh process.</summary>
    [Benchmark(Baseline = true)]
    public int FirstFirelyParse()
    {
        var deserializer = new FhirJsonDeserializer();
        var count = 0;
        foreach (var file in _sources.SelectMany(s => Directory.Exists(s.Location) ? Directory.GetFiles(s.Location) : [s.Location]))
        {
            foreach (var line in Path.GetExtension(file) == ".ndjson" ? File.ReadAllLines(file) : [File.ReadAllText(file)])
            {
                count += line.Length == 0 ? 0 : deserializer.DeserializeResource(line) is Hl7.Fhir.Model.Bundle b ? b.Entry.Count : 1;
            }
        }

        return count;
    }

    /// <summary>A host's first <c>AggregateAsync</c> (saved to SQLite).</summary>
    [Benchmark]
    public async Task<int> FirstAggregate() => (await _services.GetRequiredService<IEhrAggregator>().AggregateAsync(_request)).SourceRecords.Count;

    /// <summary>The first <c>AggregateAsync</c> after <see cref="IHealthRecordWarmup.WarmUpAsync"/> at start-up.</summary>
    [Benchmark]
    public async Task<int> FirstAggregateAfterWarmUp() => (await _services.GetRequiredService<IEhrAggregator>().AggregateAsync(_request)).SourceRecords.Count;

    private void Prepare(bool warmUp)
    {
        _folder = Path.Combine(Path.GetTempPath(), "hr-coldstart-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _sources = Input == "demo"
            ? TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList()
            : [new SourceRequest("three", ThreeResources(_folder))];
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.UseSqliteStore($"Data Source={Path.Combine(_folder, "ehr.db")}"));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        _request = new AggregationRequest { Sources = _sources };
        _ = _services.GetRequiredService<IEhrAggregator>();
        if (warmUp)
        {
            _services.GetRequiredService<IHealthRecordWarmup>().WarmUpAsync().GetAwaiter().GetResult();
        }
    }

    // The first Patient, Condition and Observation of the demo's primary-care bundle (Synthea, Apache-2.0).
    private static string ThreeResources(string folder)
    {
        var sample = TestHost.SampleSources[0].Path;
        var bundle = JsonNode.Parse(File.ReadAllText(sample))!;
        var wanted = new List<string> { "Patient", "Condition", "Observation" };
        var entries = new JsonArray();
        foreach (var entry in bundle["entry"]!.AsArray())
        {
            var type = entry!["resource"]!["resourceType"]!.GetValue<string>();
            if (wanted.Remove(type))
            {
                entries.Add(entry.DeepClone());
            }
        }

        var path = Path.Combine(folder, "three.json");
        File.WriteAllText(path, new JsonObject { ["resourceType"] = "Bundle", ["type"] = "collection", ["entry"] = entries }.ToJsonString());
        return path;
    }
}
