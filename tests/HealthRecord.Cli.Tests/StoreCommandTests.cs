using HealthRecord.Cli;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.TestSupport.Storage;
using Hl7.Fhir.Model;

namespace HealthRecord.Cli.Tests;

/// <summary><c>history</c>, <c>diff</c> and <c>export</c> on a store two aggregations wrote, SQLite and PostgreSQL.</summary>
public sealed class StoreCommandTests : CliTestBase
{
    [Fact]
    public Task HistoryDiffExport_SqliteStore_ShowAndWriteStoredVersions() => HistoryDiffExportAsync($"sqlite:{Tmp.File("ehr.db")}");

    [SkippableFact]
    public Task HistoryDiffExport_PostgresStore_ShowAndWriteStoredVersions() =>
        HistoryDiffExportAsync($"postgres:{PostgresServer.RequireConnectionString()};Search Path={PostgresServer.NewSchema()}");

    [Theory]
    [InlineData("diff", "--store", "sqlite:x.db", "--person", "p")]
    [InlineData("diff", "--store", "sqlite:missing.db", "--person", "p", "--from", "1")]
    [InlineData("export", "--store", "sqlite:x.db", "--person", "p")]
    [InlineData("history", "--store", "postgres:")]
    [InlineData("history", "--store", "postgres://")]
    public async Task BadCommandLines_ExitWithUsageError(params string[] args)
    {
        var (exit, output) = await RunAsync(args);

        Assert.Equal(CliApp.UsageError, exit);
        Assert.False(string.IsNullOrWhiteSpace(output));
    }

    [Fact]
    public async Task Export_UnknownVersion_FailsAndWritesNoFile()
    {
        var store = $"sqlite:{Tmp.File("ehr.db")}";
        await RunAsync("aggregate", "--source", $"valley-primary-care={DataDir}/valley-primary-care.json", "--store", store);
        var person = await FirstPersonAsync(store);

        var (exit, output) = await RunAsync("export", "--store", store, "--person", person, "--version", "9", "--out", Tmp.File("v9.json"));

        Assert.Equal(CliApp.Failure, exit);
        Assert.Contains("has no version 9", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Tmp.File("v9.json")));
        Assert.Empty(Directory.GetFiles(Tmp.Path, "*.tmp"));
    }

    private async Task HistoryDiffExportAsync(string store)
    {
        var (first, firstOut) = await RunAsync("aggregate", "--source", $"valley-primary-care={DataDir}/valley-primary-care.json", "--source", $"st-marys-hospital={DataDir}/st-marys-hospital.json", "--store", store);
        Assert.True(first == CliApp.Success, firstOut);
        var (second, _) = await RunAsync("aggregate", "--source", $"valley-primary-care={DataDir}/valley-primary-care.json", "--source", $"st-marys-hospital={DataDir}/st-marys-hospital.json", "--source", $"northeast-lab={DataDir}/northeast-lab", "--store", store);
        Assert.Equal(CliApp.Success, second);

        var (historyExit, history) = await RunAsync("history", "--store", store);
        Assert.Equal(CliApp.Success, historyExit);
        Assert.Contains("1 persons.", history, StringComparison.Ordinal);
        var person = await FirstPersonAsync(store);

        var (diffExit, diff) = await RunAsync("diff", "--store", store, "--person", person, "--from", "1", "--to", "2");
        Assert.Equal(CliApp.Success, diffExit);
        Assert.Matches(@"version 1 → 2: \d+ added, \d+ removed, \d+ changed, \d+ unchanged\.", diff);
        Assert.Contains("Observation/", diff, StringComparison.Ordinal);

        var (exportExit, export) = await RunAsync("export", "--store", store, "--person", person, "--version", "1", "--out", Tmp.File("out/v1.json"));
        Assert.True(exportExit == CliApp.Success, export);
        var bundle = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("out/v1.json")));
        Assert.Contains(bundle.Entry, e => e.Resource is Patient p && p.Id == person);
        Assert.DoesNotContain(bundle.Entry, e => e.Resource is Provenance pr && pr.Entity.Any(x => x.What.Display?.StartsWith("northeast-lab", StringComparison.Ordinal) == true));
        Assert.Empty(Directory.GetFiles(Tmp.File("out"), "*.tmp"));
    }

    private static async Task<string> FirstPersonAsync(string store)
    {
        var (_, history) = await RunAsync("history", "--store", store);
        return System.Text.RegularExpressions.Regex.Match(history, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").Value;
    }
}
