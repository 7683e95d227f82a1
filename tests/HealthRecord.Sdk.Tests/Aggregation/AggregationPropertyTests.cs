using CsCheck;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Aggregation;

/// <summary>
/// The DESIGN invariants as properties: whatever way one patient's records are split into sources
/// and files, and in whatever order, the EHR is the same (determinism), every record read is accounted
/// for once (conservation), and nothing in the EHR points outside it (no dangling references).
/// </summary>
public class AggregationPropertyTests
{
    private static readonly Lazy<List<Resource>> PracticeRecords = new(() =>
    {
        var bundle = FhirJson.Parse<Bundle>(File.ReadAllText(TestHost.SampleSources[0].Path));
        return bundle.Entry.Select(e => e.Resource!).ToList();
    });

    private static readonly Lazy<string> Reference = new(() =>
    {
        using var tmp = TestHost.TempFolder();
        var dir = WriteSplit(tmp, PracticeRecords.Value, [.. Enumerable.Repeat(0, PracticeRecords.Value.Count)], sourceCount: 1, filesPerSource: 1);
        var result = TestHost.AggregateAsync(dir).GetAwaiter().GetResult();
        return FhirJson.Serialize(EhrBundleBuilder.Build(result.Ehrs.Single()));
    });

    [Fact]
    public void Aggregate_AnySplitIntoFilesAndAnyOrder_GivesTheSameEhr()
    {
        var records = PracticeRecords.Value;

        // A seeded shuffle and a split of the records over 1–4 files of one source.
        Gen.Select(Gen.Int[1, 4], Gen.Int.Array[records.Count], Gen.Int[0, int.MaxValue])
            .Sample(
                (files, assignment, seed) =>
                {
                    var shuffled = records.OrderBy(r => HashCode.Combine(seed, r.Id)).ToList();
                    using var tmp = TestHost.TempFolder();
                    var sources = WriteSplit(tmp, shuffled, assignment, sourceCount: 1, filesPerSource: files);
                    var result = TestHost.AggregateAsync(sources).GetAwaiter().GetResult();
                    return FhirJson.Serialize(EhrBundleBuilder.Build(result.Ehrs.Single())) == Reference.Value;
                },
                iter: 8,
                threads: 1);
    }

    [Fact]
    public void Aggregate_AnySplitIntoSources_AccountsForEveryRecordAndLeavesNoDanglingReference()
    {
        var records = PracticeRecords.Value;
        Gen.Select(Gen.Int[2, 5], Gen.Int.Array[records.Count])
            .Sample(
                (sourceCount, assignment) =>
                {
                    using var tmp = TestHost.TempFolder();
                    var sources = WriteSplit(tmp, records, assignment, sourceCount, filesPerSource: 1);
                    var result = TestHost.AggregateAsync(sources).GetAwaiter().GetResult();

                    // Conservation: every record read is in the lineage exactly once.
                    var rows = result.Lineage.ToList();
                    var read = result.Sources.Sum(s => s.RecordsRead);
                    if (rows.Count != read || rows.Select(r => (r.SourceName, r.SourceResource)).Distinct().Count() != read)
                    {
                        return false;
                    }

                    // No dangling references: each points at an entry of the person's bundle.
                    foreach (var ehr in result.Ehrs)
                    {
                        var bundle = EhrBundleBuilder.Build(ehr);
                        var urls = bundle.Entry.Select(e => e.FullUrl).ToHashSet(StringComparer.Ordinal);
                        var refs = bundle.Entry.SelectMany(e => ResourceReferences.Enumerate(e.Resource!)).Select(x => x.Reference.Reference).Where(r => r is not null && !r.StartsWith('#'));
                        if (refs.Any(r => !urls.Contains(r!)))
                        {
                            return false;
                        }
                    }

                    return result.Lineage.All(l => l.Action != LineageAction.Rejected || l.Reason.Length > 0);
                },
                iter: 6,
                threads: 1);
    }

    /// <summary>
    /// Writes the records as sources of FHIR collection bundles; every source gets the Patient and the
    /// reference data (as each EMR would have its own copy), clinical records go where the assignment says.
    /// </summary>
    private static List<(string Name, string Path)> WriteSplit(TempFolder tmp, IReadOnlyList<Resource> records, int[] assignment, int sourceCount, int filesPerSource)
    {
        var buckets = new List<Resource>[sourceCount * filesPerSource];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = [];
        }

        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (!PatientCompartment.IsPatientRecord(r.TypeName))
            {
                // Shared data: one copy in the first file of every source.
                for (var s = 0; s < sourceCount; s++)
                {
                    buckets[s * filesPerSource].Add(r);
                }
            }
            else
            {
                buckets[(int)((uint)assignment[i] % (uint)buckets.Length)].Add(r);
            }
        }

        var sources = new List<(string, string)>();
        for (var s = 0; s < sourceCount; s++)
        {
            var dir = Path.Combine(tmp.Path, $"source-{s}");
            Directory.CreateDirectory(dir);
            for (var f = 0; f < filesPerSource; f++)
            {
                var bundle = new Bundle { Type = Bundle.BundleType.Collection };
                foreach (var r in buckets[s * filesPerSource + f])
                {
                    bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"urn:uuid:{r.Id}", Resource = r });
                }

                File.WriteAllText(Path.Combine(dir, $"part-{f}.json"), FhirJson.Serialize(bundle));
            }

            sources.Add(($"source-{s}", dir));
        }

        return sources;
    }
}
