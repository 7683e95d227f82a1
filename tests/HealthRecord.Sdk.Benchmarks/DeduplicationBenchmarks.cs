using BenchmarkDotNet.Attributes;
using HealthRecord.Sdk;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Tests.Scenarios;
using FluentValidation;
using HealthRecord.Sdk.Validation;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>
/// One person split across 15 EMRs (ScenarioGenerator over a Synthea patient): the dedup/merge stage and the
/// record graph (validation, canonical order, reference resolution), the whole aggregation, against the default
/// Firely parse of the same 15 bundles (P, the baseline).
/// Targets: DedupAndMerge ≤ 0.15 P, WholeAggregation ≤ 1.0 P.
/// The project links the generator: &lt;Compile Include="../HealthRecord.Sdk.Tests/Scenarios/*.cs" LinkBase="Scenarios" /&gt;.
/// </summary>
[MemoryDiagnoser]
public class DeduplicationBenchmarks
{
    private readonly List<string> _bundles = [];
    private readonly List<(string Source, Resource Resource)> _parsed = [];
    private readonly ClinicalRecordMatcher _matcher = new();
    private readonly ExactDuplicateMatcher _exact = new();
    private readonly IMergePolicy _policy = MergePolicies.SourcePriority();
    private readonly List<SourceRequest> _requests = [];
    private readonly IReadOnlyList<IValidator<Resource>> _validators = [new SourceRecordValidator()];
    private ServiceProvider? _services;
    private IEhrAggregator? _aggregator;
    private IReadOnlyList<SourceRecord> _records = [];

    /// <summary>The Synthea patient, relative to tests/fixtures or the corpus.</summary>
    [Params("synthea/Paris_Casper.json")]
    public string Patient { get; set; } = "synthea/Paris_Casper.json";

    [GlobalSetup]
    public void Setup()
    {
        var root = FindUp("HealthRecord.Sdk.sln");
        var bundle = FhirJson.Parse<Bundle>(File.ReadAllText(Path.Combine(root, "tests", "fixtures", Patient)));
        var scenario = ScenarioGenerator.Generate(bundle, 1);
        var dir = Directory.CreateTempSubdirectory("hr-dedup-bench").FullName;
        foreach (var (name, resources) in scenario.Sources.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var b = new Bundle { Type = Bundle.BundleType.Collection };
            b.Entry.AddRange(resources.Select(r => new Bundle.EntryComponent { FullUrl = "urn:uuid:" + r.Id, Resource = r }));
            var json = FhirJson.Serialize(b);
            _bundles.Add(json);
            File.WriteAllText(Path.Combine(dir, name + ".json"), json);
            _parsed.AddRange(FhirJson.Parse<Bundle>(json).Entry.Select(e => (name, e.Resource!)));
            _requests.Add(new SourceRequest(name, Path.Combine(dir, name + ".json")));
        }

        _services = new ServiceCollection()
            .AddHealthRecord(hr => hr.Configure((HealthRecordOptions o) => { o.SaveToStore = false; o.MaxParallelSources = 1; }))
            .BuildServiceProvider();
        _aggregator = _services.GetRequiredService<IEhrAggregator>();
        _records = ((EhrAggregator)_aggregator).ReadAsync(new AggregationRequest { Sources = _requests }).GetAwaiter().GetResult().Records;
    }

    [GlobalCleanup]
    public void Cleanup() => _services?.Dispose();

    /// <summary>P: the default Firely parse of the 15 EMR bundles.</summary>
    [Benchmark(Baseline = true)]
    public int FirelyParse()
    {
        var count = 0;
        foreach (var json in _bundles)
        {
            count += FhirJson.Parse<Bundle>(json).Entry.Count;
        }

        return count;
    }

    /// <summary>Blocking, matching, clustering and merging of every clinical and reference type (fresh candidates, so features are computed each run).</summary>
    [Benchmark]
    public int DedupAndMerge()
    {
        var merged = 0;
        // As in the pipeline, Patients are not deduplicated here: identity linking combines them into the golden Patient.
        foreach (var type in _parsed.Where(p => p.Resource is not Hl7.Fhir.Model.Patient).GroupBy(p => p.Resource.TypeName, StringComparer.Ordinal))
        {
            var candidates = type.Select(p => new MatchCandidate(p.Source, $"{p.Resource.TypeName}/{p.Resource.Id}", p.Resource)).ToList();
            IRecordMatcher matcher = _matcher.ResourceTypes.Contains(type.Key) ? _matcher : _exact;
            foreach (var cluster in DuplicateClusterer.Cluster(candidates, matcher, 2000).Clusters)
            {
                if (cluster.Count > 1)
                {
                    var members = cluster.Select((i, rank) => new MergeMember(candidates[i].SourceName, candidates[i].SourceReference, candidates[i].Resource, rank)).ToList();
                    merged += _policy.Merge(new MergeCluster(type.Key, members)).Conflicts.Count + 1;
                }
            }
        }

        return merged;
    }

    /// <summary>Stage 2 over the person's records as read: canonical order, the built-in validation, working copies, references resolved.</summary>
    [Benchmark]
    public int RecordGraphBuild() => RecordGraph.Build(_records, _validators).Nodes.Count;

    /// <summary>The whole aggregation through the file reader: read, validate, link, dedup, merge, lineage, Provenance.</summary>
    [Benchmark]
    public Task<AggregationResult> WholeAggregation() => _aggregator!.AggregateAsync(new AggregationRequest { Sources = _requests });

    private static string FindUp(string marker)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, marker)))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(marker + " not found above the benchmark binaries.");
    }
}
