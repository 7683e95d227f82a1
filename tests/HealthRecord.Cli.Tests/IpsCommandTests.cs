using HealthRecord.Cli;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Cli.Tests;

/// <summary>The <c>ips</c> command, driven as a user would drive it.</summary>
public sealed class IpsCommandTests : CliTestBase
{
    [Fact]
    public async Task Ips_FromTheDemoEhr_WritesTheDocumentAndItsHtml()
    {
        await RunAsync("demo", "--out-dir", Tmp.Path, "--data", DataDir);

        var (exit, output) = await RunAsync("ips", "--ehr", Tmp.File("ehr.json"), "--out", Tmp.File("ips.json"), "--html", Tmp.File("ips.html"), "--provenance");

        Assert.Equal(CliApp.Success, exit);
        var ips = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("ips.json")));
        Assert.Equal(Bundle.BundleType.Document, ips.Type);
        var composition = Assert.IsType<Composition>(ips.Entry[0].Resource);
        Assert.Equal(["11450-4", "48765-2", "10160-0"], composition.Section.Take(3).Select(s => s.Code!.Coding[0].Code));
        Assert.Contains(ips.Entry, e => e.Resource is Provenance);
        var html = await File.ReadAllTextAsync(Tmp.File("ips.html"));
        Assert.All(composition.Section, s => Assert.Contains($"<h2>{s.Title}</h2>", html, StringComparison.Ordinal));
        Assert.Matches(@"Problems\s+│\s+11450-4\s+│\s+5", output);
        Assert.Matches(@"Allergies and intolerances\s+│\s+48765-2\s+│\s+no information", output);
        Assert.Contains("IPS written to", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ips_FromTheStore_GivesTheSameSectionsAsFromTheFile()
    {
        await RunAsync("demo", "--out-dir", Tmp.Path, "--data", DataDir);
        var person = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("ehr.json"))).Id!;

        var (exit, output) = await RunAsync("ips", "--store", $"sqlite:{Tmp.File("healthrecord.db")}", "--person", person, "--out", Tmp.File("ips.json"));
        await RunAsync("ips", "--ehr", Tmp.File("ehr.json"), "--out", Tmp.File("ips-file.json"));

        Assert.Equal(CliApp.Success, exit);
        static IEnumerable<string> Sections(string path) => ((Composition)FhirJson.Parse<Bundle>(File.ReadAllText(path)).Entry[0].Resource!).Section.Select(s => $"{s.Code!.Coding[0].Code}:{s.Entry.Count}");
        Assert.Equal(Sections(Tmp.File("ips-file.json")), Sections(Tmp.File("ips.json")));
        Assert.Contains("IPS written to", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ips_WithARecipientAndAConsent_LeavesOutWhatTheConsentDenies()
    {
        var (ehr, consent, immunizations) = await DemoWithAConsentDenyingImmunizationsAsync();

        var (exit, output) = await RunAsync("ips", "--ehr", Tmp.File("ehr.json"), "--recipient", "Practitioner/dr-a", "--purpose", "TREAT", "--consent", consent, "--out", Tmp.File("ips.json"), "--html", Tmp.File("ips.html"), "--provenance");

        Assert.Equal(CliApp.Success, exit);
        Assert.Contains($"{immunizations.Count} records withheld", output, StringComparison.Ordinal);
        var text = await File.ReadAllTextAsync(Tmp.File("ips.json")) + await File.ReadAllTextAsync(Tmp.File("ips.html"));
        Assert.NotEmpty(immunizations);
        Assert.All(immunizations, id => Assert.DoesNotContain(id, text, StringComparison.Ordinal));
        Assert.DoesNotContain("Influenza", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Immunizations", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ips")]
    [InlineData("ips", "--ehr", "e.json")]
    [InlineData("ips", "--ehr", "e.json", "--store", "sqlite:x.db", "--person", "p", "--out", "o.json")]
    [InlineData("ips", "--store", "sqlite:x.db", "--out", "o.json")]
    [InlineData("ips", "--ehr", "e.json", "--consent", "c.json", "--out", "o.json")]
    [InlineData("ips", "--ehr", "missing.json", "--out", "o.json")]
    public async Task Ips_BadCommandLines_ExitWithUsageError(params string[] args)
    {
        var (exit, _) = await RunAsync(args);

        Assert.Equal(CliApp.UsageError, exit);
    }
}
