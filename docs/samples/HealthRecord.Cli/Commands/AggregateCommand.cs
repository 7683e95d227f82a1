using System.ComponentModel;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Aggregation;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>aggregate</c>: sources → one EHR per person, with lineage.</summary>
public sealed class AggregateCommand(IAnsiConsole console) : AsyncCommand<AggregateCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : SourceSettings
    {
        /// <summary>Where to save.</summary>
        [CommandOption("--store <STORE>")]
        [Description("Also save each EHR as a new version: sqlite:FILE or postgres:CONN. Each saved person is printed (saved: person ID version N) as it is saved.")]
        public string? Store { get; set; }

        /// <summary>The shard of a population run split across workers.</summary>
        [CommandOption("--shard <I/N>")]
        [Description("Aggregate only shard I of N (1 ≤ I ≤ N) of the people: run N workers (processes or machines) with the same sources and --store, one per shard; every person lands in exactly one shard. See docs/storage.md.")]
        public string? Shard { get; set; }

        /// <summary>The merge policy.</summary>
        [CommandOption("--policy <NAME>")]
        [Description("Merge policy: source-priority (default), most-recent, most-complete, keep-all.")]
        public string? Policy { get; set; }

        /// <summary>Source priority.</summary>
        [CommandOption("--priority <NAMES>")]
        [Description("Source names, highest priority first, comma-separated (default: name order).")]
        public string? Priority { get; set; }

        /// <summary>Output path.</summary>
        [CommandOption("--out <PATH>")]
        [Description("Write the EHR as a FHIR R4 collection Bundle: a file when there is one person, else a folder of <person>.json.")]
        public string? Out { get; set; }

        /// <summary>Lineage CSV path.</summary>
        [CommandOption("--lineage <PATH>")]
        [Description("Write lineage CSV: person,source,source_resource,ehr_resource,action,reason.")]
        public string? Lineage { get; set; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            var sources = base.Validate();
            if (!sources.Successful || Shard is null)
            {
                return sources;
            }

            return PopulationShard.TryParse(Shard, out _)
                ? ValidationResult.Success()
                : ValidationResult.Error($"--shard takes I/N with 1 ≤ I ≤ N (e.g. --shard 2/4), not '{Shard}'.");
        }
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var priority = settings.Priority?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        await using var services = SdkHost.Build(settings.Store, priority, settings.Policy, settings.Verbose);
        var runner = new AggregationRunner(console);

        // Person by person: identities are linked first, then each person is aggregated, written and let go.
        var (result, shown, tally) = await runner.RunPopulationAsync(services.GetRequiredService<IPopulationAggregator>(), settings.ParsedSources(), settings.Out, settings.Lineage, cancellationToken,
            settings.Shard is null ? null : PopulationShard.TryParse(settings.Shard, out var shard) ? shard : null);
        runner.PrintSummary(result, shown, tally);
        console.WriteLine();
        foreach (var path in tally.Written.Take(10))
        {
            console.MarkupLineInterpolated($"EHR written to [green]{path}[/]");
        }

        if (tally.Written.Count > 10)
        {
            console.MarkupLineInterpolated($"… and {tally.Written.Count - 10} more EHRs written to [green]{settings.Out}[/]");
        }

        if (settings.Lineage is not null)
        {
            console.MarkupLineInterpolated($"Lineage written to [green]{settings.Lineage}[/]");
        }

        var notSaved = result.Issues.Count(i => i.Code == HealthRecord.Sdk.Errors.HealthRecordErrorCode.SourceUnavailable);
        if (settings.Store is not null && result.Persons > notSaved)
        {
            console.MarkupLineInterpolated($"Saved to [green]{settings.Store}[/]{(notSaved > 0 ? $" (except {notSaved} EHRs whose stored version is kept)" : "")}: {tally.Saved} persons (each listed above as it was saved; a run is not atomic across people: stopped part-way, it keeps those listed, and running it again completes the rest).");
        }

        if (settings.Shard is not null)
        {
            console.MarkupLineInterpolated($"Shard {settings.Shard}: {result.Persons} of the population's persons belong to this shard; the other shards' workers aggregate the rest.");
        }

        if (result.Persons == 0 && settings.Shard is not null && result.Sources.Sum(s => s.RecordsRead) > 0)
        {
            return CliApp.Success; // a shard may own nobody in a small population
        }

        if (result.Persons == 0)
        {
            console.MarkupLine("[red]No EHR could be built: no usable Patient was read from any source.[/]");
            return CliApp.Failure;
        }

        // A named source that could not be read completely (missing, refused, failed part-way) fails the run: its
        // people's stored versions were kept rather than shrunk, and the operator must see that.
        var incomplete = result.Sources.Where(s => s.Incomplete).Select(s => s.Name).ToList();
        if (incomplete.Count > 0)
        {
            console.MarkupLineInterpolated($"[red]Not every source could be read completely: {string.Join(", ", incomplete)}.[/]");
            return CliApp.Failure;
        }

        return CliApp.Success;
    }
}
