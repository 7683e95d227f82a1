using System.Diagnostics;
using FluentValidation;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.Telemetry;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// The default <see cref="IEhrAggregator"/> and <see cref="IPersonLinker"/>: composes the stages (docs/architecture.md)
/// read sources → record graph (validate, resolve) → person assignment (link, stored persons, attribution)
/// → per person: cluster and merge → Provenance and lineage → save.
/// </summary>
public sealed class EhrAggregator : IEhrAggregator, IPersonLinker, IPopulationAggregator
{
    private readonly SourceReader _reader;
    private readonly IReadOnlyList<IValidator<Resource>> _validators;
    private readonly IPatientMatcher _patientMatcher;
    private readonly EhrMerger _merger;
    private readonly IEhrStore _store;
    private readonly HealthRecordOptions _options;
    private readonly ILogger<EhrAggregator> _logger;
    private readonly IMergeReview? _mergeReview;

    /// <summary>Creates the aggregator. Hosts get it from DI (<c>AddHealthRecord</c>).</summary>
    /// <param name="adapters">Source adapters, asked in this order (the SDK registers its file-system adapter after the host's).</param>
    /// <param name="validators">Record validators.</param>
    /// <param name="patientMatcher">Identity linking.</param>
    /// <param name="matchers">Record matchers (a host's matchers come before the SDK's default matcher for their types).</param>
    /// <param name="store">Where EHRs are saved.</param>
    /// <param name="options">SDK options.</param>
    /// <param name="mergeOptions">Merge policies.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="mergeReview">Manual merge decisions honoured by every aggregation (none when not given).</param>
    public EhrAggregator(
        IEnumerable<IEmrSourceAdapter> adapters,
        IEnumerable<IValidator<Resource>> validators,
        IPatientMatcher patientMatcher,
        IEnumerable<IRecordMatcher> matchers,
        IEhrStore store,
        IOptions<HealthRecordOptions> options,
        IOptions<MergeOptions> mergeOptions,
        ILogger<EhrAggregator>? logger = null,
        IMergeReview? mergeReview = null)
        : this(adapters, validators, patientMatcher, matchers, store, options, mergeOptions, logger, mergeReview, defaultMatcher: null)
    {
    }

