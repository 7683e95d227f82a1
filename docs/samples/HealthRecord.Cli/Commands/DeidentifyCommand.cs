using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Deidentification;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>deidentify</c>: a de-identified copy of EHRs (Safe Harbor or date shift) with its change report and re-identification risk.</summary>
public sealed class DeidentifyCommand(IAnsiConsole console) : AsyncCommand<DeidentifyCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>The EHR bundle or folder.</summary>
        [CommandOption("--ehr <PATH>")]
        [Description("An EHR bundle written by aggregate or demo, or a folder of them (one person each).")]
        public string? Ehr { get; set; }

        /// <summary>The store.</summary>
        [CommandOption("--store <STORE>")]
        [Description("Read the EHRs from a store instead: sqlite:FILE.")]
        public string? Store { get; set; }

        /// <summary>One person of the store.</summary>
        [CommandOption("--person <ID>")]
        [Description("Only this person of the store (default: every person).")]
        public string? Person { get; set; }

        /// <summary>Output.</summary>
        [CommandOption("--out <PATH>")]
        [Description("research.json (one FHIR collection Bundle) or a folder (NDJSON per resource type, CSV per domain, k-anonymity.json, report.json).")]
        public string Out { get; set; } = "";

        /// <summary>Key file.</summary>
        [CommandOption("--key <FILE>")]
        [Description("The secret key (the file's bytes, at least 16) behind pseudonyms and date shifts: the same key gives the same output. Without it a random key is used once.")]
        public string? Key { get; set; }

        /// <summary>Mode.</summary>
        [CommandOption("--mode <MODE>")]
        [Description("safe-harbor (dates to the year; default) or date-shift (every date of a person moved by the same keyed number of days).")]
        public string Mode { get; set; } = "safe-harbor";

        /// <summary>Report path.</summary>
        [CommandOption("--report <PATH>")]
        [Description("Where to write the change report and the k-anonymity of the export (JSON).")]
        public string? Report { get; set; }

        /// <summary>Research recipient for consent-based inclusion.</summary>
        [CommandOption("--recipient <REF>")]
        [Description("Only persons whose consents permit research (purpose HRESCH) by this recipient are exported: Organization/ID or system|value.")]
        public string? Recipient { get; set; }

        /// <summary>Consent files.</summary>
        [CommandOption("--consent <FILE>")]
        [Description("A FHIR R4 Consent, or a Bundle of Consents, applied with --recipient beside the Consents in each EHR. Repeat for several.")]
        public string[] Consents { get; set; } = [];

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Ehr) == string.IsNullOrEmpty(Store) || string.IsNullOrEmpty(Out))
            {
                return ValidationResult.Error("Give --ehr ehr.json or --store sqlite:FILE, and --out research.json|folder.");
            }

            if (Mode is not ("safe-harbor" or "date-shift"))
            {
                return ValidationResult.Error("--mode takes safe-harbor or date-shift.");
            }

            if (Consents.Length > 0 && string.IsNullOrEmpty(Recipient))
            {
                return ValidationResult.Error("--consent needs --recipient (who receives the research data).");
            }

            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var key = await ReadKeyAsync(settings.Key, cancellationToken);
        var mode = settings.Mode == "date-shift" ? DeidentificationMode.DateShift : DeidentificationMode.SafeHarbor;
        var consents = new List<Hl7.Fhir.Model.Consent>();
        foreach (var file in settings.Consents)
        {
            if (!File.Exists(file))
            {
                throw new CliUsageException($"There is no consent file at '{file}'.");
            }

            consents.AddRange(ConsentDocuments.Parse(await File.ReadAllTextAsync(file, cancellationToken), Path.GetFileName(file)));
        }

        await using var services = SdkHost.Build(settings.Store);
        var deidentifier = new Deidentifier(new DeidentificationOptions { Key = key, Mode = mode });
        var evaluator = services.GetRequiredService<IConsentEvaluator>();
        var recipient = string.IsNullOrEmpty(settings.Recipient) ? null : ConsentRecipient.Parse(settings.Recipient);

        var toFile = settings.Out.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        var results = new List<DeidentificationResult>();
        var excluded = 0;
        ResearchExportWriter? writer = toFile ? null : new ResearchExportWriter(settings.Out);
        try
        {
            await foreach (var ehr in EhrInputs.ReadAsync(settings.Ehr, settings.Store, settings.Person, services, cancellationToken))
            {
                if (recipient is not null)
                {
                    var own = ehr.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Consent>();
                    if (!ResearchExportWriter.PermitsResearch(evaluator, [.. consents, .. own], recipient))
                    {
                        excluded++;
                        continue;
                    }
                }

                var result = deidentifier.Deidentify(ehr, cancellationToken);
                if (writer is not null)
                {
                    await writer.AddAsync(result, cancellationToken);
                    results.Add(result with { Bundle = new Bundle() });
                }
                else
                {
                    results.Add(result);
                }
            }

            var risk = KAnonymity.Of(results.Select(r => r.QuasiIdentifiers));
            var report = DeidentificationReport.Combine(results.Select(r => r.Report));
            if (writer is not null)
            {
                await writer.CompleteAsync(cancellationToken);
            }
            else
            {
                var bundle = new Bundle { Type = Bundle.BundleType.Collection };
                foreach (var r in results)
                {
                    bundle.Entry.AddRange(r.Bundle.Entry);
                }

                if (results.Count == 1)
                {
                    bundle.Identifier = results[0].Bundle.Identifier;
                }

                await CliFiles.WriteResourceAsync(settings.Out, bundle, cancellationToken);
            }

            if (settings.Report is not null)
            {
                CliFiles.EnsureParent(settings.Report);
                var json = JsonSerializer.Serialize(new { persons = results.Count, excludedByConsent = excluded, kAnonymity = risk, changes = report }, JsonOptions);
                await File.WriteAllTextAsync(settings.Report, json + "\n", cancellationToken);
            }

            var table = new Table().Title("Changes (rule, action, element path, count)").AddColumns("rule", "action", "path", "count");
            foreach (var change in report.Changes.OrderByDescending(c => c.Count).Take(25))
            {
                table.AddRow(Markup.Escape(change.Rule), change.Action.ToString(), Markup.Escape(change.Path), change.Count.ToString(CultureInfo.InvariantCulture));
            }

            console.Write(table);
            console.MarkupLineInterpolated($"{results.Count} persons de-identified ({settings.Mode}); {report.Resources} resources read, {report.TransformedResources} transformed, {report.RemovedResources} removed.");
            if (recipient is not null)
            {
                console.MarkupLineInterpolated($"{excluded} persons left out: their consents do not permit research by {recipient}.");
            }

            console.MarkupLineInterpolated($"k-anonymity of (birth year, sex, 3-digit ZIP): k = {risk.K}; {risk.PersonsInClassesSmallerThan5} of {risk.Persons} persons in groups smaller than 5.");
            console.MarkupLineInterpolated($"Wrote {settings.Out}{(settings.Report is null ? "" : " and " + settings.Report)}.");
            return CliApp.Success;
        }
        finally
        {
            if (writer is not null)
            {
                await writer.DisposeAsync();
            }
        }
    }

    internal static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private async Task<byte[]> ReadKeyAsync(string? path, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            console.MarkupLine("[yellow]No --key: a random key is used, so pseudonyms and date shifts will differ from any other run.[/]");
            return RandomNumberGenerator.GetBytes(32);
        }

        if (!File.Exists(path))
        {
            throw new CliUsageException($"There is no key file at '{path}'.");
        }

        var key = await File.ReadAllBytesAsync(path, cancellationToken);
        return key.Length >= 16 ? key : throw new CliUsageException($"The key file '{path}' holds {key.Length} bytes; it needs at least 16.");
    }
}

