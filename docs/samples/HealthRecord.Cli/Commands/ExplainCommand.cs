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
            throw new CliUsageException($"The EHR has no record {settings.Record}.");
        }

        var explanation = EhrExplanation.For(bundle, resource);
        console.MarkupLineInterpolated($"[bold]{settings.Record}[/] {explanation.Summary}");
        if (explanation.Provenance is null)
        {
            console.MarkupLine("[yellow]No Provenance targets this record: its origin is unknown.[/]");
            return CliApp.Failure;
        }

        console.MarkupLineInterpolated($"Built by: {explanation.Activity}");
        console.MarkupLineInterpolated($"Policy:   {explanation.Policy}");
        var table = new Table().Title("Source records").AddColumns("source", "record as the source named it");
        foreach (var (source, reference) in explanation.Sources)
        {
            table.AddRow(Markup.Escape(source), Markup.Escape(reference));
        }

        console.Write(table);
        foreach (var conflict in explanation.Conflicts)
        {
            console.MarkupLineInterpolated($"[yellow]Conflict[/] {conflict}");
        }

        if (explanation.Conflicts.Count == 0)
        {
            console.MarkupLine("No conflicts between the sources.");
        }

        return CliApp.Success;
    }
}

/// <summary>What an EHR bundle says about one record's origin.</summary>
internal sealed record EhrExplanation(string Summary, Provenance? Provenance, string Activity, string Policy, IReadOnlyList<(string Source, string Reference)> Sources, IReadOnlyList<string> Conflicts)
{
    public static EhrExplanation For(Bundle bundle, Resource resource)
    {
        var target = EhrIds.FullUrl(resource.Id!);
        var provenance = bundle.Entry.Select(e => e.Resource).OfType<Provenance>().FirstOrDefault(p => p.Target.Any(t => t.Reference == target));
        var summary = resource switch
        {
            Patient p => $"{p.DisplayName()}, born {p.BirthDate}",
            _ when resource.TryGetValue("code", out var c) && c is CodeableConcept cc => Sdk.Merge.ConflictDetector.Display(cc),
            _ when resource.TryGetValue("vaccineCode", out var v) && v is CodeableConcept vc => Sdk.Merge.ConflictDetector.Display(vc),
            _ => "",
        };
        if (provenance is null)
        {
            return new EhrExplanation(summary, null, "", "", [], []);
        }

        var sources = provenance.Entity
            .Select(e => e.What?.Identifier is { } id ? (id.System?.Replace(EhrIds.SourceSystemPrefix, "", StringComparison.Ordinal) ?? "", id.Value ?? "") : ("?", e.What?.Display ?? "?"))
            .ToList();
        var conflicts = provenance.GetExtensions(EhrProvenanceExtensions.ConflictUrl).Select(x => (x.Value as FhirString)?.Value ?? "").ToList();
        return new EhrExplanation(summary, provenance, provenance.Activity?.Text ?? "", string.Join(", ", provenance.Policy), sources, conflicts);
    }
}
