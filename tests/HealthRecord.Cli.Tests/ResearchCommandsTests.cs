using HealthRecord.Cli;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Cli.Tests;

/// <summary><c>deidentify</c> and <c>cohort</c>, driven as a user would drive them.</summary>
public sealed class ResearchCommandsTests : CliTestBase
{
    private async Task DemoAsync() => Assert.Equal(CliApp.Success, (await RunAsync("demo", "--out-dir", Tmp.Path, "--data", DataDir)).Exit);

    [Fact]
    public async Task Deidentify_EhrWithKey_WritesTheSameBundleEachRunAndTheReport()
    {
        await DemoAsync();
        var key = Tmp.Write("key.bin", "a research key of more than 16 bytes");
        string Run(int i) => Tmp.File($"research-{i}.json");
        for (var i = 0; i < 2; i++)
        {
            var (exit, output) = await RunAsync("deidentify", "--ehr", Tmp.File("ehr.json"), "--out", Run(i), "--key", key, "--mode", "date-shift", "--report", Tmp.File("report.json"));
            Assert.Equal(CliApp.Success, exit);
            Assert.Contains("1 persons de-identified (date-shift)", output, StringComparison.Ordinal);
            Assert.Contains("k-anonymity", output, StringComparison.Ordinal);
        }

        Assert.Equal(await File.ReadAllBytesAsync(Run(0)), await File.ReadAllBytesAsync(Run(1)));
        var bundle = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Run(0)));
        Assert.DoesNotContain(bundle.Entry, e => e.Resource is Provenance);
        var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
        Assert.Empty(patient.Name);
        var report = await File.ReadAllTextAsync(Tmp.File("report.json"));
        Assert.Contains("\"kAnonymity\"", report, StringComparison.Ordinal);
        Assert.Contains("\"shifted\"", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deidentify_StoreToFolder_WritesNdjsonAndCsv()
    {
        await DemoAsync();
        var (exit, _) = await RunAsync("deidentify", "--store", $"sqlite:{Tmp.File("healthrecord.db")}", "--out", Tmp.File("research"), "--key", Tmp.Write("key.bin", "another key of 16+ bytes"));
        Assert.Equal(CliApp.Success, exit);
        Assert.True(File.Exists(Tmp.File("research/fhir/Patient.ndjson")));
        Assert.StartsWith("person_id,record_id,", await File.ReadAllTextAsync(Tmp.File("research/csv/conditions.csv")), StringComparison.Ordinal);
        Assert.True(File.Exists(Tmp.File("research/k-anonymity.json")));
    }

    [Fact]
    public async Task Deidentify_BadArguments_AreUsageErrors()
    {
        Assert.Equal(CliApp.UsageError, (await RunAsync("deidentify", "--out", Tmp.File("r.json"))).Exit);
        Assert.Equal(CliApp.UsageError, (await RunAsync("deidentify", "--ehr", Tmp.File("missing.json"), "--out", Tmp.File("r.json"), "--key", Tmp.Write("k", "0123456789abcdef"))).Exit);
        Assert.Equal(CliApp.UsageError, (await RunAsync("deidentify", "--ehr", Tmp.File("x.json"), "--out", Tmp.File("r.json"), "--mode", "fuzzy")).Exit);
    }

    [Fact]
    public async Task Cohort_Store_WritesTableAndCharts()
    {
        await DemoAsync();
        var (exit, output) = await RunAsync("cohort", "--store", $"sqlite:{Tmp.File("healthrecord.db")}", "--out", Tmp.File("cohort"));
        Assert.Equal(CliApp.Success, exit);
        Assert.Contains("providers per person", output, StringComparison.Ordinal);
        Assert.Contains("median 3.0", output, StringComparison.Ordinal);
        foreach (var chart in new[] { "years-of-data", "providers-per-person" })
        {
            var png = await File.ReadAllBytesAsync(Tmp.File($"cohort/{chart}.png"));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.Contains("<svg", await File.ReadAllTextAsync(Tmp.File($"cohort/{chart}.svg")), StringComparison.Ordinal);
        }

        Assert.StartsWith("figure,value\n\"people\",\"1\"", await File.ReadAllTextAsync(Tmp.File("cohort/cohort.csv")), StringComparison.Ordinal);
    }
}
