using System.ComponentModel;
using System.Globalization;
using HealthRecord.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>history</c>: persons and versions in a store.</summary>
public sealed class HistoryCommand(IAnsiConsole console) : AsyncCommand<HistoryCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>The store.</summary>
        [CommandOption("--store <STORE>")]
        [Description("The store: sqlite:FILE or postgres:CONNECTION.")]
        public string Store { get; set; } = "";

        /// <inheritdoc />
        public override ValidationResult Validate() =>
            string.IsNullOrEmpty(Store) ? ValidationResult.Error("Name the store: --store sqlite:FILE or --store postgres:CONNECTION.") : ValidationResult.Success();
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        SdkHost.RequireExisting(settings.Store);

        await using var services = SdkHost.Build(settings.Store);
        var store = SdkHost.Store(services);
        var table = new Table().AddColumns("person", "patient", "version", "saved at (UTC)", "records", "sources", "content hash");
        var persons = 0;
        await foreach (var person in store.ListPersonsAsync(cancellationToken))
        {
            persons++;
            var latest = await store.GetAsync(person.PersonId, cancellationToken: cancellationToken);
            await foreach (var v in store.ListVersionsAsync(person.PersonId, cancellationToken))
            {
                table.AddRow(
                    v.PersonId,
                    Shown.Markup(v.Version == person.Version ? latest?.Patient.DisplayName() ?? "" : "", 60),
                    v.Version.ToString(CultureInfo.InvariantCulture),
                    v.SavedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    v.RecordCount.ToString(CultureInfo.InvariantCulture),
                    Shown.Markup(Shown.Join(v.Sources)),
                    v.ContentHash[..12]);
            }
        }

        console.Write(table);
        console.MarkupLineInterpolated($"{persons} persons.");
        return CliApp.Success;
    }
}
