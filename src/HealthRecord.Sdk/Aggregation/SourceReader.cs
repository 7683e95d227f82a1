using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Telemetry;
using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Stage 1, reading sources: asks the registered adapters, in registration order (the SDK registers its
/// file-system adapter after the host's, so it is asked last), and reads the sources in parallel.
/// </summary>
internal sealed class SourceReader(IReadOnlyList<IEmrSourceAdapter> adapters, HealthRecordOptions options, ILogger logger)
{
    /// <summary>Checks a request's sources: at least one, unique names without <c>:</c>.</summary>
    public static void Validate(AggregationRequest request)
    {
        if (request.Sources is null || request.Sources.Count == 0)
        {
            throw new ArgumentException("Name at least one source.", nameof(request));
        }

        var duplicate = request.Sources.GroupBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"The source name '{duplicate.Key}' is used twice; each source needs its own name.", nameof(request));
        }

        if (request.Sources.Any(s => string.IsNullOrWhiteSpace(s.Name) || s.Name.Contains(':', StringComparison.Ordinal)))
        {
            throw new ArgumentException("Source names must be non-empty and must not contain ':'.", nameof(request));
        }
    }

    /// <summary>Reads every source of the request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="keep">Which records to keep (all when <see langword="null"/>); a link-only run keeps the Patients.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The records, one summary per source (in request order) and the issues met.</returns>
    public Task<SourceReadResult> ReadAsync(AggregationRequest request, Func<SourceRecord, bool>? keep, CancellationToken cancellationToken) =>
        ReadAsync(request.Sources, null, keep, null, request.Progress, cancellationToken);

    /// <summary>Reads sources, or only some documents of them.</summary>
    /// <param name="sources">The sources.</param>
    /// <param name="documents">Per source (same order), the documents to read; <see langword="null"/> reads whole sources.</param>
    /// <param name="keep">Which records to keep (all when <see langword="null"/>).</param>
    /// <param name="observe">Told about every document read (thread-safe callers only: sources are read in parallel).</param>
    /// <param name="progress">Told about sources read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <param name="scanPatients">
    /// The first pass of a population run: adapters and readers that can (<see cref="IPatientScanningAdapter"/>) only find the
    /// Patients and count the other records, so the result holds the Patients of those documents and their warnings only.
    /// </param>
    /// <param name="maxParallel">Sources read at once (default <see cref="HealthRecordOptions.MaxParallelSources"/>); a population run reading
    /// parts in parallel reads each part's sources one at a time, so the two never multiply.</param>
    /// <returns>The records, one summary per source (in request order) and the issues met.</returns>
    public async Task<SourceReadResult> ReadAsync(IReadOnlyList<SourceRequest> sources, IReadOnlyList<IReadOnlySet<string>?>? documents, Func<SourceRecord, bool>? keep,
        Action<SourceDocumentResult>? observe, IProgress<AggregationProgress>? progress, CancellationToken cancellationToken, bool scanPatients = false, int? maxParallel = null)
    {
        var results = new (List<SourceRecord> Records, SourceSummary Summary, List<EhrIssue> Issues)[sources.Count];
        var completed = 0;
        progress?.Report(new AggregationProgress("read", 0, sources.Count));
        await Parallel.ForEachAsync(
            Enumerable.Range(0, sources.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxParallel ?? options.MaxParallelSources), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                results[i] = await ReadSourceAsync(sources[i], documents?[i], keep, observe, scanPatients, ct).ConfigureAwait(false);
                progress?.Report(new AggregationProgress("read", Interlocked.Increment(ref completed), sources.Count, sources[i].Name));
            }).ConfigureAwait(false);

        return new SourceReadResult
        {
            Records = results.SelectMany(r => r.Records).ToList(),
            Sources = results.Select(r => r.Summary).ToList(),
            Issues = results.SelectMany(r => r.Issues).ToList(),
        };
    }

    private async Task<(List<SourceRecord>, SourceSummary, List<EhrIssue>)> ReadSourceAsync(SourceRequest source, IReadOnlySet<string>? documentIds, Func<SourceRecord, bool>? keep,
        Action<SourceDocumentResult>? observe, bool scanPatients, CancellationToken cancellationToken)
    {
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.read_source");
        activity?.SetTag("healthrecord.source", source.Name);
        var records = new List<SourceRecord>();
        var issues = new List<EhrIssue>();
        var formats = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int documents = 0, failed = 0, recordsRead = 0;
        var incomplete = false;
        if (documentIds is { Count: 0 })
        {
            return (records, new SourceSummary(source.Name, source.Location, 0, 0, 0, 0, formats) { Patient = source.Patient }, issues);
        }

        var adapter = adapters.FirstOrDefault(a => a.CanRead(source));
        if (adapter is null)
        {
            issues.Add(new EhrIssue(IssueSeverity.Error, HealthRecordErrorCode.UnsupportedFormat, source.Name, source.Location, "No registered source adapter reads this location."));
            return (records, new SourceSummary(source.Name, source.Location, 0, 0, 0, 0, formats) { Patient = source.Patient, Incomplete = true }, issues);
        }

        try
        {
            var read = documentIds is not null ? adapter.ReadDocumentsAsync(source, documentIds, cancellationToken)
                : scanPatients && adapter is IPatientScanningAdapter scanner ? scanner.ScanPatientsAsync(source, cancellationToken)
                : adapter.ReadAsync(source, cancellationToken);
            await foreach (var document in read.ConfigureAwait(false))
            {
                documents++;
                observe?.Invoke(document);
                if (document.Error is { } error)
                {
                    failed++;
                    HealthRecordTelemetry.DocumentsFailed.Add(1);
                    issues.Add(new EhrIssue(IssueSeverity.Error, error.Code, source.Name, error.Location, error.Reason));
                    continue;
                }

                if (document.Format is { } format)
                {
                    formats[format] = formats.GetValueOrDefault(format) + 1;
                }

                recordsRead += document.ScannedRecords ?? document.Records.Count;
                foreach (var r in document.Records)
                {
                    if (keep is null || keep(r))
                    {
                        records.Add(r);
                    }

                    if (r.Warnings.Count > 0)
                    {
                        issues.AddRange(r.Warnings.Select(w => new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.InvalidResource, source.Name, r.Location, w)));
                    }
                }
            }
        }
        catch (SourceReadException ex)
        {
            Log.SourceFailed(logger, source.Name, ex.Code);
            issues.Add(new EhrIssue(IssueSeverity.Error, ex.Code, source.Name, ex.Location, ex.Reason));
            incomplete = true;
        }

        Log.SourceRead(logger, source.Name, recordsRead, documents);
        return (records, new SourceSummary(source.Name, source.Location, documents, failed, recordsRead, 0, formats) { Patient = source.Patient, Incomplete = incomplete }, issues);
    }
}
