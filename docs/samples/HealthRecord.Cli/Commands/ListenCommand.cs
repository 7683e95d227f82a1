using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Hl7V2.Feed;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary>
/// <c>listen</c>: a live HL7 v2 feed. Acknowledges each message once it is durably journaled and updates each
/// person's EHR in the store as messages arrive; stops cleanly on SIGTERM or Ctrl+C (the messages in hand are
/// answered, the queue is applied).
/// </summary>
public sealed class ListenCommand(IAnsiConsole console) : AsyncCommand<ListenCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>Where to listen.</summary>
        [CommandOption("--mllp <HOST:PORT>")]
        [Description("The address and port to listen on, e.g. 127.0.0.1:2575 (port 0 picks a free one).")]
        public string Mllp { get; set; } = "";

        /// <summary>The store.</summary>
        [CommandOption("--store <STORE>")]
        [Description("The store the EHRs are kept in: sqlite:FILE.")]
        public string Store { get; set; } = "";

        /// <summary>The journal.</summary>
        [CommandOption("--journal <FILE>")]
        [Description("The journal every message is written to before its ACK. Default: the store's file with .hl7v2-journal appended.")]
        public string? Journal { get; set; }

        /// <summary>The source name.</summary>
        [CommandOption("--source-name <NAME>")]
        [Description("The source name the feed's records carry. Default: mllp.")]
        public string SourceName { get; set; } = "mllp";

        /// <summary>Debug logging.</summary>
        [CommandOption("--verbose")]
        [Description("Log each connection and message (numbers and types only, never content).")]
        public bool Verbose { get; set; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Mllp) || !IPEndPoint.TryParse(Mllp, out _))
            {
                return ValidationResult.Error("Name where to listen: --mllp HOST:PORT with an IP address, e.g. --mllp 127.0.0.1:2575.");
            }

            return string.IsNullOrEmpty(Store) ? ValidationResult.Error("Name the store: --store sqlite:FILE.") : ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var endPoint = IPEndPoint.Parse(settings.Mllp);
        var journalPath = settings.Journal ?? (settings.Store.StartsWith("sqlite:", StringComparison.Ordinal)
            ? settings.Store["sqlite:".Length..] + ".hl7v2-journal"
            : throw new CliUsageException("Name the journal file: --journal FILE."));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        await using var services = SdkHost.Build(settings.Store, verbose: settings.Verbose);
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var journal = await Hl7V2MessageJournal.OpenAsync(journalPath, cancellationToken);
        await using (journal.ConfigureAwait(false))
        {
            var feed = new Hl7V2Feed(services.GetRequiredService<IEhrAggregator>(), SdkHost.Store(services), journal, settings.SourceName,
                new Hl7V2DocumentReader(), loggers.CreateLogger<Hl7V2Feed>());
            await using (feed.ConfigureAwait(false))
            {
                await feed.StartAsync(cancellationToken);
                var listener = new MllpListener(new MllpListenerOptions { Address = endPoint.Address, Port = endPoint.Port }, feed.HandleAsync, loggers.CreateLogger<MllpListener>());
                await using (listener.ConfigureAwait(false))
                {
                    var bound = listener.Start();
                    console.MarkupLineInterpolated($"Listening on {bound} (journal: {journalPath}, {journal.Count} messages, {journal.Count - journal.AppliedThrough} to apply). Stop with SIGTERM or Ctrl+C.");
                    try
                    {
                        await Task.Delay(Timeout.Infinite, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // Stopping.
                    }

                    await listener.StopAsync();
                    await feed.WhenAppliedAsync(CancellationToken.None);
                    console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                        $"Stopped: {listener.AcceptedCount} AA, {listener.ErrorCount} AE, {listener.RejectedCount} AR; {feed.DuplicateCount} re-sent copies recognised; {feed.AppliedCount} messages applied, {feed.FailureCount} updates failed.");
                    return feed.FailureCount == 0 ? CliApp.Success : CliApp.Failure;
                }
            }
        }
    }
}
