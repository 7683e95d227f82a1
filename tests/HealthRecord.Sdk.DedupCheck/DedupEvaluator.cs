using System.Globalization;
using System.Text;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.DedupCheck;

/// <summary>Pair counts of one resource type (or of all).</summary>
public sealed class PairCounts
{
    /// <summary>Source records with a truth.</summary>
    public long Records { get; set; }

    /// <summary>Records that ended in no EHR record (rejected or unattributed).</summary>
    public long Lost { get; set; }

    /// <summary>Pairs that are one real fact.</summary>
    public long TruePairs { get; set; }

    /// <summary>Pairs that ended in one EHR record.</summary>
    public long PredictedPairs { get; set; }

    /// <summary>Pairs both true and predicted.</summary>
    public long CorrectPairs { get; set; }

    /// <summary>Precision (1 when nothing was predicted).</summary>
    public double Precision => PredictedPairs == 0 ? 1 : (double)CorrectPairs / PredictedPairs;

    /// <summary>Recall (1 when there is nothing to find).</summary>
    public double Recall => TruePairs == 0 ? 1 : (double)CorrectPairs / TruePairs;

    /// <summary>F1.</summary>
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>Adds another count.</summary>
    public void Add(PairCounts other)
    {
        Records += other.Records;
        Lost += other.Lost;
        TruePairs += other.TruePairs;
        PredictedPairs += other.PredictedPairs;
        CorrectPairs += other.CorrectPairs;
    }
}

/// <summary>The result of evaluating one or more runs.</summary>
public sealed class DedupReport
{
    /// <summary>All types together.</summary>
    public PairCounts Total { get; } = new();

    /// <summary>Per type.</summary>
    public SortedDictionary<string, PairCounts> ByType { get; } = new(StringComparer.Ordinal);

    /// <summary>EHR records holding records of more than one real person.</summary>
    public int CrossPersonRecords { get; set; }

    /// <summary>EHRs holding records of more than one real person.</summary>
    public int CrossPersonEhrs { get; set; }

    /// <summary>People whose records ended in more than one EHR.</summary>
    public int SplitPeople { get; set; }

    /// <summary>People simulated.</summary>
    public int People { get; set; }

    /// <summary>Traps emitted.</summary>
    public int Traps { get; set; }

    /// <summary>EHR records holding a trap and the fact it imitates.</summary>
    public int TrapMerges { get; set; }

    /// <summary>Missed pairs by type and the variations of the two copies.</summary>
    public Dictionary<string, long> Missed { get; } = new(StringComparer.Ordinal);

    /// <summary>Wrong pairs by type and the variations of the two records.</summary>
    public Dictionary<string, long> Wrong { get; } = new(StringComparer.Ordinal);

    /// <summary>Examples of failures (record keys and rules), for debugging.</summary>
    public List<string> Examples { get; } = [];

    /// <summary>Adds another report.</summary>
    public void Add(DedupReport other)
    {
        Total.Add(other.Total);
        foreach (var (type, counts) in other.ByType)
        {
            if (!ByType.TryGetValue(type, out var mine))
            {
                ByType[type] = mine = new PairCounts();
            }

            mine.Add(counts);
        }

        CrossPersonRecords += other.CrossPersonRecords;
        CrossPersonEhrs += other.CrossPersonEhrs;
        SplitPeople += other.SplitPeople;
        People += other.People;
        Traps += other.Traps;
        TrapMerges += other.TrapMerges;
        foreach (var (k, v) in other.Missed)
        {
            Missed[k] = Missed.GetValueOrDefault(k) + v;
        }

        foreach (var (k, v) in other.Wrong)
        {
            Wrong[k] = Wrong.GetValueOrDefault(k) + v;
        }

        Examples.AddRange(other.Examples.Take(Math.Max(0, 200 - Examples.Count)));
    }

