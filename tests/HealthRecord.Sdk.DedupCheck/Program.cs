using System.Diagnostics;
using System.Globalization;
using HealthRecord.Sdk.DedupCheck;

// Independent deduplication check (issue #17): splits Synthea people across 7-15 simulated EMRs and scores the
// SDK's merged EHRs pairwise against the truth.
//   dotnet run -c Release --project tests/HealthRecord.Sdk.DedupCheck -- [--corpus DIR] [--seeds 1,2,3] [--people N] [--group 3] [--examples N]
var corpus = Environment.GetEnvironmentVariable("HEALTHRECORD_CORPUS") ?? "/work/shared/corpus";
var seeds = new List<int> { 1 };
var maxPeople = int.MaxValue;
var groupSize = 3;
var examples = 0;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--corpus": corpus = args[++i]; break;
        case "--seeds": seeds = ParseSeeds(args[++i]); break;
        case "--people": maxPeople = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--group": groupSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--examples": examples = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var people = People.FromBundles(Path.Combine(corpus, "fhir-bundles", "synthea"));
var bulk = Path.Combine(corpus, "bulk-ndjson", "10-patients");
if (Directory.Exists(bulk))
{
    people.AddRange(People.FromNdjson(bulk));
}

people = people.Take(maxPeople).ToList();
var total = new DedupReport();
foreach (var seed in seeds)
{
    var started = Stopwatch.GetTimestamp();
    var report = await DedupEvaluator.RunAsync(people, seed, groupSize);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: records {report.Total.Records}, P {report.Total.Precision:0.0000} R {report.Total.Recall:0.0000} F1 {report.Total.F1:0.0000}, cross-person {report.CrossPersonRecords}, trap merges {report.TrapMerges} ({Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s)"));
    total.Add(report);
}

Console.WriteLine();
Console.WriteLine(total.Format());
foreach (var line in total.Examples.Take(examples))
{
    Console.WriteLine(line);
}

return 0;

static List<int> ParseSeeds(string text)
{
    var seeds = new List<int>();
    foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
    {
        var dash = part.IndexOf('-', 1);
        if (dash > 0)
        {
            var from = int.Parse(part[..dash], CultureInfo.InvariantCulture);
            var to = int.Parse(part[(dash + 1)..], CultureInfo.InvariantCulture);
            seeds.AddRange(Enumerable.Range(from, to - from + 1));
        }
        else
        {
            seeds.Add(int.Parse(part, CultureInfo.InvariantCulture));
        }
    }

    return seeds;
}
