using System.ComponentModel;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Storage;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>export</c>: one stored version of a person's EHR as a FHIR R4 collection Bundle with Provenance.</summary>
public sealed class ExportCommand(IAnsiConsole console) : AsyncCommand<ExportCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : StoredPersonSettings
    {
        /// <summary>The version.</summary>
        [CommandOption("--version <N>")]
        [Description("The version (default: the latest).")]
        public int? Version { get; set; }

        /// <summary>Where to write.</summary>
        [CommandOption("--out <PATH>")]
        [Description("The EHR file to write (FHIR R4 JSON); written to a temporary file and renamed, so it is never left half-written.")]
        public string Out { get; set; } = "";

        /// <inheritdoc />
        public override ValidationResult Validate() =>
            base.Validate() is { Successful: false } failed ? failed
            : string.IsNullOrEmpty(Out) ? ValidationResult.Error("Name the output file: --out ehr.json.")
            : Version is < 1 ? ValidationResult.Error("--version takes a version number, 1 or more.")
            : ValidationResult.Success();
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        SdkHost.RequireExisting(settings.Store);
        await using var services = SdkHost.Build(settings.Store);
        var ehr = await SdkHost.Store(services).GetRequiredAsync(settings.Person, settings.Version, cancellationToken);
        await CliFiles.WriteResourceAsync(settings.Out, EhrBundleBuilder.Build(ehr), cancellationToken);
        console.MarkupLineInterpolated($"Person {ehr.PersonId} version {ehr.Version}: {ehr.Records.Count + 1} records written to {settings.Out}.");
        return CliApp.Success;
    }
}