    // DI names the default clinical matcher it registered, so a host's matchers come first for their types.
    internal EhrAggregator(
        IEnumerable<IEmrSourceAdapter> adapters,
        IEnumerable<IValidator<Resource>> validators,
        IPatientMatcher patientMatcher,
        IEnumerable<IRecordMatcher> matchers,
        IEhrStore store,
        IOptions<HealthRecordOptions> options,
        IOptions<MergeOptions> mergeOptions,
        ILogger<EhrAggregator>? logger,
        IMergeReview? mergeReview,
        IRecordMatcher? defaultMatcher)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(validators);
        ArgumentNullException.ThrowIfNull(patientMatcher);
        ArgumentNullException.ThrowIfNull(matchers);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(mergeOptions);
        _options = options.Value;
        _logger = logger ?? NullLogger<EhrAggregator>.Instance;
        _reader = new SourceReader(adapters.ToArray(), _options, _logger);
        _validators = validators.ToArray();
        _patientMatcher = patientMatcher;
        _merger = new EhrMerger(new RecordMatcherSelection(matchers, defaultMatcher), mergeOptions.Value, _options, _logger);
        _store = store;
        _mergeReview = mergeReview;
    }

    /// <inheritdoc />
    public async Task<AggregationResult> AggregateAsync(AggregationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        SourceReader.Validate(request);
        PopulationShards.RefuseShard(request);
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.aggregate");
        activity?.SetTag("healthrecord.sources", request.Sources.Count);
        Log.AggregationStarted(_logger, request.Sources.Count);
        var read = await _reader.ReadAsync(request, keep: null, cancellationToken).ConfigureAwait(false);
        return await AggregateCoreAsync(read, request.Policy, request.SaveToStore, [], request.Progress, activity, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<AggregationResult> AggregateRecordsAsync(IReadOnlyList<SourceRecord> records, AggregationRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.aggregate_records");
        request ??= new AggregationRequest();
        PopulationShards.RefuseShard(request);
        var declared = request.Sources.ToDictionary(s => s.Name, s => s.Patient, StringComparer.Ordinal);
        var summaries = records.GroupBy(r => r.SourceName, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SourceSummary(g.Key, "(records)", g.Select(r => r.DocumentId).Distinct(StringComparer.Ordinal).Count(), 0, g.Count(), 0, new SortedDictionary<string, int>(StringComparer.Ordinal))
            {
                Patient = declared.GetValueOrDefault(g.Key),
            })
            .ToList();
        var issues = records.Where(r => r.Warnings.Count > 0)
            .SelectMany(r => r.Warnings.Select(w => new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.InvalidResource, r.SourceName, r.Location, w)))
            .ToList();
        var input = new SourceReadResult { Records = records, Sources = summaries, Issues = issues };
        return await AggregateCoreAsync(input, request.Policy, request.SaveToStore, [], request.Progress, activity, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the sources of a request without aggregating them, so that the same records can be aggregated
    /// again (<see cref="ReaggregateAsync"/>) with another policy or with clusters split, without re-reading.
    /// </summary>
    /// <param name="request">The sources (its policy and store settings are not used here).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The records read, untouched by the pipeline.</returns>
    public async Task<SourceReadResult> ReadAsync(AggregationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        SourceReader.Validate(request);
        return await _reader.ReadAsync(request, keep: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Aggregates records read before (by <see cref="ReadAsync"/>, <see cref="AggregationResult.SourceRecords"/>, or a
    /// stored <see cref="EhrAggregate.SourceRecords"/>): the undo path. Use another <see cref="ReaggregationRequest.Policy"/>,
    /// or split clusters with <see cref="ReaggregationRequest.KeepApart"/>. The input records are not modified (the pipeline
    /// works on copies), so they can be aggregated again and again.
    /// </summary>
    /// <param name="request">The records and how to aggregate them.</param>
    /// <param name="cancellationToken">Cancels the aggregation.</param>
    /// <returns>The result, as <see cref="AggregateAsync"/> gives it.</returns>
    public async Task<AggregationResult> ReaggregateAsync(ReaggregationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Input);
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.reaggregate");
        return await AggregateCoreAsync(request.Input, request.Policy, request.SaveToStore, request.KeepApart, request.Progress, activity, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Incremental update of one person: a source sent new or corrected records (a corrected lab, an entered-in-error
    /// status, a replaced document). The update's documents replace the person's records read from the same source
    /// document (records without a document replace the same source's record with the same <c>Type/id</c>), the other
    /// sources' records are reused from <paramref name="previous"/>'s <see cref="EhrAggregate.SourceRecords"/>, and
    /// only this person is aggregated again — nothing is re-read. The result equals a full aggregation of the person's
    /// sources as they are after the update.
    /// </summary>
    /// <param name="previous">The person's last EHR, with its <see cref="EhrAggregate.SourceRecords"/> (as a store that keeps them returns it).</param>
    /// <param name="update">The new or corrected records, as the source's adapter read them.</param>
    /// <param name="request">Settings (policy, saving, declared persons), as for <see cref="AggregateRecordsAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The aggregation of the person's records after the update.</returns>
    /// <exception cref="ArgumentException"><paramref name="previous"/> kept no source records.</exception>
    public Task<AggregationResult> UpdatePersonAsync(EhrAggregate previous, IReadOnlyList<SourceRecord> update, AggregationRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(update);
        if (previous.SourceRecords.Count == 0)
        {
            throw new ArgumentException("The EHR kept no source records (EhrAggregate.SourceRecords): aggregate the sources again instead.", nameof(previous));
        }

        var documents = update.Where(r => r.DocumentId is not null).Select(r => (r.SourceName, r.DocumentId!)).ToHashSet();
        var loose = update.Where(r => r.DocumentId is null).Select(r => RecordKey.Of(r)).ToHashSet();
        var records = previous.SourceRecords
            .Where(r => !(r.DocumentId is not null && documents.Contains((r.SourceName, r.DocumentId))) && !loose.Contains(RecordKey.Of(r)))
            .Concat(update)
            .ToList();
        return AggregateRecordsAsync(records, request, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<PersonLinkResult> LinkAsync(AggregationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        SourceReader.Validate(request);
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.link");
        var read = await _reader.ReadAsync(request, keep: static r => r.ResourceType == "Patient", cancellationToken).ConfigureAwait(false);
        request.Progress?.Report(new AggregationProgress("link", 0, 1));
        var graph = RecordGraph.Build(read.Records, _validators);
        var link = await _patientMatcher.LinkAsync(PersonAssignment.Candidates(graph), cancellationToken).ConfigureAwait(false);
        var persons = PersonAssignment.Persons(graph, link)
            .Select(p => new LinkedPerson(p.PersonId, p.PatientNodes.Select(i => graph.Nodes[i].Record).Select(r => new SourceRecordRef(r.SourceName, r.SourceReference, r.Location)).ToList()))
            .ToList();
        var issues = read.Issues.Concat(graph.Nodes.Where(n => n.Rejection is not null)
            .Select(n => new EhrIssue(IssueSeverity.Error, n.Rejection!.Code, n.Record.SourceName, n.Record.Location, n.Rejection.Reason))).ToList();
        request.Progress?.Report(new AggregationProgress("link", 1, 1));
        return new PersonLinkResult { Persons = persons, PatientLinks = link.Links, Sources = read.Sources, Issues = issues };
    }

    /// <inheritdoc />
    public async Task<PopulationResult> AggregatePopulationAsync(AggregationRequest request, Func<EhrAggregate, CancellationToken, ValueTask> onEhr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(onEhr);
        SourceReader.Validate(request);
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.aggregate_population");
        Log.AggregationStarted(_logger, request.Sources.Count);
        var started = Stopwatch.GetTimestamp();
        var progress = request.Progress;

        // Pass 1: the Patients only (scanned, not read in full, where the readers can), and which documents hold which
        // Patients; then link them and plan the parts. Nothing of it but the plan and the links outlives the method.
        var plan = await PlanPopulationAsync(request, progress, cancellationToken).ConfigureAwait(false);
        var (link, parts, totalPersons) = (plan.Link, plan.Parts, plan.TotalPersons);
        var pass2Started = Stopwatch.GetTimestamp();
        var plannedHeap = GC.GetTotalMemory(false);

        // Pass 2: part by part (in parallel), person by person; each EHR is handed over and let go.
        var issues = plan.Issues.ToList();
        var readIssues = issues.Count;
        var overrides = await ClusterOverrides.LoadAsync(_mergeReview, [], issues, cancellationToken).ConfigureAwait(false);
        var declared = request.Sources.Where(s => s.Patient is not null).ToDictionary(s => s.Name, s => s.Patient!, StringComparer.Ordinal);
        var save = request.SaveToStore ?? _options.SaveToStore;
        var incompleteSources = plan.Sources.Where(s => s.Incomplete).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var unattributed = new System.Collections.Concurrent.ConcurrentBag<(LineageEntry Row, EhrIssue? Issue)>();
        var rejectedBySource = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var sourceOrder = request.Sources.Select((s, i) => (s.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        var scannedWarnings = new System.Collections.Concurrent.ConcurrentBag<(int Source, string Document, int Order, EhrIssue Issue)>();

        // One budget: parts run in parallel up to MaxDegreeOfParallelism and read their sources one at a time; a run that is
        // one part (a bulk file of many people) reads its sources in parallel instead.
        var readParallelism = parts.Count > 1 ? 1 : _options.MaxParallelSources;
        int done = 0, merged = 0;
        long recordsDone = 0;
        var mergeStarted = Stopwatch.GetTimestamp();
        progress?.Report(new AggregationProgress("merge", 0, totalPersons));
        // EHRs are handed over one at a time by one consumer, so a part does not wait for another part's hand-over (the
        // CLI serialises and writes each EHR there): at most MaxDegreeOfParallelism built EHRs wait their turn.
        var degree = Math.Max(1, _options.MaxDegreeOfParallelism);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var handOver = System.Threading.Channels.Channel.CreateBounded<EhrAggregate>(new System.Threading.Channels.BoundedChannelOptions(degree) { SingleReader = true });
        var handOverFailed = false;
        var consumer = System.Threading.Tasks.Task.Run(async () =>
        {
            try
            {
                await foreach (var ehr in handOver.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
                {
                    await onEhr(ehr, stop.Token).ConfigureAwait(false);
                    Interlocked.Add(ref merged, ehr.Lineage.Count(l => l.Action == LineageAction.Merged));
                    var records = Interlocked.Add(ref recordsDone, ehr.SourceRecords.Count);
                    var people = Interlocked.Increment(ref done);
                    progress?.Report(new AggregationProgress("merge", people, totalPersons, ehr.PersonId) { RecordsDone = records, Elapsed = Stopwatch.GetElapsedTime(mergeStarted) });
                }
            }
            catch
            {
                // The parts stop too (none waits forever for room in the channel).
                Volatile.Write(ref handOverFailed, true);
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        try
        {
            await Parallel.ForEachAsync(TakeEach(parts), new ParallelOptions { MaxDegreeOfParallelism = degree, CancellationToken = stop.Token }, async (part, ct) =>
            {
                var input = await _reader.ReadAsync(request.Sources, part, null, null, null, ct, maxParallel: readParallelism).ConfigureAwait(false);
                if (plan.Scanned.Count > 0)
                {
                    // The scan reported the warnings of the Patients only; the other records' warnings come from this read.
                    for (var i = 0; i < input.Records.Count; i++)
                    {
                        var r = input.Records[i];
                        if (r.Warnings.Count > 0 && r.ResourceType != "Patient" && r.DocumentId is { } document && plan.Scanned.Contains((r.SourceName, document)))
                        {
                            foreach (var w in r.Warnings)
                            {
                                scannedWarnings.Add((sourceOrder[r.SourceName], document, i, new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.InvalidResource, r.SourceName, r.Location, w)));
                            }
                        }
                    }
                }

                var graph = RecordGraph.Build(input.Records, _validators);
                var persons = PersonAssignment.Persons(graph, link);
                PersonAssignment.Attribute(graph, persons, declared, totalPersons);
                if (save)
                {
                    await PersonAssignment.ContinueStoredPersonsAsync(persons, graph, _store, _patientMatcher, claimed, ct).ConfigureAwait(false);
                }

                for (var p = 0; p < persons.Count; p++)
                {
                    ct.ThrowIfCancellationRequested();
                    if (!PopulationShards.Owns(request.Shard, graph, persons[p]))
                    {
                        continue; // another shard's person
                    }

                    var ehr = _merger.Build(graph, persons[p], p, request.Policy, overrides, keepSourceRecords: true);
                    if (save && await CompleteEnoughToSaveAsync(ehr, incompleteSources, ct).ConfigureAwait(false) is { } notSaved)
                    {
                        ehr = ehr with { Issues = [.. ehr.Issues, notSaved] };
                        lock (issues)
                        {
                            issues.Add(notSaved);
                        }
                    }
                    else if (save)
                    {
                        ehr = await _store.SaveAsync(ehr, ct).ConfigureAwait(false);
                        Log.EhrSaved(_logger, ehr.PersonId, ehr.Version);
                    }

                    await handOver.Writer.WriteAsync(ehr, ct).ConfigureAwait(false);
                }

                foreach (var n in graph.Nodes)
                {
                    if (n.Rejection is not null)
                    {
                        rejectedBySource.AddOrUpdate(n.Record.SourceName, 1, (_, c) => c + 1);
                    }

                    if (n.Persons.Count == 0)
                    {
                        unattributed.Add((new LineageEntry("", n.Record.SourceName, n.Record.SourceReference, null, LineageAction.Rejected, n.Rejection?.Reason ?? "Not attributable to any person."),
                            n.Rejection is null ? null : new EhrIssue(IssueSeverity.Error, n.Rejection.Code, n.Record.SourceName, n.Record.Location, n.Rejection.Reason)));
                    }
                }
            }).ConfigureAwait(false);
        }
        catch (Exception) when (Volatile.Read(ref handOverFailed))
        {
            // The hand-over failed first (onEhr threw or was cancelled) and stopped the parts: its error is reported below.
        }
        catch (Exception)
        {
            // A part failed (or the caller cancelled): stop the hand-over, wait for it, and report the part's error.
            await stop.CancelAsync().ConfigureAwait(false);
            handOver.Writer.TryComplete();
            try
            {
                await consumer.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Stopped because of the part's error, which is the one to report.
            }

            throw;
        }
        finally
        {
            handOver.Writer.TryComplete();
        }

        await consumer.ConfigureAwait(false);

        issues.InsertRange(readIssues, scannedWarnings
            .OrderBy(w => w.Source).ThenBy(w => w.Document, StringComparer.Ordinal).ThenBy(w => w.Order)
            .Select(w => w.Issue));
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.PopulationStages(_logger, (long)plan.ReadTime.TotalMilliseconds, (long)plan.LinkTime.TotalMilliseconds, (long)Stopwatch.GetElapsedTime(pass2Started).TotalMilliseconds, parts.Count, totalPersons,
                plannedHeap >> 20, GC.GetTotalMemory(false) >> 20, Environment.WorkingSet >> 20);
        }
        var rows = unattributed.OrderBy(u => u.Row.SourceName, StringComparer.Ordinal).ThenBy(u => u.Row.SourceResource, StringComparer.Ordinal).ThenBy(u => u.Row.Reason, StringComparer.Ordinal).ToList();
        issues.AddRange(rows.Where(u => u.Issue is not null).Select(u => u.Issue!));
        var rejected = rejectedBySource.Values.Sum();
        var recordsRead = plan.Sources.Sum(s => (long)s.RecordsRead);
        var elapsed = Stopwatch.GetElapsedTime(started);
        HealthRecordTelemetry.RecordsRead.Add(recordsRead);
        HealthRecordTelemetry.RecordsRejected.Add(rejected);
        HealthRecordTelemetry.RecordsMerged.Add(merged);
        HealthRecordTelemetry.AggregationDuration.Record(elapsed.TotalSeconds);
        Log.AggregationFinished(_logger, (int)Math.Min(int.MaxValue, recordsRead), done, merged, rejected, (long)elapsed.TotalMilliseconds);
        activity?.SetTag("healthrecord.persons", done);
        return new PopulationResult
        {
            Persons = done,
            RecordsRead = recordsRead,
            Parts = parts.Count,
            Sources = plan.Sources.Select(s => s with { RecordsRejected = rejectedBySource.GetValueOrDefault(s.Name) }).ToList(),
            Issues = issues,
            Unattributed = rows.Select(u => u.Row).ToList(),
            PatientLinks = link.Links,
        };
    }

    // Pass 1 of a population run and the plan: what the parts need, and nothing else (the Patients read, their
    // working copies and the matcher's input are let go when this returns).
    private async Task<PopulationRunPlan> PlanPopulationAsync(AggregationRequest request, IProgress<AggregationProgress>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var documents = new System.Collections.Concurrent.ConcurrentQueue<PopulationPlan.DocumentPatients>();
        // With a matcher that links features, each Patient is validated and reduced to its features while its document is
        // read (on the reading threads, sources in parallel) and let go: the pass keeps a few hundred bytes per Patient, not
        // the resource and its working copy. Another matcher is given the Patients of a Patient-only record graph, as before.
        var featureLinker = _patientMatcher as IPatientFeatureLinker;
        var patientsSeen = new System.Collections.Concurrent.ConcurrentQueue<PlannedPatient>();
        var sourceIndex = request.Sources.Select((s, i) => (s.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        long arrival = 0;
        var read = await _reader.ReadAsync(request.Sources, null, featureLinker is null ? static r => r.ResourceType == "Patient" : static _ => false, d =>
        {
            if (d.Error is not null)
            {
                return;
            }

            List<string>? keys = null;
            foreach (var r in d.Records)
            {
                if (r.ResourceType != "Patient")
                {
                    continue;
                }

                var key = RecordKey.Of(r).ToString();
                (keys ??= []).Add(key);
                if (featureLinker is not null)
                {
                    patientsSeen.Enqueue(PlannedPatient.Of(r, key, sourceIndex[r.SourceName], Interlocked.Increment(ref arrival), featureLinker, _validators));
                }
            }

            if ((d.ScannedRecords ?? d.Records.Count) > 0)
            {
                documents.Enqueue(new PopulationPlan.DocumentPatients(d.SourceName, d.DocumentId, keys ?? [])
                {
                    Scanned = d.ScannedRecords is not null,
                });
            }
        }, progress, cancellationToken, scanPatients: true).ConfigureAwait(false);
        var readTime = Stopwatch.GetElapsedTime(started);
        var linkStarted = Stopwatch.GetTimestamp();
        progress?.Report(new AggregationProgress("link", 0, 1));
        PatientLinkResult link;
        List<string?> candidateKeys;
        List<string> recordKeys;
        if (featureLinker is not null)
        {
            // The canonical order and keys of a record graph of these Patients (RecordGraph.Build), without building one.
            var ordered = patientsSeen.OrderBy(p => p.SortKey, StringComparer.Ordinal).ThenBy(p => p.Source).ThenBy(p => p.Arrival).ToList();
            candidateKeys = new List<string?>(ordered.Count);
            recordKeys = new List<string>(ordered.Count);
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            var candidates = new List<(PatientFeatures, SourcePatientReference)>(ordered.Count);
            foreach (var p in ordered)
            {
                var occurrence = seen[p.RecordKey] = seen.GetValueOrDefault(p.RecordKey) + 1;
                recordKeys.Add(p.RecordKey);
                candidateKeys.Add(p.Features is null ? null : occurrence == 1 ? p.RecordKey : $"{p.RecordKey}#{occurrence}");
                if (p.Features is { } features)
                {
                    features.Key = candidateKeys[^1]!;
                    candidates.Add((features, p.Reference!));
                }
            }

            link = await featureLinker.LinkAsync(candidates, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var patients = RecordGraph.Build(read.Records, _validators);
            link = await _patientMatcher.LinkAsync(PersonAssignment.Candidates(patients), cancellationToken).ConfigureAwait(false);
            candidateKeys = patients.Nodes.Select(n => n.Resource is Patient ? n.Key : null).ToList();
            recordKeys = patients.Nodes.Select(n => RecordKey.Of(n.Record).ToString()).ToList();
        }

        var population = PersonAssignment.Persons(candidateKeys, link);
        var documentOrder = documents.OrderBy(d => d.Source, StringComparer.Ordinal).ThenBy(d => d.DocumentId, StringComparer.Ordinal).ToList();
        var parts = PopulationPlan.Parts(request.Sources, documentOrder, recordKeys, population);
        var totalPersons = population.Count;
        if (request.Shard is { } shard)
        {
            // Split across workers (PopulationShard): read only the parts holding this shard's people.
            (totalPersons, var ownedKeys) = PopulationShards.Owned(shard, recordKeys, population);
            parts = PopulationShards.Parts(parts, request.Sources, documentOrder, ownedKeys);
        }

        var scanned = documentOrder.Where(d => d.Scanned).Select(d => (d.Source, d.DocumentId)).ToHashSet();
        var linkTime = Stopwatch.GetElapsedTime(linkStarted);
        progress?.Report(new AggregationProgress("link", 1, 1) { Elapsed = linkTime });
        return new PopulationRunPlan(link, parts, totalPersons, read.Sources, read.Issues, scanned, readTime, linkTime);
    }

    // A Patient as the first pass keeps it: where it sorts in a record graph, and its features (null when the graph would
    // reject it, as RecordGraph.Build does: the reader's rejection, no resource, or a validator's failure).
    private sealed record PlannedPatient(string SortKey, int Source, long Arrival, string RecordKey, PatientFeatures? Features, SourcePatientReference? Reference)
    {
        public static PlannedPatient Of(SourceRecord r, string recordKey, int source, long arrival, IPatientFeatureLinker linker, IReadOnlyList<IValidator<Resource>> validators)
        {
            var sortKey = string.Join('\u001f', r.SourceName, r.ResourceType, r.ResourceId, r.Location);
            var accepted = r.Rejection is null && r.Resource is Patient patient && !validators.Any(v => !v.Validate(patient).IsValid);
            if (!accepted || r.Resource is not Patient p)
            {
                return new PlannedPatient(sortKey, source, arrival, recordKey, null, null);
            }

            return new PlannedPatient(sortKey, source, arrival, recordKey, linker.Features(recordKey, p),
                new SourcePatientReference(r.SourceName, string.IsNullOrEmpty(p.Id) ? "Patient" : "Patient/" + p.Id));
        }
    }

    // The parts one by one, each let go by the list as it is taken: a run does not keep every person's document sets to its end.
    // Parallel.ForEachAsync enumerates its source under a lock, one item at a time.
    private static IEnumerable<T> TakeEach<T>(List<T> items)
        where T : class
    {
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            items[i] = null!;
            yield return item;
        }
    }

    private sealed record PopulationRunPlan(PatientLinkResult Link, List<IReadOnlyList<IReadOnlySet<string>?>> Parts, int TotalPersons,
        IReadOnlyList<SourceSummary> Sources, IReadOnlyList<EhrIssue> Issues, HashSet<(string Source, string DocumentId)> Scanned, TimeSpan ReadTime, TimeSpan LinkTime);

    // A source that could not be read completely must never shrink a stored record: an EHR that holds its records
    // (a partial read) or whose stored version held them (a source that is missing this time) is not saved; the previous
    // version stays the latest, and the returned issue says why. Null when the EHR may be saved.
    private async Task<EhrIssue?> CompleteEnoughToSaveAsync(EhrAggregate ehr, IReadOnlySet<string> incompleteSources, CancellationToken cancellationToken)
    {
        if (incompleteSources.Count == 0)
        {
            return null;
        }

        var source = ehr.Sources.FirstOrDefault(incompleteSources.Contains);
        if (source is null && await _store.GetAsync(ehr.PersonId, cancellationToken: cancellationToken).ConfigureAwait(false) is { } stored)
        {
            source = stored.Sources.FirstOrDefault(incompleteSources.Contains);
        }

        return source is null ? null : new EhrIssue(IssueSeverity.Error, HealthRecordErrorCode.SourceUnavailable, source, "Patient/" + ehr.PersonId,
            $"Not saved: the source '{source}' could not be read completely, so this version would lack what it contributed; the stored version is kept.");
    }

    private async Task<AggregationResult> AggregateCoreAsync(SourceReadResult input, IMergePolicy? policy, bool? saveToStore,
        IReadOnlyList<IReadOnlyCollection<string>> keepApart, IProgress<AggregationProgress>? progress, Activity? activity, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var issues = input.Issues.ToList();

        // Stage 2: the record graph.
        progress?.Report(new AggregationProgress("resolve", 0, input.Records.Count));
        var graph = RecordGraph.Build(input.Records, _validators);
        var nodes = graph.Nodes;

        // Stage 3: person assignment.
        progress?.Report(new AggregationProgress("link", 0, 1));
        var link = await _patientMatcher.LinkAsync(PersonAssignment.Candidates(graph), cancellationToken).ConfigureAwait(false);
        var persons = PersonAssignment.Persons(graph, link);
        var declared = input.Sources.Where(s => s.Patient is not null).ToDictionary(s => s.Name, s => s.Patient!, StringComparer.Ordinal);
        PersonAssignment.Attribute(graph, persons, declared);
        var save = saveToStore ?? _options.SaveToStore;
        var incompleteSources = input.Sources.Where(s => s.Incomplete).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        if (save)
        {
            await PersonAssignment.ContinueStoredPersonsAsync(persons, graph, _store, _patientMatcher, new HashSet<string>(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
        }

        // Stages 4 and 5, person by person.
        var overrides = await ClusterOverrides.LoadAsync(_mergeReview, keepApart, issues, cancellationToken).ConfigureAwait(false);
        var ehrs = new List<EhrAggregate>(persons.Count);
        var mergeStarted = Stopwatch.GetTimestamp();
        long recordsDone = 0;
        for (var p = 0; p < persons.Count; p++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new AggregationProgress("merge", p, persons.Count, persons[p].PersonId) { RecordsDone = recordsDone, Elapsed = Stopwatch.GetElapsedTime(mergeStarted) });
            var ehr = _merger.Build(graph, persons[p], p, policy, overrides, keepSourceRecords: true);
            if (save && await CompleteEnoughToSaveAsync(ehr, incompleteSources, cancellationToken).ConfigureAwait(false) is { } notSaved)
            {
                ehr = ehr with { Issues = [.. ehr.Issues, notSaved] };
            }
            else if (save)
            {
                progress?.Report(new AggregationProgress("save", p, persons.Count, persons[p].PersonId) { RecordsDone = recordsDone, Elapsed = Stopwatch.GetElapsedTime(mergeStarted) });
                ehr = await _store.SaveAsync(ehr, cancellationToken).ConfigureAwait(false);
                Log.EhrSaved(_logger, ehr.PersonId, ehr.Version);
            }

            recordsDone += ehr.Lineage.Count;
            ehrs.Add(ehr);
        }

        ehrs.Sort((a, b) => string.CompareOrdinal(a.PersonId, b.PersonId));
        var unattributed = nodes.Where(n => n.Persons.Count == 0)
            .Select(n => new LineageEntry("", n.Record.SourceName, n.Record.SourceReference, null, LineageAction.Rejected,
                n.Rejection?.Reason ?? "Not attributable to any person."))
            .ToList();
        foreach (var n in nodes.Where(n => n.Persons.Count == 0 && n.Rejection is not null))
        {
            issues.Add(new EhrIssue(IssueSeverity.Error, n.Rejection!.Code, n.Record.SourceName, n.Record.Location, n.Rejection.Reason));
        }

        issues.AddRange(ehrs.SelectMany(e => e.Issues));
        var rejectedBySource = nodes.Where(n => n.Rejection is not null).GroupBy(n => n.Record.SourceName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var summaries = input.Sources.Select(s => s with { RecordsRejected = rejectedBySource.GetValueOrDefault(s.Name) }).ToList();
        var rejected = rejectedBySource.Values.Sum();
        var merged = ehrs.Sum(e => e.Lineage.Count(l => l.Action == LineageAction.Merged));
        HealthRecordTelemetry.RecordsRead.Add(nodes.Count);
        HealthRecordTelemetry.RecordsRejected.Add(rejected);
        HealthRecordTelemetry.RecordsMerged.Add(merged);
        var elapsed = Stopwatch.GetElapsedTime(started);
        HealthRecordTelemetry.AggregationDuration.Record(elapsed.TotalSeconds);
        Log.AggregationFinished(_logger, nodes.Count, ehrs.Count, merged, rejected, (long)elapsed.TotalMilliseconds);
        activity?.SetTag("healthrecord.records", nodes.Count);
        activity?.SetTag("healthrecord.persons", ehrs.Count);

        return new AggregationResult
        {
            Ehrs = ehrs,
            Sources = summaries,
            Issues = issues,
            Unattributed = unattributed,
            PatientLinks = link.Links,
            SourceRecords = nodes.Select(n => n.Record).ToList(),
        };
    }
}
