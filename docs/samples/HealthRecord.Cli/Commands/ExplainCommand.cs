using System.ComponentModel;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>explain</c>: why an EHR record looks as it does.</summary>
public sealed class ExplainCommand(IAnsiConsole console) : AsyncCommand<ExplainCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>The EHR bundle.</summary>
        [CommandOption("--ehr <PATH>")]
        [Description("The EHR bundle written by aggregate or demo.")]
        public string Ehr { get; set; } = "";

        /// <summary>The record.</summary>
        [CommandOption("--record <TYPE/ID>")]
        [Description("The EHR record, as Type/id.")]
        public string Record { get; set; } = "";

        /// <inheritdoc />
        public override ValidationResult Validate() =>
            string.IsNullOrEmpty(Ehr) || string.IsNullOrEmpty(Record) ? ValidationResult.Error("Give --ehr ehr.json and --record Type/id.") : ValidationResult.Success();
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var bundle = await CliFiles.ReadBundleAsync(settings.Ehr, cancellationToken);
        var index = EhrBundleBuilder.Index(bundle);
        if (!index.TryGetValue(settings.Record, out var resource))
        {
            throw new CliUsageException($"The EHR has no record {Shown.Text(settings.Record)}.");
        }

        var provenance = EhrProvenance.Find(bundle, resource);
        console.MarkupLineInterpolated($"[bold]{Shown.Text(settings.Record)}[/] {Shown.Text(Summary(resource))}");
        if (provenance is null)
        {
            console.MarkupLine("[yellow]No Provenance targets this record: its origin is unknown.[/]");
            return CliApp.Failure;
        }

        console.MarkupLineInterpolated($"Built by: {Shown.Text(provenance.Activity)}");
        console.MarkupLineInterpolated($"Policy:   {Shown.Text(provenance.Policy)}");
        var table = new Table().Title("Source records").AddColumns("source", "record as the source named it");
        foreach (var source in provenance.Sources)
        {
            table.AddRow(Shown.Markup(source.Source, 60), Shown.Markup(source.Reference));
        }

        console.Write(table);
        foreach (var conflict in provenance.Conflicts)
        {
            console.MarkupLineInterpolated($"[yellow]Conflict[/] {Shown.Text(conflict?.ToString(), Shown.MaxLength * 2)}");
        }

        if (provenance.Conflicts.Count == 0)
        {
            console.MarkupLine("No conflicts between the sources.");
        }

        return CliApp.Success;
    }

    private static string Summary(Resource resource) => resource switch
    {
        Patient p => $"{p.DisplayName()}, born {p.BirthDate}",
        _ when resource.TryGetValue("code", out var c) && c is CodeableConcept cc => Sdk.Merge.ConflictDetector.Display(cc),
        _ when resource.TryGetValue("vaccineCode", out var v) && v is CodeableConcept vc => Sdk.Merge.ConflictDetector.Display(vc),
        _ => "",
    };
}
