using System.ComponentModel;
using System.Text.Json;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Fhir;
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
        var adapter = services.GetServices<IEmrSourceAdapter>().OfType<FileSystemSourceAdapter>().Single();
        var request = new SourceRequest("input", settings.Path);
        SourceDocumentResult? document = null;
        await foreach (var d in adapter.ReadAsync(request, cancellationToken))
        {
            document = d;
        }

        if (document?.Error is { } error)
        {
            console.MarkupLineInterpolated($"[red]{error.Code}[/]: {error.Reason}");
            await WriteReportAsync(settings.Report, new ConversionReport(settings.Path, null, new Dictionary<string, int>(), [new ReportItem(error.Location, null, error.Code.ToString(), error.Reason)], []), cancellationToken);
            return CliApp.Failure;
        }

        var records = document?.Records ?? [];
        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (var r in records.Where(r => r.Resource is not null))
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = r.FullUrl, Resource = r.Resource });
        }

        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(settings.Out));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        await File.WriteAllTextAsync(settings.Out, FhirJson.Serialize(bundle, pretty: true) + "\n", cancellationToken);
        var counts = records.Where(r => r.Resource is not null).GroupBy(r => r.ResourceType).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
        var rejected = records.Where(r => r.Rejection is not null).Select(r => new ReportItem(r.Location, r.SourceReference, r.Rejection!.Code.ToString(), r.Rejection.Reason)).ToList();
        var warnings = records.SelectMany(r => r.Warnings.Select(w => new ReportItem(r.Location, r.SourceReference, "Warning", w))).ToList();
        await WriteReportAsync(settings.Report, new ConversionReport(settings.Path, document?.Format, counts, rejected, warnings), cancellationToken);

        var table = new Table().AddColumns("resource type", "converted");
        foreach (var (type, count) in counts)
        {
            table.AddRow(type, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        console.MarkupLineInterpolated($"Read [bold]{settings.Path}[/] as {document?.Format ?? "?"}:");
        console.Write(table);
        foreach (var r in rejected.Take(20))
        {
            console.MarkupLineInterpolated($"[yellow]not converted[/] {r.Location}: {r.Message}");
        }

        console.MarkupLineInterpolated($"{warnings.Count} warnings. Bundle written to [green]{settings.Out}[/]{(settings.Report is null ? "" : $", report to {settings.Report}")}.");
        return CliApp.Success;
    }

    private static async Task WriteReportAsync(string? path, ConversionReport report, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return;
        }

        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }, cancellationToken);
    }

    /// <summary>The conversion report.</summary>
    internal sealed record ConversionReport(string Document, string? Format, IReadOnlyDictionary<string, int> Converted, IReadOnlyList<ReportItem> NotConverted, IReadOnlyList<ReportItem> Warnings);

    /// <summary>One reported item.</summary>
    internal sealed record ReportItem(string Location, string? Resource, string Code, string Message);
}
