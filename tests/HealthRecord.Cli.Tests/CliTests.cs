using HealthRecord.Cli;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Cli.Tests;

/// <summary>The CLI contract of DESIGN.md, driven as a user would drive it.</summary>
public sealed class CliTests : CliTestBase
{
    private string[] SampleSourceArgs() =>
        ["--source", $"valley-primary-care={DataDir}/valley-primary-care.json", "--source", $"st-marys-hospital={DataDir}/st-marys-hospital.json", "--source", $"northeast-lab={DataDir}/northeast-lab"];

    [Fact]
    public async Task Demo_WritesStoreEhrAndLineage_AndPrintsTheSummary()
    {
        var (exit, output) = await RunAsync("demo", "--out-dir", Tmp.Path, "--data", DataDir);

        Assert.Equal(CliApp.Success, exit);
        Assert.True(File.Exists(Tmp.File("healthrecord.db")));
        var bundle = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("ehr.json")));
        Assert.Equal(Bundle.BundleType.Collection, bundle.Type);
        Assert.StartsWith("person,source,source_resource,ehr_resource,action,reason\n", await File.ReadAllTextAsync(Tmp.File("lineage.csv")), StringComparison.Ordinal);
        Assert.Contains("Sources read", output, StringComparison.Ordinal);
        Assert.Contains("merged as duplicates", output, StringComparison.Ordinal);
        Assert.Contains("Conflicts", output, StringComparison.Ordinal);
        Assert.Contains("Rejected records", output, StringComparison.Ordinal);
        Assert.Contains("obs-missing-code", output, StringComparison.Ordinal);
        Assert.Contains(Tmp.File("healthrecord.db"), output, StringComparison.Ordinal);
        Assert.Contains("Current view (as of ", output, StringComparison.Ordinal);
        Assert.Matches(@"active problems\s+│\s+5\s+│ Appendicitis; History of appendectomy; Hypertension; Polyp of colon; Recurrent rectal polyp", output);
        Assert.Matches(@"active medications\s+│\s+3\s+│", output);
        Assert.Matches(@"allergies\s+│\s+0\s+│ \(none\)", output);
    }

    [Fact]
    public async Task Aggregate_WritesBundleLineageAndStore()
    {
        var args = new List<string> { "aggregate" };
        args.AddRange(SampleSourceArgs());
        args.AddRange(["--out", Tmp.File("out/ehr.json"), "--lineage", Tmp.File("out/lineage.csv"), "--store", $"sqlite:{Tmp.File("s.db")}", "--policy", "most-recent"]);

        var (exit, output) = await RunAsync([.. args]);

        Assert.Equal(CliApp.Success, exit);
        var bundle = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("out/ehr.json")));
        Assert.Contains(bundle.Entry, e => e.Resource is Provenance);
        var lines = await File.ReadAllLinesAsync(Tmp.File("out/lineage.csv"));
        Assert.Equal(311 + 1, lines.Length);
        Assert.Contains(lines, l => l.Contains(",merged,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(",rejected,", StringComparison.Ordinal));
        Assert.Contains("Current view (as of ", output, StringComparison.Ordinal);

        var (historyExit, history) = await RunAsync("history", "--store", $"sqlite:{Tmp.File("s.db")}");
        Assert.Equal(CliApp.Success, historyExit);
        Assert.Contains("Man Schamberger", history, StringComparison.Ordinal);
        Assert.Contains("1 persons.", history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_NamesSourcesRuleAndConflict()
    {
        await RunAsync("demo", "--out-dir", Tmp.Path, "--data", DataDir);
        var bundle = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("ehr.json")));
        var conflicted = bundle.Entry.Select(e => e.Resource).OfType<Provenance>().Single(p => p.Extension.Count > 0);
        var target = bundle.Entry.Single(e => e.FullUrl == conflicted.Target[0].Reference).Resource!;

        var (exit, output) = await RunAsync("explain", "--ehr", Tmp.File("ehr.json"), "--record", $"{target.TypeName}/{target.Id}");

        Assert.Equal(CliApp.Success, exit);
        Assert.Contains("valley-primary-care", output, StringComparison.Ordinal);
        Assert.Contains("st-marys-hospital", output, StringComparison.Ordinal);
        Assert.Contains("same-identifier", output, StringComparison.Ordinal);
        Assert.Contains("Conflict", output, StringComparison.Ordinal);
        Assert.Contains("clinicalStatus", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overrides_NeverMerge_SplitsTheRecordInTheNextAggregate()
    {
        var store = $"sqlite:{Tmp.File("s.db")}";
        var args = new List<string> { "aggregate" };
        args.AddRange(SampleSourceArgs());
        args.AddRange(["--out", Tmp.File("before.json"), "--lineage", Tmp.File("before.csv"), "--store", store]);
        Assert.Equal(CliApp.Success, (await RunAsync([.. args])).Exit);
        var merged = (await File.ReadAllLinesAsync(Tmp.File("before.csv"))).Skip(1).Select(l => l.Split(','))
            .Where(c => c[4] == "merged" && c[3].StartsWith("Condition/", StringComparison.Ordinal))
            .GroupBy(c => c[3]).First();
        var keys = merged.Select(c => $"{c[1]}:{c[2]}").ToList();

        var (exit, output) = await RunAsync("overrides", "--store", store, "--never-merge", string.Join(',', keys), "--reason", "two episodes");
        Assert.Equal(CliApp.Success, exit);
        Assert.Contains("never merge", output, StringComparison.Ordinal);
        Assert.Contains("1 decisions.", output, StringComparison.Ordinal);

        args[^3] = Tmp.File("after.csv");
        args[^5] = Tmp.File("after.json");
        Assert.Equal(CliApp.Success, (await RunAsync([.. args])).Exit);
        var after = (await File.ReadAllLinesAsync(Tmp.File("after.csv"))).Skip(1).Select(l => l.Split(',')).ToList();
        var ehrRecords = keys.Select(k => after.Single(c => $"{c[1]}:{c[2]}" == k)[3]).ToList();
        Assert.Equal(keys.Count, ehrRecords.Distinct().Count());

        var (removeExit, removed) = await RunAsync("overrides", "--store", store, "--remove", "--never-merge", string.Join(',', keys));
        Assert.Equal(CliApp.Success, removeExit);
        Assert.Contains("0 decisions.", removed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Link_WritesContractColumns()
    {
        var args = new List<string> { "link" };
        args.AddRange(SampleSourceArgs());
        args.AddRange(["--out", Tmp.File("links.csv")]);

        var (exit, _) = await RunAsync([.. args]);

        Assert.Equal(CliApp.Success, exit);
        var lines = await File.ReadAllLinesAsync(Tmp.File("links.csv"));
        Assert.Equal("left,right,score,decision", lines[0]);
        Assert.True(lines.Length >= 3, "three source patients of one person give at least two linked pairs");
        Assert.All(lines.Skip(1), l =>
        {
            var cols = l.Split(',');
            Assert.Equal(4, cols.Length);
            Assert.StartsWith("Patient/", cols[0], StringComparison.Ordinal);
            Assert.StartsWith("Patient/", cols[1], StringComparison.Ordinal);
            Assert.Contains(cols[3], new[] { "match", "possible" });
        });
    }

    [Fact]
    public async Task Convert_FhirFile_WritesBundleAndReport()
    {
        var (exit, _) = await RunAsync("convert", Path.Combine(DataDir, "northeast-lab", "Observation.ndjson"), "--out", Tmp.File("b.json"), "--report", Tmp.File("r.json"));

        Assert.Equal(CliApp.Success, exit);
        var bundle = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("b.json")));
        Assert.Equal(45, bundle.Entry.Count);
        var report = await File.ReadAllTextAsync(Tmp.File("r.json"));
        Assert.Contains("\"Observation\": 45", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Share_DeniedRecordsAreWithheldWithoutTraceAndAudited()
    {
        var (ehr, consent, immunizations) = await DemoWithAConsentDenyingImmunizationsAsync();

        var (exit, output) = await RunAsync("share", "--ehr", Tmp.File("ehr.json"), "--consent", consent, "--recipient", "Practitioner/dr-a", "--purpose", "TREAT", "--out", Tmp.File("shared.json"), "--audit", Tmp.File("audit.json"));

        Assert.Equal(CliApp.Success, exit);
        Assert.Contains($"{immunizations.Count} withheld", output, StringComparison.Ordinal);
        var shared = await File.ReadAllTextAsync(Tmp.File("shared.json"));
        Assert.NotEmpty(immunizations);
        Assert.All(immunizations, id => Assert.DoesNotContain(id, shared, StringComparison.Ordinal));
        Assert.Contains(FhirJson.Parse<Bundle>(shared).Entry, e => e.Resource is Condition);
        var audit = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("audit.json")));
        Assert.All(audit.Entry, e => Assert.IsType<AuditEvent>(e.Resource));
        Assert.True(audit.Entry.Count > immunizations.Count);
    }

    [Theory]
    [InlineData("aggregate")]
    [InlineData("aggregate", "--source", "nameonly")]
    [InlineData("aggregate", "--source", "a=x", "--source", "a=y")]
    [InlineData("history")]
    [InlineData("overrides", "--store", "sqlite:x.db", "--never-merge", "a:Condition/1")]
    [InlineData("overrides", "--store", "sqlite:x.db", "--remove")]
    [InlineData("explain", "--ehr", "missing.json", "--record", "Patient/x")]
    [InlineData("aggregate", "--source", "a=x", "--store", "oracle:db")]
    [InlineData("nonsense")]
    public async Task BadCommandLines_ExitWithUsageError(params string[] args)
    {
        var (exit, output) = await RunAsync(args);

        Assert.Equal(CliApp.UsageError, exit);
        Assert.False(string.IsNullOrWhiteSpace(output));
    }

    [Fact]
    public async Task Aggregate_NoUsablePatient_Fails()
    {
        var path = Tmp.Write("only-obs.ndjson", "{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/p\"}}\n");

        var (exit, output) = await RunAsync("aggregate", "--source", $"s={path}");

        Assert.Equal(CliApp.Failure, exit);
        Assert.Contains("No EHR could be built", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aggregate_NamedSourceMissing_FailsAndKeepsTheStoredVersion()
    {
        var store = $"sqlite:{Tmp.File("typo.db")}";
        string[] Args(string lab) =>
        [
            "aggregate", "--store", store,
            "--source", $"valley-primary-care={Path.Combine(DataDir, "valley-primary-care.json")}",
            "--source", $"st-marys-hospital={Path.Combine(DataDir, "st-marys-hospital.json")}",
            "--source", $"northeast-lab={lab}",
        ];
        Assert.Equal(CliApp.Success, (await RunAsync(Args(Path.Combine(DataDir, "northeast-lab")))).Exit);

        var (exit, output) = await RunAsync(Args(Path.Combine(DataDir, "northeast-lab-typo")));

        Assert.Equal(CliApp.Failure, exit);
        Assert.Contains("northeast-lab", output, StringComparison.Ordinal);
        // The person still has exactly one version: the typo did not save a shrunken one.
        var sqlite = new HealthRecord.Sdk.Sqlite.SqliteEhrStore($"Data Source={Tmp.File("typo.db")}");
        var versions = new List<int>();
        await foreach (var person in sqlite.ListPersonsAsync())
        {
            await foreach (var v in sqlite.ListVersionsAsync(person.PersonId))
            {
                versions.Add(v.Version);
            }
        }

        Assert.Equal([1], versions);
    }
}
