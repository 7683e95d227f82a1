using System.ComponentModel;
using System.Globalization;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Model;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>link</c>: identity linking only, as CSV.</summary>
public sealed class LinkCommand(IAnsiConsole console) : AsyncCommand<LinkCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : SourceSettings
    {
        /// <summary>Output CSV.</summary>
        [CommandOption("--out <PATH>")]
        [Description("Write left,right,score,decision (one row per compared Patient pair that scored match or possible).")]
        public string Out { get; set; } = "";

        /// <inheritdoc />
        public override ValidationResult Validate() =>
            string.IsNullOrEmpty(Out) ? ValidationResult.Error("Name the output: --out links.csv.") : base.Validate();
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var services = SdkHost.Build(store: null, verbose: settings.Verbose);
        // Identity linking only: the Patient records are linked, no clinical record is aggregated.
        var linker = services.GetRequiredService<IPersonLinker>();
        var result = await linker.LinkAsync(new AggregationRequest { Sources = settings.ParsedSources() }, cancellationToken);
        CliFiles.EnsureParent(settings.Out);

        await using (var writer = new StreamWriter(settings.Out, append: false, new System.Text.UTF8Encoding(false)))
        {
            await writer.WriteAsync("left,right,score,decision\n");
            foreach (var link in result.PatientLinks.OrderBy(l => l.Left, StringComparer.Ordinal).ThenBy(l => l.Right, StringComparer.Ordinal))
            {
                await writer.WriteAsync(string.Join(',',
                    LineageCsv.Escape(PatientRef(link.Left)),
                    LineageCsv.Escape(PatientRef(link.Right)),
                    double.IsInfinity(link.Score) ? "inf" : link.Score.ToString("0.###", CultureInfo.InvariantCulture),
                    link.Decision == LinkDecision.Match ? "match" : link.Decision == LinkDecision.Possible ? "possible" : "no-match") + "\n");
            }
        }

        console.MarkupLineInterpolated($"{result.Persons.Count} persons among {result.Persons.Sum(p => p.Patients.Count)} source patients; {result.PatientLinks.Count(l => l.Decision == LinkDecision.Match)} matched pairs, {result.PatientLinks.Count(l => l.Decision == LinkDecision.Possible)} possible.");
        console.MarkupLineInterpolated($"Links written to [green]{settings.Out}[/]");
        return CliApp.Success;
    }

    // Candidate keys are record keys (source:Patient/id); the contract's columns name the Patient as the source did.
    private static string PatientRef(string key) => RecordKey.TryParse(key, out var parsed) ? parsed.Reference : key;
}
