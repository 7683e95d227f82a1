using System.ComponentModel;
using System.Globalization;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Storage;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>diff</c>: what changed in one person's EHR between two stored versions.</summary>
public sealed class DiffCommand(IAnsiConsole console) : AsyncCommand<DiffCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : StoredPersonSettings
    {
        /// <summary>The earlier version.</summary>
        [CommandOption("--from <N>")]
        [Description("The earlier version.")]
        public int From { get; set; }

        /// <summary>The later version.</summary>
        [CommandOption("--to <M>")]
        [Description("The later version (default: the latest).")]
        public int? To { get; set; }

        /// <inheritdoc />
        public override ValidationResult Validate() =>
            base.Validate() is { Successful: false } failed ? failed
            : From < 1 ? ValidationResult.Error("Name the earlier version: --from N (1 or more).")
            : To is < 1 ? ValidationResult.Error("--to takes a version number, 1 or more.")
            : ValidationResult.Success();
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        SdkHost.RequireExisting(settings.Store);
        await using var services = SdkHost.Build(settings.Store);
        var store = SdkHost.Store(services);
        var to = settings.To ?? (await store.GetRequiredAsync(settings.Person, cancellationToken: cancellationToken)).Version;
        var diff = await store.DiffAsync(settings.Person, settings.From, to, cancellationToken);

        var table = new Table().AddColumns("change", "record");
        foreach (var r in diff.Added)
        {
            table.AddRow("[green]added[/]", Shown.Markup(r));
        }

        foreach (var r in diff.Removed)
        {
            table.AddRow("[red]removed[/]", Shown.Markup(r));
        }

        foreach (var r in diff.Changed)
        {
            table.AddRow("[yellow]changed[/]", Shown.Markup(r));
        }

        if (!diff.IsEmpty)
        {
            console.Write(table);
        }

        console.MarkupLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Person {Markup.Escape(diff.PersonId)}, version {diff.FromVersion} → {diff.ToVersion}: {diff.Added.Count} added, {diff.Removed.Count} removed, {diff.Changed.Count} changed, {diff.Unchanged} unchanged."));
        return CliApp.Success;
    }
}
