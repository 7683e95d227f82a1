using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Views;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Spectre.Console;

namespace HealthRecord.Cli.Infrastructure;

/// <summary>Runs an aggregation with progress, writes its outputs, and prints the summary.</summary>
internal sealed class AggregationRunner(IAnsiConsole console)
{
    public async Task<AggregationResult> RunAsync(IEhrAggregator aggregator, IReadOnlyList<SourceRequest> sources, CancellationToken cancellationToken)
    {
        AggregationResult? result = null;
        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                    var progress = new SyncProgress<AggregationProgress>(p =>
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task))
                        {
                            task = ctx.AddTask(StageName(p.Stage), maxValue: Math.Max(1, p.Total));
                            tasks[p.Stage] = task;
                        }

                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Completed;
                    });
                    result = await aggregator.AggregateAsync(new AggregationRequest { Sources = sources, Progress = progress }, cancellationToken).ConfigureAwait(false);
                    foreach (var t in tasks.Values)
                    {
                        t.Value = t.MaxValue;
                    }
                }).ConfigureAwait(false);
        }
        else
        {
            var last = "";
            var progress = new SyncProgress<AggregationProgress>(p =>
            {
                if (p.Stage != last)
                {
                    last = p.Stage;
                    console.MarkupLineInterpolated($"[grey]{StageName(p.Stage)}…[/]");
                }
            });
            result = await aggregator.AggregateAsync(new AggregationRequest { Sources = sources, Progress = progress }, cancellationToken).ConfigureAwait(false);
        }

        return result!;
    }

    /// <summary>Writes each EHR: to <paramref name="outPath"/> when there is one person, else to <c>outPath/&lt;person&gt;.json</c>.</summary>
    public static async Task<IReadOnlyList<string>> WriteEhrsAsync(AggregationResult result, string outPath, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        var exporter = new FhirBundleExporter();
        if (result.Ehrs.Count == 1 && !Directory.Exists(outPath))
        {
            CliFiles.EnsureParent(outPath);
            await using var stream = File.Create(outPath);
            await exporter.ExportAsync(result.Ehrs[0], stream, cancellationToken);
            written.Add(outPath);
            return written;
        }

        Directory.CreateDirectory(outPath);
        foreach (var ehr in result.Ehrs)
        {
            var path = Path.Combine(outPath, ehr.PersonId + ".json");
            await using var stream = File.Create(path);
            await exporter.ExportAsync(ehr, stream, cancellationToken);
            written.Add(path);
        }

        return written;
    }

    public static async Task WriteLineageAsync(AggregationResult result, string path, CancellationToken cancellationToken)
    {
        CliFiles.EnsureParent(path);
        await using var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
        await LineageCsv.WriteAsync(result.Lineage, writer, cancellationToken);
    }

    public void PrintSummary(AggregationResult result)
    {
        var sources = new Table().Title("[bold]Sources read[/]").AddColumns("source", "location", "documents", "records", "rejected", "formats");
        foreach (var s in result.Sources)
        {
            sources.AddRow(
                Markup.Escape(s.Name),
                Markup.Escape(ShortLocation(s.Location)),
                s.FailedDocuments > 0 ? $"{s.Documents} ([red]{s.FailedDocuments} failed[/])" : s.Documents.ToString(System.Globalization.CultureInfo.InvariantCulture),
                s.RecordsRead.ToString(System.Globalization.CultureInfo.InvariantCulture),
                s.RecordsRejected.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", s.Formats.Select(f => $"{f.Key} ×{f.Value}"))));
        }

        console.Write(sources);

        foreach (var ehr in result.Ehrs)
        {
            var name = ehr.Patient.Name.FirstOrDefault() is { } n ? $"{string.Join(' ', n.Given)} {n.Family}".Trim() : "(no name)";
            var merged = ehr.Lineage.Count(l => l.Action == LineageAction.Merged);
            var rejected = ehr.Lineage.Count(l => l.Action == LineageAction.Rejected);
            console.WriteLine();
            console.MarkupLineInterpolated($"[bold]EHR of {name}[/] (person {ehr.PersonId}, born {ehr.Patient.BirthDate ?? "?"}){(ehr.Version > 0 ? $", saved as version {ehr.Version}" : "")}");
            console.MarkupLineInterpolated($"  {ehr.Lineage.Count} source records → {ehr.Records.Count + 1} EHR records: {merged} merged as duplicates, {rejected} rejected, {ehr.Conflicts.Count} conflicts, from {ehr.Sources.Count} sources ({string.Join(", ", ehr.Sources)})");
            var bySource = ehr.Lineage.GroupBy(l => l.EhrResource).Where(g => g.Key is not null).ToDictionary(g => g.Key!, g => g.Select(x => x.SourceName).Distinct().Count());
            var types = new Table().AddColumns("record type", "EHR records", "from several sources");
            foreach (var (type, count) in ehr.CountByType())
            {
                var multi = bySource.Count(kv => kv.Key.StartsWith(type + "/", StringComparison.Ordinal) && kv.Value > 1);
                types.AddRow(type, count.ToString(System.Globalization.CultureInfo.InvariantCulture), multi.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            console.Write(types);
            if (ehr.Conflicts.Count > 0)
            {
                var conflicts = new Table().Title("Conflicts (the EHR keeps one value by policy; the others stay visible)").AddColumns("record", "element", "kept", "also reported");
                foreach (var c in ehr.Conflicts)
                {
                    conflicts.AddRow(
                        Markup.Escape(c.EhrResource),
                        Markup.Escape(c.Element),
                        Markup.Escape($"{c.ChosenValue} ← {c.ChosenFrom}"),
                        Markup.Escape(string.Join("; ", c.Alternatives.Select(a => $"{a.Value} ← {a.From}"))));
                }

                console.Write(conflicts);
            }

            PrintCurrentView(EhrCurrentView.Of(ehr));
        }

        var rejectedRows = result.Lineage.Where(l => l.Action == LineageAction.Rejected).ToList();
        if (rejectedRows.Count > 0)
        {
            var table = new Table().Title("Rejected records").AddColumns("source", "record", "reason");
            foreach (var r in rejectedRows.Take(25))
            {
                table.AddRow(Markup.Escape(r.SourceName), Markup.Escape(r.SourceResource), Markup.Escape(r.Reason));
            }

            console.Write(table);
            if (rejectedRows.Count > 25)
            {
                console.MarkupLineInterpolated($"  … and {rejectedRows.Count - 25} more (see the lineage file).");
            }
        }

        // Rejections are listed above; show what else went wrong or looked suspect.
        var notable = result.Issues
            .Where(i => i.Severity != IssueSeverity.Information && !(i.Severity == IssueSeverity.Error && rejectedRows.Any(r => i.Message == r.Reason)))
            .OrderByDescending(i => i.Severity)
            .ToList();
        if (notable.Count > 0)
        {
            console.MarkupLineInterpolated($"[bold]Issues[/] ({notable.Count(i => i.Severity == IssueSeverity.Error)} errors, {notable.Count(i => i.Severity == IssueSeverity.Warning)} warnings):");
            foreach (var i in notable.Take(10))
            {
                var colour = i.Severity == IssueSeverity.Error ? "red" : "yellow";
                console.MarkupLineInterpolated($"  [{colour}]{i.Code}[/] {i.SourceName} {ShortLocation(i.Location)}: {i.Message}");
            }

            if (notable.Count > 10)
            {
                console.MarkupLineInterpolated($"  … and {notable.Count - 10} more.");
            }
        }
    }

    /// <summary>The active problems, medications and allergies (rules: docs/current-view.md), at most a few names each.</summary>
    private void PrintCurrentView(EhrCurrentView view)
    {
        const int Shown = 8;
        var asOf = view.AsOf is { } t ? t.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "?";
        var table = new Table().Title($"Current view (as of {asOf})").AddColumns("list", "entries", "names");
        void Row(string list, IReadOnlyList<CurrentViewItem> items)
        {
            var names = string.Join("; ", items.Take(Shown).Select(i => i.Display)) + (items.Count > Shown ? $"; … and {items.Count - Shown} more" : "");
            table.AddRow(list, items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(items.Count == 0 ? "(none)" : names));
        }

        Row("active problems", view.Problems);
        Row("active medications", view.Medications);
        Row("allergies", view.Allergies);
        console.Write(table);
    }

    /// <summary>A location for display: relative to the working folder when it is under it.</summary>
    public static string ShortLocation(string? location)
    {
        if (string.IsNullOrEmpty(location))
        {
            return "";
        }

        if (!Path.IsPathRooted(location))
        {
            return location;
        }

        var relative = Path.GetRelativePath(Environment.CurrentDirectory, location);
        return relative.StartsWith("..", StringComparison.Ordinal) ? location : relative;
    }

    private static string StageName(string stage) => stage switch
    {
        "read" => "Reading sources",
        "resolve" => "Resolving references",
        "link" => "Linking patient identities",
        "merge" => "Deduplicating and merging",
        "save" => "Saving to the store",
        _ => stage,
    };

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to a thread pool and reorder).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly Lock _gate = new();

        public void Report(T value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}

internal static class PatientExtensions
{
    public static string DisplayName(this Patient patient) =>
        patient.Name.FirstOrDefault() is { } n ? $"{string.Join(' ', n.Given)} {n.Family}".Trim() : "(no name)";
}
