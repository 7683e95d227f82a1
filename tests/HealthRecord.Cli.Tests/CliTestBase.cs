using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Spectre.Console.Testing;

namespace HealthRecord.Cli.Tests;

/// <summary>What every CLI test class needs: a temporary folder, the sample data, and the CLI run in-process.</summary>
public abstract class CliTestBase : IDisposable
{
    /// <summary>The demo's sample EMRs.</summary>
    protected static readonly string DataDir = Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data");

    /// <summary>A folder deleted after each test.</summary>
    protected TempFolder Tmp { get; } = TestHost.TempFolder();

    /// <inheritdoc />
    public void Dispose()
    {
        // SQLite keeps pooled connections to stores in the folder open; release them before deleting it.
        SqliteConnection.ClearAllPools();
        Tmp.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs the demo into <see cref="Tmp"/> and writes a consent for its patient that denies immunizations.</summary>
    /// <returns>The demo's EHR, the consent file and the ids of the EHR's immunizations.</returns>
    protected async Task<(Bundle Ehr, string Consent, List<string> Immunizations)> DemoWithAConsentDenyingImmunizationsAsync()
    {
        await RunAsync("demo", "--out-dir", Tmp.Path, "--data", DataDir);
        var ehr = FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(Tmp.File("ehr.json")));
        var consent = Tmp.Write("consent.json", $$$"""
            {"resourceType":"Consent","id":"no-immunizations","status":"active",
             "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
             "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
             "patient":{"reference":"urn:uuid:{{{ehr.Id}}}"},
             "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
             "provision":{"type":"permit","provision":[{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"Immunization"}]}]}}
            """);
        return (ehr, consent, ehr.Entry.Where(e => e.Resource is Immunization).Select(e => e.Resource!.Id!).ToList());
    }

    /// <summary>Runs the CLI with a wide test console.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code and what was printed.</returns>
    protected static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exit = await CliApp.RunAsync(args, console);
        return (exit, console.Output);
    }
}
