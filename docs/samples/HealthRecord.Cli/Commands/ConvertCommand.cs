using System.ComponentModel;
using System.Text.Json;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Ccda;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Sources;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>convert</c>: one document or message → a FHIR R4 Bundle, with what was not converted and why.</summary>
public sealed class ConvertCommand(IAnsiConsole console) : AsyncCommand<ConvertCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>The input file.</summary>
        [CommandArgument(0, "<PATH>")]
        [Description("The document or message file.")]
        public string Path { get; set; } = "";

        /// <summary>Output bundle.</summary>
        [CommandOption("--out <PATH>")]
        [Description("Where to write the FHIR R4 collection Bundle.")]
        public string Out { get; set; } = "";

        /// <summary>Report path.</summary>
        [CommandOption("--report <PATH>")]
        [Description("Where to write the conversion report (JSON): counts, rejected records and warnings with their locations.")]
        public string? Report { get; set; }

        /// <inheritdoc />
        public override ValidationResult Validate() =>
            string.IsNullOrEmpty(Out) ? ValidationResult.Error("Name the output: --out bundle.json.") : ValidationResult.Success();
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!File.Exists(settings.Path))
        {
            throw new CliUsageException($"There is no file at '{settings.Path}'.");
        }

        await using var services = SdkHost.Build(store: null);
        var content = await File.ReadAllBytesAsync(settings.Path, cancellationToken);
        var head = content[..Math.Min(content.Length, 4096)];
        var format = services.GetServices<ISourceDocumentReader>().FirstOrDefault(r => r.CanRead(head))?.Format;

        // C-CDA and HL7 v2 have converters with reports of their own (sections and entries; segments).
        switch (format)
        {
            case "ccda":
            {
                var converted = new CcdaConverter().Convert(content, System.IO.Path.GetFileName(settings.Path));
                await CliFiles.WriteResourceAsync(settings.Out, converted.ToBundle(), cancellationToken);
                if (settings.Report is not null)
                {
                    await File.WriteAllTextAsync(settings.Report, converted.Report.ToJson(), cancellationToken);
                }

                PrintCounts(format, converted.Report.ResourceCounts);
                console.MarkupLineInterpolated($"{converted.Report.ConvertedEntryCount} of {converted.Report.EntryCount} section entries converted ({converted.Report.ConvertedPercent}%); {converted.Report.NotConverted.Count} not converted, each with its XPath and reason in the report.");
                Written(settings);
                return CliApp.Success;
            }

            case "hl7v2":
            {
                var results = Hl7V2Converter.Convert(System.Text.Encoding.UTF8.GetString(content));
                await CliFiles.WriteResourceAsync(settings.Out, Hl7V2ConversionResult.ToBundle(results), cancellationToken);
                if (settings.Report is not null)
                {
                    await using var stream = File.Create(settings.Report);
                    await JsonSerializer.SerializeAsync(stream, results.Select(r => r.Report).ToList(), ReportJson, cancellationToken);
                }

                PrintCounts(format, results.SelectMany(r => r.Resources).GroupBy(r => r.TypeName).ToDictionary(g => g.Key, g => g.Count()));
                console.MarkupLineInterpolated($"{results.Count} messages; {results.Sum(r => r.Report.Skipped.Count())} segments skipped, each with its reason in the report.");
                Written(settings);
                return CliApp.Success;
            }
        }

        var adapter = services.GetServices<IEmrSourceAdapter>().OfType<FileSystemSourceAdapter>().Single();
        SourceDocumentResult? document = null;
        await foreach (var d in adapter.ReadAsync(new SourceRequest("input", settings.Path), cancellationToken))
        {
            document = d;
        }

        if (document?.Error is { } error)
        {
            console.MarkupLineInterpolated($"[red]{error.Code}[/] {Shown.Text(error.Location)}: {Shown.Text(error.Reason)}");
            await WriteReportAsync(settings.Report, new ConversionReport(settings.Path, null, new Dictionary<string, int>(), [new ReportItem(error.Location, null, error.Code.ToString(), error.Reason)], []), cancellationToken);
            return CliApp.Failure;
        }

        var records = document?.Records ?? [];
        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (var r in records.Where(r => r.Resource is not null))
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = r.FullUrl, Resource = r.Resource });
        }

        await CliFiles.WriteResourceAsync(settings.Out, bundle, cancellationToken);
        var counts = records.Where(r => r.Resource is not null).GroupBy(r => r.ResourceType).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
        var rejected = records.Where(r => r.Rejection is not null).Select(r => new ReportItem(r.Location, r.SourceReference, r.Rejection!.Code.ToString(), r.Rejection.Reason)).ToList();
        var warnings = records.SelectMany(r => r.Warnings.Select(w => new ReportItem(r.Location, r.SourceReference, "Warning", w))).ToList();
        await WriteReportAsync(settings.Report, new ConversionReport(settings.Path, document?.Format, counts, rejected, warnings), cancellationToken);

        PrintCounts(document?.Format, counts);
        foreach (var r in rejected.Take(20))
        {
            console.MarkupLineInterpolated($"[yellow]not converted[/] {Shown.Text(r.Location)}: {Shown.Text(r.Message)}");
        }

        console.MarkupLineInterpolated($"{warnings.Count} warnings.");
        Written(settings);
        return CliApp.Success;
    }

    private static readonly JsonSerializerOptions ReportJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private void PrintCounts(string? format, IReadOnlyDictionary<string, int> counts)
    {
        var table = new Table().AddColumns("resource type", "converted");
        foreach (var (type, count) in counts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            table.AddRow(Shown.Markup(type, 60), count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        console.MarkupLineInterpolated($"Read as [bold]{format ?? "?"}[/]:");
        console.Write(table);
    }

    private void Written(Settings settings) =>
        console.MarkupLineInterpolated($"Bundle written to [green]{settings.Out}[/]{(settings.Report is null ? "" : $", report to {settings.Report}")}.");

    private static async Task WriteReportAsync(string? path, ConversionReport report, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return;
        }

        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, report, ReportJson, cancellationToken);
    }

    /// <summary>The conversion report.</summary>
    internal sealed record ConversionReport(string Document, string? Format, IReadOnlyDictionary<string, int> Converted, IReadOnlyList<ReportItem> NotConverted, IReadOnlyList<ReportItem> Warnings);

    /// <summary>One reported item.</summary>
    internal sealed record ReportItem(string Location, string? Resource, string Code, string Message);
}
