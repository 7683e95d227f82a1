using System.ComponentModel;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>demo</c>: the bundled sample patient, split across three EMRs, aggregated into the embedded store.</summary>
public sealed class DemoCommand(IAnsiConsole console) : AsyncCommand<DemoCommand.Settings>
{
    /// <summary>The sample EMRs, highest priority first.</summary>
    internal static readonly (string Name, string Path)[] SampleSources =
    [
        ("valley-primary-care", "valley-primary-care.json"),
        ("st-marys-hospital", "st-marys-hospital.json"),
        ("northeast-lab", "northeast-lab"),
    ];

    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>Where the demo writes.</summary>
        [CommandOption("--out-dir <DIR>")]
        [Description("Folder for the store (healthrecord.db), the EHR (ehr.json) and the lineage (lineage.csv). Default: ./healthrecord-demo")]
        public string OutDir { get; set; } = "healthrecord-demo";

        /// <summary>Sample data folder.</summary>
        [CommandOption("--data <DIR>")]
        [Description("The sample data folder (default: docs/samples/data of the repository the program was built in, else the copy beside the program).")]
        public string? Data { get; set; }
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var data = settings.Data ?? SampleDataFolder(AppContext.BaseDirectory);
        if (!Directory.Exists(data))
        {
            throw new CliUsageException($"The sample data folder '{data}' does not exist.");
        }

        var outDir = Path.GetFullPath(settings.OutDir);
        Directory.CreateDirectory(outDir);
        var db = Path.Combine(outDir, "healthrecord.db");
        var sources = SampleSources.Select(s => new SourceRequest(s.Name, Path.Combine(data, s.Path))).ToList();

        console.Write(new Rule("[bold]HealthRecord.Sdk demo[/]").LeftJustified());
        console.MarkupLine("One synthetic patient (Synthea, Apache-2.0) whose history is spread over three EMRs:");
        console.MarkupLine("a primary-care practice (FHIR transaction bundle), a hospital (FHIR collection bundle that also holds copies");
        console.MarkupLine("of the practice's problem and medication lists) and a lab (Bulk Data NDJSON with two unusable records).");
        console.WriteLine();

        await using var services = SdkHost.Build($"sqlite:{db}", SampleSources.Select(s => s.Name).ToList());
        var runner = new AggregationRunner(console);
        var result = await runner.RunAsync(services.GetRequiredService<IEhrAggregator>(), sources, cancellationToken);
        runner.PrintSummary(result);

        var ehrPath = Path.Combine(outDir, "ehr.json");
        var lineagePath = Path.Combine(outDir, "lineage.csv");
        await AggregationRunner.WriteEhrsAsync(result, ehrPath, cancellationToken);
        await AggregationRunner.WriteLineageAsync(result, lineagePath, cancellationToken);

        console.WriteLine();
        console.MarkupLineInterpolated($"Store:   [green]{db}[/] (SQLite; each run adds a version only when the EHR changed)");
        console.MarkupLineInterpolated($"EHR:     [green]{ehrPath}[/] (FHIR R4 collection Bundle with Provenance)");
        console.MarkupLineInterpolated($"Lineage: [green]{lineagePath}[/]");
        var example = result.Ehrs.FirstOrDefault()?.Records.FirstOrDefault(r => r.Sources.Count > 1);
        if (example is not null)
        {
            console.MarkupLineInterpolated($"Next:    dotnet run --project docs/samples/HealthRecord.Cli -- explain --ehr {ehrPath} --record {example.Reference}");
        }

        return result.Ehrs.Count == 1 ? CliApp.Success : CliApp.Failure;
    }

    /// <summary>
    /// Where the sample data really lives: the repository's <c>docs/samples/data</c> when the program runs from a build
    /// inside the repository (so the demo reads, and prints, the committed files), else the copy beside the program.
    /// </summary>
    /// <param name="programFolder">The folder of the program (<see cref="AppContext.BaseDirectory"/>).</param>
    /// <returns>The sample data folder.</returns>
    internal static string SampleDataFolder(string programFolder)
    {
        for (var dir = new DirectoryInfo(programFolder); dir is not null; dir = dir.Parent)
        {
            var committed = Path.Combine(dir.FullName, "docs", "samples", "data");
            if (SampleSources.All(s => Path.Exists(Path.Combine(committed, s.Path))))
            {
                return committed;
            }
        }

        return Path.Combine(programFolder, "data");
    }
}
