using System.ComponentModel;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Deduplication;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary>
/// <c>overrides</c>: reviewers' standing merge decisions in a store ("never merge these", "always merge
/// these"); every later <c>aggregate</c> into the same store honours them.
/// </summary>
public sealed class OverridesCommand(IAnsiConsole console) : AsyncCommand<OverridesCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>The store.</summary>
        [CommandOption("--store <STORE>")]
        [Description("The store whose decisions to read or change: sqlite:FILE or postgres:CONNECTION.")]
        public string Store { get; set; } = "";

        /// <summary>Records that must never be one EHR record.</summary>
        [CommandOption("--never-merge <KEYS>")]
        [Description("Comma-separated source record keys (source:Type/id, as explain and the lineage show them) that must stay apart.")]
        public string? NeverMerge { get; set; }

        /// <summary>Records that must be one EHR record.</summary>
        [CommandOption("--always-merge <KEYS>")]
        [Description("Comma-separated source record keys (source:Type/id) of one type that are one fact.")]
        public string? AlwaysMerge { get; set; }

        /// <summary>Why.</summary>
        [CommandOption("--reason <TEXT>")]
        [Description("Why (kept with the decision and shown in the merged record's rule).")]
        public string? Reason { get; set; }

        /// <summary>Remove the named decision instead of adding it.</summary>
        [CommandOption("--remove")]
        [Description("Removes the decision named by --never-merge or --always-merge.")]
        public bool Remove { get; set; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Store))
            {
                return ValidationResult.Error("Name the store: --store sqlite:FILE or --store postgres:CONNECTION.");
            }

            if (NeverMerge is not null && AlwaysMerge is not null)
            {
                return ValidationResult.Error("Give --never-merge or --always-merge, not both.");
            }

            return Remove && NeverMerge is null && AlwaysMerge is null
                ? ValidationResult.Error("--remove needs the decision: --never-merge KEYS or --always-merge KEYS.")
                : ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (SdkHost.ParseStore(settings.Store).Kind is not ("sqlite" or "postgres"))
        {
            throw new CliUsageException("Decisions are kept in a store: --store sqlite:FILE or --store postgres:CONNECTION.");
        }

        await using var services = SdkHost.Build(settings.Store);
        var review = services.GetRequiredService<IMergeReview>();
        if ((settings.NeverMerge ?? settings.AlwaysMerge) is { } keys)
        {
            var kind = settings.NeverMerge is not null ? MergeOverrideKind.NeverMerge : MergeOverrideKind.AlwaysMerge;
            MergeOverride decision;
            try
            {
                decision = MergeOverride.Create(kind, keys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), settings.Reason);
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message.Split(" (Parameter", 2)[0]);
            }

            if (settings.Remove)
            {
                var removed = await review.RemoveAsync(decision, cancellationToken);
                console.MarkupLineInterpolated($"{(removed ? "Removed" : "There was no")} {Name(kind)} decision for {string.Join(", ", decision.Records)}.");
            }
            else
            {
                await review.AddAsync(decision, cancellationToken);
                console.MarkupLineInterpolated($"Recorded: {Name(kind)} {string.Join(", ", decision.Records)}. Every later aggregate into this store honours it.");
            }
        }

        var decisions = await review.GetOverridesAsync(cancellationToken);
        var table = new Table().AddColumns("decision", "records", "reason");
        foreach (var d in decisions)
        {
            table.AddRow(Name(d.Kind), string.Join("\n", d.Records.Select(r => Shown.Markup(r))), Shown.Markup(d.Reason ?? ""));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"{decisions.Count} decisions.");
        return CliApp.Success;
    }

    private static string Name(MergeOverrideKind kind) => kind == MergeOverrideKind.NeverMerge ? "never merge" : "always merge";
}