    /// <summary>A plain-text report.</summary>
    public string Format(int top = 15)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine(ci, $"people {People} (summed over runs), records {Total.Records} (lost {Total.Lost}), traps {Traps}");
        sb.AppendLine(ci, $"{"type",-20}{"records",9}{"true",9}{"pred",9}{"correct",9}{"P",8}{"R",8}{"F1",8}");
        foreach (var (type, c) in ByType)
        {
            sb.AppendLine(ci, $"{type,-20}{c.Records,9}{c.TruePairs,9}{c.PredictedPairs,9}{c.CorrectPairs,9}{c.Precision,8:0.000}{c.Recall,8:0.000}{c.F1,8:0.000}");
        }

        sb.AppendLine(ci, $"{"ALL",-20}{Total.Records,9}{Total.TruePairs,9}{Total.PredictedPairs,9}{Total.CorrectPairs,9}{Total.Precision,8:0.0000}{Total.Recall,8:0.0000}{Total.F1,8:0.0000}");
        sb.AppendLine(ci, $"cross-person EHR records {CrossPersonRecords}, EHRs mixing people {CrossPersonEhrs}, people split over EHRs {SplitPeople}, trap merges {TrapMerges}");
        sb.AppendLine("missed pairs (type | variations of the two copies):");
        foreach (var (k, v) in Missed.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(top))
        {
            sb.AppendLine(ci, $"  {v,7}  {k}");
        }

        sb.AppendLine("wrong pairs (type | what the two records are):");
        foreach (var (k, v) in Wrong.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(top))
        {
            sb.AppendLine(ci, $"  {v,7}  {k}");
        }

        return sb.ToString();
    }
}

/// <summary>Runs simulated EMRs through the SDK's public API and scores the merged EHRs against the truth.</summary>
public static class DedupEvaluator
{
    /// <summary>
    /// Simulates the people in groups (people of one group share EMRs), aggregates each group with
    /// <see cref="IEhrAggregator"/> over the in-memory source adapter, and scores the lineage.
    /// </summary>
    public static async Task<DedupReport> RunAsync(IReadOnlyList<PersonInput> people, int seed, int groupSize = 3, Action<IHealthRecordBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var report = new DedupReport();
        for (var g = 0; g * groupSize < people.Count; g++)
        {
            var group = people.Skip(g * groupSize).Take(groupSize).ToList();
            var run = new EmrSimulator(unchecked((seed * 7919) + g)).Simulate(group);
            var result = await AggregateAsync(run, configure, cancellationToken);
            report.Add(Score(run, result));
        }

        return report;
    }

    /// <summary>Aggregates a simulated run through the public API.</summary>
    public static async Task<AggregationResult> AggregateAsync(SimulatedRun run, Action<IHealthRecordBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr =>
        {
            hr.AddInMemorySources();
            configure?.Invoke(hr);
        });
        await using var sp = services.BuildServiceProvider();
        var memory = sp.GetRequiredService<InMemorySourceAdapter>();
        foreach (var doc in run.Documents)
        {
            memory.Add(doc.Source, doc.DocumentId, Encoding.UTF8.GetBytes(FhirJson.Serialize(doc.Bundle)));
        }

