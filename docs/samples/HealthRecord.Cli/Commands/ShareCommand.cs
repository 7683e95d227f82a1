using System.ComponentModel;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>share</c>: a consent-filtered disclosure of an EHR for one recipient and purpose, with its audit.</summary>
public sealed class ShareCommand(IAnsiConsole console) : AsyncCommand<ShareCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>The EHR bundle.</summary>
        [CommandOption("--ehr <PATH>")]
        [Description("The EHR bundle written by aggregate or demo.")]
        public string Ehr { get; set; } = "";

        /// <summary>Consent files.</summary>
        [CommandOption("--consent <FILE>")]
        [Description("A FHIR R4 Consent, or a Bundle of Consents. Repeat for several.")]
        public string[] Consents { get; set; } = [];

        /// <summary>The recipient.</summary>
        [CommandOption("--recipient <REF>")]
        [Description("Who receives the data: a reference (Practitioner/123, Organization/abc) or an identifier (system|value).")]
        public string Recipient { get; set; } = "";

        /// <summary>Purpose of use.</summary>
        [CommandOption("--purpose <CODE>")]
        [Description("Purpose of use (v3-ActReason): TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, …")]
        public string Purpose { get; set; } = "TREAT";

        /// <summary>Emergency access.</summary>
        [CommandOption("--break-glass")]
        [Description("Emergency access: releases records a consent denies only where a consent permits ETREAT; always audited.")]
        public bool BreakGlass { get; set; }

        /// <summary>Output path.</summary>
        [CommandOption("--out <PATH>")]
        [Description("Where to write the disclosure (a FHIR R4 Bundle).")]
        public string Out { get; set; } = "";

        /// <summary>Audit output.</summary>
        [CommandOption("--audit <PATH>")]
        [Description("Where to write the AuditEvents (a FHIR R4 collection Bundle).")]
        public string? Audit { get; set; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Ehr) || string.IsNullOrEmpty(Out) || string.IsNullOrEmpty(Recipient))
            {
                return ValidationResult.Error("Give --ehr ehr.json, --recipient REF and --out shared.json (and --consent FILE for each consent).");
            }

            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var ehr = await CliFiles.ReadBundleAsync(settings.Ehr, cancellationToken);
        var consents = new List<Hl7.Fhir.Model.Consent>();
        foreach (var file in settings.Consents)
        {
            if (!File.Exists(file))
            {
                throw new CliUsageException($"There is no consent file at '{file}'.");
            }

            consents.AddRange(ConsentDocuments.Parse(await File.ReadAllTextAsync(file, cancellationToken), Path.GetFileName(file)));
        }

        await using var services = SdkHost.Build(store: null);
        var sharing = services.GetRequiredService<IEhrSharing>();
        var result = await sharing.ShareAsync(ehr, new ShareRequest
        {
            Consents = consents,
            Recipient = ConsentRecipient.Parse(settings.Recipient),
            PurposeOfUse = [AccessRequest.Purpose(settings.Purpose)],
            BreakGlass = settings.BreakGlass,
        }, cancellationToken);

        await CliFiles.WriteResourceAsync(settings.Out, result.Disclosure, cancellationToken);
        if (settings.Audit is not null)
        {
            var audit = new Bundle { Type = Bundle.BundleType.Collection };
            foreach (var e in result.AuditEvents)
            {
                audit.Entry.Add(new Bundle.EntryComponent { Resource = e });
            }

            await CliFiles.WriteResourceAsync(settings.Audit, audit, cancellationToken);
        }

        var permitted = result.Decisions.Count(d => d.Decision == ConsentDecision.Permit);
        console.MarkupLineInterpolated($"{consents.Count} consents; {permitted} records disclosed, [bold]{result.Withheld.Count}[/] withheld, {result.Decisions.Count(d => d.Obligations.Count > 0)} disclosed with redaction, {result.Decisions.Count(d => d.BreakGlass)} through emergency access.");
        var table = new Table().AddColumns("withheld record", "decided by");
        foreach (var d in result.Decisions.Where(d => d.Decision == ConsentDecision.Deny).Take(25))
        {
            var basis = d.Basis.FirstOrDefault();
            table.AddRow(Shown.Markup(d.Record), Shown.Markup(basis is null ? "" : $"{basis.Authority} {basis.ProvisionPath} ({basis.Attribute}): {basis.Explanation}", Shown.MaxLength * 2));
        }

        if (result.Withheld.Count > 0)
        {
            console.Write(table);
        }

        console.MarkupLineInterpolated($"Disclosure written to [green]{settings.Out}[/]{(settings.Audit is null ? "" : $", {result.AuditEvents.Count} AuditEvents to {settings.Audit}")}.");
        return CliApp.Success;
    }
}
