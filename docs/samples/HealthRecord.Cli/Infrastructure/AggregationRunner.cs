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

    /// <summary>
    /// Aggregates a population person by person (<see cref="IPopulationAggregator"/>): each EHR is written (to
    /// <paramref name="outPath"/> when there is one person, else to <c>outPath/&lt;person&gt;.json</c>), its lineage
    /// rows put aside in person order, and then let go; progress shows people done, records/s and the time left.
    /// </summary>
    /// <returns>The run's outcome and the few EHRs kept to print (at most <see cref="ShownPersons"/>).</returns>
    public async Task<(PopulationResult Result, IReadOnlyList<EhrAggregate> Shown, PopulationTally Tally)> RunPopulationAsync(IPopulationAggregator aggregator, IReadOnlyList<SourceRequest> sources,
        string? outPath, string? lineagePath, CancellationToken cancellationToken, PopulationShard? shard = null)
    {
        var shown = new List<EhrAggregate>();
        var tally = new PopulationTally();
        var exporter = new FhirBundleExporter();
        EhrAggregate? first = null;
        var folderMode = outPath is not null && Directory.Exists(outPath);
        var lineageParts = lineagePath is null ? null : Directory.CreateTempSubdirectory("healthrecord-lineage-");
        try
        {
            async ValueTask WriteToFolderAsync(EhrAggregate ehr, CancellationToken ct)
            {
                Directory.CreateDirectory(outPath!);
                var path = Path.Combine(outPath!, ehr.PersonId + ".json");
                await CliFiles.WriteAtomicallyAsync(path, stream => exporter.ExportAsync(ehr, stream, ct), ct);
                tally.Written.Add(path);
            }

            async ValueTask OnEhrAsync(EhrAggregate ehr, CancellationToken ct)
            {
                tally.Add(ehr);
                if (ehr.Version > 0)
                {
                    // Saved (the store gave it a version): say so at once, so a run stopped part-way has named what it kept.
                    console.MarkupLineInterpolated($"saved: person {ehr.PersonId} version {ehr.Version}");
                }

                if (shown.Count < ShownPersons)
                {
                    shown.Add(ehr);
                }

                if (outPath is not null)
                {
                    if (!folderMode && first is null)
                    {
                        first = ehr;
                    }
                    else
                    {
                        if (!folderMode)
                        {
                            folderMode = true;
                            await WriteToFolderAsync(first!, ct);
                            first = null;
                        }

                        await WriteToFolderAsync(ehr, ct);
                    }
                }

                if (lineageParts is not null)
                {
                    await using var writer = new StreamWriter(Path.Combine(lineageParts.FullName, ehr.PersonId + ".csv"), append: false, new System.Text.UTF8Encoding(false));
                    await LineageCsv.AppendAsync(ehr.Lineage, writer, ct);
                }
            }

            PopulationResult result;
            if (console.Profile.Capabilities.Interactive)
            {
                PopulationResult? r = null;
                await console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
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
                            if (p.Stage == "merge")
                            {
                                task.Description = $"{StageName(p.Stage)}: {p.Completed}/{p.Total} people, {p.RecordsPerSecond:0} records/s";
                            }
                        });
                        r = await aggregator.AggregatePopulationAsync(new AggregationRequest { Sources = sources, Progress = progress, Shard = shard }, OnEhrAsync, cancellationToken).ConfigureAwait(false);
                        foreach (var t in tasks.Values)
                        {
                            t.Value = t.MaxValue;
                        }
                    }).ConfigureAwait(false);
                result = r!;
            }
            else
            {
                result = await aggregator.AggregatePopulationAsync(new AggregationRequest { Sources = sources, Progress = PopulationProgress(), Shard = shard }, OnEhrAsync, cancellationToken).ConfigureAwait(false);
            }

            if (first is not null)
            {
                await CliFiles.WriteAtomicallyAsync(outPath!, stream => exporter.ExportAsync(first, stream, cancellationToken), cancellationToken);
                tally.Written.Add(outPath!);
            }

            if (lineagePath is not null)
            {
                CliFiles.EnsureParent(lineagePath);
                await using var writer = new StreamWriter(lineagePath, append: false, new System.Text.UTF8Encoding(false));
                await writer.WriteAsync(LineageCsv.Header + "\n");
                await LineageCsv.AppendAsync(result.Unattributed, writer, cancellationToken);
                // The parts are UTF-8 already: copy their bytes after what the writer holds, without decoding them to strings.
                await writer.FlushAsync(cancellationToken);
                foreach (var part in lineageParts!.EnumerateFiles("*.csv").OrderBy(f => f.Name, StringComparer.Ordinal))
                {
                    await using var input = part.OpenRead();
                    await input.CopyToAsync(writer.BaseStream, cancellationToken);
                }
            }

            shown.Sort((a, b) => string.CompareOrdinal(a.PersonId, b.PersonId));
            tally.Written.Sort(StringComparer.Ordinal);
            return (result, shown, tally);
        }
        finally
        {
            lineageParts?.Delete(recursive: true);
        }
    }

    /// <summary>How many EHRs a population run prints in full; the others are counted.</summary>
    public const int ShownPersons = 3;

    /// <summary>Prints a population run's summary: sources, the first few EHRs, counts, rejections and issues.</summary>
    public void PrintSummary(PopulationResult result, IReadOnlyList<EhrAggregate> shown, PopulationTally tally)
    {
        PrintSources(result.Sources);
        foreach (var ehr in shown)
        {
            PrintEhr(ehr);
        }

        if (result.Persons > shown.Count)
        {
            console.WriteLine();
            console.MarkupLineInterpolated($"… and {result.Persons - shown.Count} more persons ({result.Persons} EHRs in all; see the output folder).");
        }

        console.MarkupLineInterpolated($"{result.Persons} persons, {result.RecordsRead} source records: {tally.Merged} merged as duplicates, {tally.Rejected + result.Unattributed.Count} rejected ({result.Unattributed.Count} unattributed), {tally.Conflicts} conflicts.");
        var rejected = result.Unattributed.Concat(tally.RejectedRows).Take(25).ToList();
        PrintRejected(rejected, tally.Rejected + result.Unattributed.Count);
        var reasons = result.Unattributed.Select(r => r.Reason).Concat(tally.RejectedReasons).ToHashSet(StringComparer.Ordinal);
        var notable = result.Issues.Where(i => IsNotable(i, reasons)).ToList();
        var shownIssues = notable.Concat(tally.Issues.Where(i => IsNotable(i, reasons))).OrderByDescending(i => i.Severity).Take(10).ToList();
        var errors = notable.Count(i => i.Severity == IssueSeverity.Error) + tally.IssueErrors;
        var warnings = notable.Count(i => i.Severity == IssueSeverity.Warning) + tally.IssueWarnings;
        PrintIssues(shownIssues, errors, warnings);
    }

    /// <summary>Counts kept over a population run's EHRs (a few rows kept for display, never the EHRs).</summary>
    internal sealed class PopulationTally
    {
        public List<string> Written { get; } = [];

        public int Merged { get; private set; }

        /// <summary>EHRs the store saved (or found unchanged: their latest version).</summary>
        public int Saved { get; private set; }

        public int Rejected { get; private set; }

        public int Conflicts { get; private set; }

        public int IssueErrors { get; private set; }

        public int IssueWarnings { get; private set; }

        public List<LineageEntry> RejectedRows { get; } = [];

        public HashSet<string> RejectedReasons { get; } = new(StringComparer.Ordinal);

        public List<EhrIssue> Issues { get; } = [];

        public void Add(EhrAggregate ehr)
        {
            Saved += ehr.Version > 0 ? 1 : 0;
            Merged += ehr.Lineage.Count(l => l.Action == LineageAction.Merged);
            Conflicts += ehr.Conflicts.Count;
            foreach (var row in ehr.Lineage.Where(l => l.Action == LineageAction.Rejected))
            {
                Rejected++;
                RejectedReasons.Add(row.Reason);
                if (RejectedRows.Count < 25)
                {
                    RejectedRows.Add(row);
                }
            }

            foreach (var issue in ehr.Issues.Where(i => i.Severity != IssueSeverity.Information && !(i.Severity == IssueSeverity.Error && RejectedReasons.Contains(i.Message))))
            {
                if (issue.Severity == IssueSeverity.Error)
                {
                    IssueErrors++;
                }
                else
                {
                    IssueWarnings++;
                }

                if (Issues.Count < 10)
                {
                    Issues.Add(issue);
                }
            }
        }
    }

    // Without a live display: one line per stage, then every few seconds people done, records/s and time left.
    private SyncProgress<AggregationProgress> PopulationProgress()
    {
        var last = "";
        var lastLine = System.Diagnostics.Stopwatch.GetTimestamp();
        return new SyncProgress<AggregationProgress>(p =>
        {
            if (p.Stage != last)
            {
                last = p.Stage;
                console.MarkupLineInterpolated($"[grey]{StageName(p.Stage)}…[/]");
            }
            else if (p.Stage == "merge" && (System.Diagnostics.Stopwatch.GetElapsedTime(lastLine).TotalSeconds >= 2 || p.Completed == p.Total))
            {
                lastLine = System.Diagnostics.Stopwatch.GetTimestamp();
                var eta = p.EstimatedRemaining is { } t ? $", about {t.TotalSeconds:0} s left" : "";
                console.MarkupLineInterpolated($"[grey]  {p.Completed}/{p.Total} people, {p.RecordsPerSecond:0} records/s{eta}[/]");
            }
        });
    }

    /// <summary>Writes each EHR: to <paramref name="outPath"/> when there is one person, else to <c>outPath/&lt;person&gt;.json</c>.</summary>
    public static async Task<IReadOnlyList<string>> WriteEhrsAsync(AggregationResult result, string outPath, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        var exporter = new FhirBundleExporter();
        if (result.Ehrs.Count == 1 && !Directory.Exists(outPath))
        {
            await CliFiles.WriteAtomicallyAsync(outPath, stream => exporter.ExportAsync(result.Ehrs[0], stream, cancellationToken), cancellationToken);
            written.Add(outPath);
            return written;
        }

        Directory.CreateDirectory(outPath);
        foreach (var ehr in result.Ehrs)
        {
            var path = Path.Combine(outPath, ehr.PersonId + ".json");
            await CliFiles.WriteAtomicallyAsync(path, stream => exporter.ExportAsync(ehr, stream, cancellationToken), cancellationToken);
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
        PrintSources(result.Sources);
        foreach (var ehr in result.Ehrs)
        {
            PrintEhr(ehr);
        }

        var rejectedRows = result.Lineage.Where(l => l.Action == LineageAction.Rejected).ToList();
        PrintRejected(rejectedRows.Take(25).ToList(), rejectedRows.Count);
        var reasons = rejectedRows.Select(r => r.Reason).ToHashSet(StringComparer.Ordinal);
        var notable = result.Issues.Where(i => IsNotable(i, reasons)).OrderByDescending(i => i.Severity).ToList();
        PrintIssues(notable.Take(10).ToList(), notable.Count(i => i.Severity == IssueSeverity.Error), notable.Count(i => i.Severity == IssueSeverity.Warning));
    }

    private void PrintSources(IReadOnlyList<SourceSummary> summaries)
    {
        var sources = new Table().Title("[bold]Sources read[/]").AddColumns("source", "location", "documents", "records", "rejected", "formats");
        foreach (var s in summaries)
        {
            sources.AddRow(
                Shown.Markup(s.Name, 60),
                Shown.Markup(ShortLocation(s.Location)),
                s.FailedDocuments > 0 ? $"{s.Documents} ([red]{s.FailedDocuments} failed[/])" : s.Documents.ToString(System.Globalization.CultureInfo.InvariantCulture),
                s.RecordsRead.ToString(System.Globalization.CultureInfo.InvariantCulture),
                s.RecordsRejected.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", s.Formats.Select(f => $"{f.Key} ×{f.Value}"))));
        }

        console.Write(sources);
    }

    private void PrintEhr(EhrAggregate ehr)
    {
        var name = ehr.Patient.Name.FirstOrDefault() is { } n ? $"{string.Join(' ', n.Given)} {n.Family}".Trim() : "(no name)";
        var merged = ehr.Lineage.Count(l => l.Action == LineageAction.Merged);
        var rejected = ehr.Lineage.Count(l => l.Action == LineageAction.Rejected);
        console.WriteLine();
        console.MarkupLineInterpolated($"[bold]EHR of {Shown.Text(name, 80)}[/] (person {ehr.PersonId}, born {Shown.Text(ehr.Patient.BirthDate ?? "?", 40)}){(ehr.Version > 0 ? $", saved as version {ehr.Version}" : "")}");
        console.MarkupLineInterpolated($"  {ehr.Lineage.Count} source records → {ehr.Records.Count + 1} EHR records: {merged} merged as duplicates, {rejected} rejected, {ehr.Conflicts.Count} conflicts, from {ehr.Sources.Count} sources ({Shown.Join(ehr.Sources)})");
        var bySource = ehr.Lineage.GroupBy(l => l.EhrResource).Where(g => g.Key is not null).ToDictionary(g => g.Key!, g => g.Select(x => x.SourceName).Distinct().Count());
        var types = new Table().AddColumns("record type", "EHR records", "from several sources");
        foreach (var (type, count) in ehr.CountByType())
        {
            var multi = bySource.Count(kv => kv.Key.StartsWith(type + "/", StringComparison.Ordinal) && kv.Value > 1);
            types.AddRow(Shown.Markup(type, 60), count.ToString(System.Globalization.CultureInfo.InvariantCulture), multi.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        console.Write(types);
        if (ehr.Conflicts.Count > 0)
        {
            var conflicts = new Table().Title("Conflicts (the EHR keeps one value by policy; the others stay visible)").AddColumns("record", "element", "kept", "also reported");
            foreach (var c in ehr.Conflicts)
            {
                conflicts.AddRow(
                    Shown.Markup(c.EhrResource),
                    Shown.Markup(c.Element),
                    Shown.Markup($"{Shown.Text(c.ChosenValue, 80)} ← {Shown.Text(c.ChosenFrom, 80)}"),
                    Shown.Markup(Shown.Join(c.Alternatives.Select(a => $"{Shown.Text(a.Value, 80)} ← {Shown.Text(a.From, 80)}"), "; ")));
            }

            console.Write(conflicts);
        }

        PrintCurrentView(EhrCurrentView.Of(ehr));
    }

    private void PrintRejected(IReadOnlyList<LineageEntry> shown, int total)
    {
        if (total == 0)
        {
            return;
        }

        var table = new Table().Title("Rejected records").AddColumns("source", "record", "reason");
        foreach (var r in shown)
        {
            table.AddRow(Shown.Markup(r.SourceName, 60), Shown.Markup(r.SourceResource), Shown.Markup(r.Reason));
        }

        console.Write(table);
        if (total > shown.Count)
        {
            console.MarkupLineInterpolated($"  … and {total - shown.Count} more (see the lineage file).");
        }
    }

    // Rejections are listed above; show what else went wrong or looked suspect.
    private static bool IsNotable(EhrIssue issue, HashSet<string> rejectedReasons) =>
        issue.Severity != IssueSeverity.Information && !(issue.Severity == IssueSeverity.Error && rejectedReasons.Contains(issue.Message));

    private void PrintIssues(IReadOnlyList<EhrIssue> shown, int errors, int warnings)
    {
        if (errors + warnings == 0)
        {
            return;
        }

        console.MarkupLineInterpolated($"[bold]Issues[/] ({errors} errors, {warnings} warnings):");
        foreach (var i in shown)
        {
            var colour = i.Severity == IssueSeverity.Error ? "red" : "yellow";
            // One line per issue: source, location, reason, each cut to a readable length.
            console.MarkupLineInterpolated($"  [{colour}]{i.Code}[/] {Shown.Text(i.SourceName, 60)} {Shown.Text(ShortLocation(i.Location))}: {Shown.Text(i.Message)}");
        }

        if (errors + warnings > shown.Count)
        {
            console.MarkupLineInterpolated($"  … and {errors + warnings - shown.Count} more.");
        }
    }

    /// <summary>The active problems, medications and allergies (rules: docs/current-view.md), at most a few names each.</summary>
    private void PrintCurrentView(EhrCurrentView view)
    {
        const int ShownItems = 8;
        var asOf = view.AsOf is { } t ? t.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "?";
        var table = new Table().Title($"Current view (as of {asOf})").AddColumns("list", "entries", "names");
        void Row(string list, IReadOnlyList<CurrentViewItem> items)
        {
            var names = Shown.Join(items.Take(ShownItems).Select(i => i.Display), "; ") + (items.Count > ShownItems ? $"; … and {items.Count - ShownItems} more" : "");
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