        var sources = run.Documents.Select(d => d.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(s => new SourceRequest(s, InMemorySourceAdapter.Scheme + s)).ToList();
        return await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = sources, SaveToStore = false }, cancellationToken);
    }

    /// <summary>Scores the EHRs: pairwise precision and recall over source records, per type, cross-person and trap merges.</summary>
    public static DedupReport Score(SimulatedRun run, AggregationResult result)
    {
        var report = new DedupReport { People = run.PersonNames.Count, Traps = run.Truth.Values.Count(t => t.TrapOf is not null) };
        var clusterOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var rules = new Dictionary<string, string>(StringComparer.Ordinal);
        var ehrsOfPerson = new Dictionary<int, HashSet<string>>();

        foreach (var ehr in result.Ehrs)
        {
            var peopleInEhr = new HashSet<int>();
            foreach (var record in ehr.Records)
            {
                var cluster = ehr.PersonId + "|" + record.Reference;
                var members = record.Sources.Select(s => s.ToString()).Where(run.Truth.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
                foreach (var key in members)
                {
                    clusterOf[key] = cluster;
                    rules[key] = record.Rule;
                    peopleInEhr.Add(run.Truth[key].Person);
                    if (!ehrsOfPerson.TryGetValue(run.Truth[key].Person, out var set))
                    {
                        ehrsOfPerson[run.Truth[key].Person] = set = new HashSet<string>(StringComparer.Ordinal);
                    }

                    set.Add(ehr.PersonId);
                }

                if (members.Select(k => run.Truth[k].Person).Distinct().Count() > 1)
                {
                    report.CrossPersonRecords++;
                }

                // Predicted pairs and wrong pairs.
                for (var i = 0; i < members.Count; i++)
                {
                    for (var j = i + 1; j < members.Count; j++)
                    {
                        var a = run.Truth[members[i]];
                        var b = run.Truth[members[j]];
                        var counts = CountsOf(report, a.Type);
                        counts.PredictedPairs++;
                        report.Total.PredictedPairs++;
                        if (a.Person == b.Person && a.Fact == b.Fact)
                        {
                            counts.CorrectPairs++;
                            report.Total.CorrectPairs++;
                        }
                        else
                        {
                            var what = a.Person != b.Person ? "different people"
                                : a.TrapOf == b.Fact || b.TrapOf == a.Fact ? "trap " + string.Join('+', (a.TrapOf is not null ? a.Tags : b.Tags))
                                : a.TrapOf is not null && a.TrapOf == b.TrapOf ? "two traps of one fact"
                                : "different facts";
                            var k = $"{a.Type} | {what} | {Describe(a)} ~ {Describe(b)}";
                            report.Wrong[k] = report.Wrong.GetValueOrDefault(k) + 1;
                            if (report.Examples.Count < 200)
                            {
                                report.Examples.Add($"WRONG {members[i]} ({a.Fact}) ~ {members[j]} ({b.Fact}): {record.Rule}");
                            }
                        }
                    }
                }

                var facts = members.Select(k => run.Truth[k]).ToList();
                if (facts.Any(t => t.TrapOf is not null && facts.Any(o => o.Fact == t.TrapOf && o.Person == t.Person)))
                {
                    report.TrapMerges++;
                }
            }

            if (peopleInEhr.Count > 1)
            {
                report.CrossPersonEhrs++;
            }
        }

        report.SplitPeople = ehrsOfPerson.Values.Count(s => s.Count > 1);

        // True pairs and missed pairs.
        foreach (var group in run.Truth.GroupBy(kv => (kv.Value.Person, kv.Value.Fact)))
        {
            var members = group.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            var type = group.First().Value.Type;
            var counts = CountsOf(report, type);
            counts.Records += members.Count;
            report.Total.Records += members.Count;
            var lost = members.Count(k => !clusterOf.ContainsKey(k));
            counts.Lost += lost;
            report.Total.Lost += lost;
            for (var i = 0; i < members.Count; i++)
            {
                for (var j = i + 1; j < members.Count; j++)
                {
                    counts.TruePairs++;
                    report.Total.TruePairs++;
                    var ca = clusterOf.GetValueOrDefault(members[i]);
                    var cb = clusterOf.GetValueOrDefault(members[j]);
                    if (ca is null || cb is null || ca != cb)
                    {
                        var a = run.Truth[members[i]];
                        var b = run.Truth[members[j]];
                        var (x, y) = string.CompareOrdinal(Describe(a), Describe(b)) <= 0 ? (a, b) : (b, a);
                        var k = $"{type} | {Describe(x)} ~ {Describe(y)}{(ca is null || cb is null ? " (lost)" : string.Empty)}";
                        report.Missed[k] = report.Missed.GetValueOrDefault(k) + 1;
                        if (report.Examples.Count < 200)
                        {
                            report.Examples.Add($"MISSED {members[i]} [{Describe(a)}] ~ {members[j]} [{Describe(b)}] ({a.Fact}): {rules.GetValueOrDefault(members[i])} / {rules.GetValueOrDefault(members[j])}");
                        }
                    }
                }
            }
        }

        return report;
    }

    private static string Describe(RecordTruth t) => string.Join('+', t.Tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private static PairCounts CountsOf(DedupReport report, string type)
    {
        if (!report.ByType.TryGetValue(type, out var counts))
        {
            report.ByType[type] = counts = new PairCounts();
        }

        return counts;
    }
}
