using System.ComponentModel;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Export.Ips;
using HealthRecord.Sdk.Fhir;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>ips</c>: the International Patient Summary of an EHR (consent applied first when a recipient is named), and its HTML rendering.</summary>
public sealed class IpsCommand(IAnsiConsole console) : AsyncCommand<IpsCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>The EHR bundle.</summary>
        [CommandOption("--ehr <PATH>")]
        [Description("The EHR bundle written by aggregate or demo.")]
        public string? Ehr { get; set; }

        /// <summary>The store.</summary>
        [CommandOption("--store <STORE>")]
        [Description("Read the EHR from a store instead: sqlite:FILE (with --person).")]
        public string? Store { get; set; }

        /// <summary>The person.</summary>
        [CommandOption("--person <ID>")]
        [Description("The person (EHR) id in the store.")]
        public string? Person { get; set; }

        /// <summary>The recipient.</summary>
        [CommandOption("--recipient <REF>")]
        [Description("Who receives the summary: a reference (Practitioner/123) or an identifier (system|value). Consent is applied first when given.")]
        public string? Recipient { get; set; }

        /// <summary>Purpose of use.</summary>
        [CommandOption("--purpose <CODE>")]
        [Description("Purpose of use (v3-ActReason), with --recipient: TREAT (default), ETREAT, …")]
        public string Purpose { get; set; } = "TREAT";

        /// <summary>Consent files.</summary>
        [CommandOption("--consent <FILE>")]
        [Description("A FHIR R4 Consent, or a Bundle of Consents, honoured with --recipient. Repeat for several.")]
        public string[] Consents { get; set; } = [];

        /// <summary>Provenance.</summary>
        [CommandOption("--provenance")]
        [Description("Carry the Provenance of each entry (which sources said it) in the document.")]
        public bool Provenance { get; set; }

        /// <summary>Output path.</summary>
        [CommandOption("--out <PATH>")]
        [Description("Where to write the IPS (a FHIR R4 document Bundle).")]
        public string Out { get; set; } = "";

        /// <summary>HTML output.</summary>
        [CommandOption("--html <PATH>")]
        [Description("Also write a standalone HTML page of the same document, to open in a browser.")]
        public string? Html { get; set; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Out) || string.IsNullOrEmpty(Ehr) == string.IsNullOrEmpty(Store))
            {
                return ValidationResult.Error("Give --ehr ehr.json or --store sqlite:FILE --person ID, and --out ips.json.");
            }

            if (!string.IsNullOrEmpty(Store) && string.IsNullOrEmpty(Person))
            {
                return ValidationResult.Error("--store needs --person ID (see the history command for the ids).");
            }

            if (Consents.Length > 0 && string.IsNullOrEmpty(Recipient))
            {
                return ValidationResult.Error("--consent applies to a recipient: give --recipient REF too.");
            }

            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var consents = new List<Hl7.Fhir.Model.Consent>();
        foreach (var file in settings.Consents)
        {
            if (!File.Exists(file))
            {
                throw new CliUsageException($"There is no consent file at '{file}'.");
            }

            consents.AddRange(ConsentDocuments.Parse(await File.ReadAllTextAsync(file, cancellationToken), Path.GetFileName(file)));
        }

        var request = new IpsRequest
        {
            Recipient = string.IsNullOrEmpty(settings.Recipient) ? null : ConsentRecipient.Parse(settings.Recipient),
            PurposeOfUse = [AccessRequest.Purpose(settings.Purpose)],
            Consents = consents,
            IncludeProvenance = settings.Provenance,
        };

        await using var services = SdkHost.Build(settings.Store);
        var builder = services.GetRequiredService<IIpsDocumentBuilder>();
        IpsDocument document;
        if (settings.Store is not null)
        {
            var ehr = await SdkHost.Store(services).GetAsync(settings.Person!, cancellationToken: cancellationToken)
                ?? throw new CliUsageException($"The store has no person '{settings.Person}'.");
            document = await builder.BuildAsync(ehr, request, cancellationToken);
        }
        else
        {
            document = await builder.BuildAsync(await CliFiles.ReadBundleAsync(settings.Ehr!, cancellationToken), request, cancellationToken);
        }

        await CliFiles.WriteResourceAsync(settings.Out, document.Bundle, cancellationToken);
        if (settings.Html is not null)
        {
            CliFiles.EnsureParent(settings.Html);
            await File.WriteAllTextAsync(settings.Html, IpsHtml.Render(document.Bundle), cancellationToken);
        }

        var table = new Table().AddColumns("section", "LOINC", "entries");
        foreach (var s in document.Sections)
        {
            table.AddRow(Shown.Markup(s.Title, 80), Markup.Escape(s.Code), s.EmptyReason is not null ? "no information" : s.NoKnown ? "no known" : s.Entries.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        console.Write(table);
        if (document.Share is { } share)
        {
            console.MarkupLineInterpolated($"Consent applied for {settings.Recipient} ({settings.Purpose}): {consents.Count} consents, [bold]{share.Withheld.Count}[/] records withheld.");
        }

        console.MarkupLineInterpolated($"IPS written to [green]{settings.Out}[/] ({document.Bundle.Entry.Count} entries, confidentiality {document.Composition.Confidentiality}){(settings.Html is null ? "" : $", HTML to {settings.Html}")}.");
        return CliApp.Success;
    }
}