/// <summary>The EHRs a research command reads: one bundle, a folder of bundles, or a store's persons.</summary>
internal static class EhrInputs
{
    public static async IAsyncEnumerable<Bundle> ReadAsync(string? ehr, string? store, string? person, IServiceProvider services, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(ehr))
        {
            var files = Directory.Exists(ehr) ? Directory.EnumerateFiles(ehr, "*.json").Order(StringComparer.Ordinal).ToList() : [ehr];
            foreach (var file in files)
            {
                yield return await CliFiles.ReadBundleAsync(file, cancellationToken);
            }

            yield break;
        }

        if (store!.StartsWith("sqlite:", StringComparison.Ordinal) && !File.Exists(store["sqlite:".Length..]))
        {
            throw new CliUsageException($"There is no store at '{store["sqlite:".Length..]}'.");
        }

        var ehrs = SdkHost.Store(services);
        if (person is not null)
        {
            var one = await ehrs.GetAsync(person, cancellationToken: cancellationToken) ?? throw new CliUsageException($"The store has no person {person}.");
            yield return EhrBundleBuilder.Build(one);
            yield break;
        }

        await foreach (var info in ehrs.ListPersonsAsync(cancellationToken))
        {
            if (await ehrs.GetAsync(info.PersonId, cancellationToken: cancellationToken) is { } aggregate)
            {
                yield return EhrBundleBuilder.Build(aggregate);
            }
        }
    }
}
