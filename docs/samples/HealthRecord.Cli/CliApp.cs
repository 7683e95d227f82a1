using HealthRecord.Cli.Commands;
using HealthRecord.Cli.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli;

/// <summary>The command-line sample: how people (and our checks) drive HealthRecord.Sdk end to end.</summary>
public static class CliApp
{
    /// <summary>Exit code: everything asked for was produced (rejected records may have been reported).</summary>
    public const int Success = 0;

    /// <summary>Exit code: the command failed (nothing usable was produced).</summary>
    public const int Failure = 1;

    /// <summary>Exit code: the command line was wrong.</summary>
    public const int UsageError = 2;

    /// <summary>Runs the CLI.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="console">Where to write.</param>
    /// <param name="cancellationToken">Cancels the run (Ctrl+C).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, CancellationToken cancellationToken = default)
    {
        var services = new ServiceCollection();
        services.AddSingleton(console);
        var app = new CommandApp(new TypeRegistrar(services));
        app.Configure(config =>
        {
            config.SetApplicationName("healthrecord");
            config.ConfigureConsole(console);
            config.SetExceptionHandler((ex, _) =>
            {
                switch (ex)
                {
                    case CommandParseException or CommandRuntimeException:
                        console.MarkupLineInterpolated($"[red]{ex.Message}[/]");
                        return UsageError;
                    case CliUsageException usage:
                        console.MarkupLineInterpolated($"[red]{Cut(usage.Message)}[/]");
                        return UsageError;
                    case OperationCanceledException:
                        console.MarkupLine("[yellow]Cancelled.[/]");
                        return Failure;
                    case HealthRecord.Sdk.Errors.HealthRecordException hr:
                        console.MarkupLineInterpolated($"[red]{hr.Code}: {Cut(hr.Message)}[/]");
                        return Failure;
                    case var _ when args.Contains("--verbose", StringComparer.Ordinal):
                        console.WriteException(ex, ExceptionFormats.ShortenEverything);
                        return Failure;
                    default:
                        // One line for people; the stack trace only when asked for.
                        console.MarkupLineInterpolated($"[red]{ex.GetType().Name}: {Cut(ex.Message)}[/] (run with --verbose for details)");
                        return Failure;
                }
            });
            config.AddCommand<DemoCommand>("demo")
                .WithDescription("Aggregates the bundled sample EMRs of one patient into the embedded store and prints the summary.");
            config.AddCommand<AggregateCommand>("aggregate")
                .WithDescription("Reads sources, links identities, writes one EHR per person (FHIR R4 collection Bundle) and the lineage.")
                .WithExample("aggregate", "--source", "clinic=./clinic.json", "--source", "lab=./lab-export/", "--out", "ehr.json", "--lineage", "lineage.csv");
            config.AddCommand<LinkCommand>("link")
                .WithDescription("Patient identity linking only: writes left,right,score,decision for the Patient pairs that scored match or possible.");
            config.AddCommand<ConvertCommand>("convert")
                .WithDescription("Converts one document or message (FHIR JSON/NDJSON, and C-CDA or HL7 v2 when their packages are present) to a FHIR R4 Bundle, with a report.");
            config.AddCommand<ExplainCommand>("explain")
                .WithDescription("Explains one EHR record: its source records, the rules and evidence that merged them, and conflicts.");
            config.AddCommand<ShareCommand>("share")
                .WithDescription("Consent-filtered disclosure of an EHR for a recipient and purpose of use, with its AuditEvents.");
            config.AddCommand<IpsCommand>("ips").WithDescription("International Patient Summary of an EHR (FHIR R4 document; consent applied first when a recipient is named), and its HTML rendering.");
            config.AddCommand<HistoryCommand>("history")
                .WithDescription("Lists the persons and versions in a store.");
            config.AddCommand<DiffCommand>("diff")
                .WithDescription("Compares two stored versions of one person's EHR: records added, removed and changed.")
                .WithExample("diff", "--store", "sqlite:ehr.db", "--person", "ID", "--from", "1", "--to", "2");
            config.AddCommand<ExportCommand>("export")
                .WithDescription("Writes one stored version (default: the latest) of a person's EHR as a FHIR R4 Bundle.")
                .WithExample("export", "--store", "sqlite:ehr.db", "--person", "ID", "--out", "ehr.json");
            config.AddCommand<OverridesCommand>("overrides")
                .WithDescription("Lists or changes reviewers' merge decisions in a store (never merge / always merge), which every later aggregate into it honours.")
                .WithExample("overrides", "--store", "sqlite:ehr.db", "--never-merge", "clinic:Condition/1,hospital:Condition/7", "--reason", "two episodes");
            config.AddCommand<DeidentifyCommand>("deidentify").WithDescription("De-identified copy of EHRs (Safe Harbor or per-person date shift) with its change report and k-anonymity: one FHIR Bundle, or NDJSON per type and CSV per domain.");
            config.AddCommand<CohortCommand>("cohort").WithDescription("Cohort summary (people, age at first record, sex, providers, years of data, visits per person) as a table and charts (SVG, PNG).");
            config.AddCommand<ListenCommand>("listen")
                .WithDescription("A live HL7 v2 feed: ACKs each MLLP message once it is durably journaled and updates each person's EHR in the store as messages arrive; stops cleanly on SIGTERM.")
                .WithExample("listen", "--mllp", "127.0.0.1:2575", "--store", "sqlite:ehr.db");
        });
        return await app.RunAsync(args, cancellationToken).ConfigureAwait(false);
    }

    // Values from input can be huge (a 30 MB text field): what the CLI prints is cut to a readable length.
    private static string Cut(string text) => HealthRecord.Cli.Infrastructure.Shown.Text(text, 300);
}
