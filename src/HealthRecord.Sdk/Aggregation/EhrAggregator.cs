using System.Diagnostics;
using System.Globalization;
using FluentValidation;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
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

/// <summary>The default <see cref="IEhrAggregator"/>: read → validate → resolve → link → deduplicate → merge → save.</summary>
public sealed class EhrAggregator : IEhrAggregator
{
    internal const string NodeScheme = "urn:hr-node:";
    private readonly IReadOnlyList<IEmrSourceAdapter> _adapters;
    private readonly IReadOnlyList<IValidator<Resource>> _validators;
    private readonly IPatientMatcher _patientMatcher;
    private readonly IReadOnlyList<IRecordMatcher> _matchers;
    private readonly IEhrStore _store;
    private readonly HealthRecordOptions _options;
    private readonly MergeOptions _merge;
    private readonly ILogger<EhrAggregator> _logger;
    private readonly ExactDuplicateMatcher _exact = new();
    private readonly ClinicalRecordMatcher _clinical;
    private readonly IMergeReview? _mergeReview;

    /// <summary>Creates the aggregator. Hosts get it from DI (<c>AddHealthRecord</c>).</summary>
    /// <param name="adapters">Source adapters; the file-system adapter is asked last.</param>
    /// <param name="validators">Record validators.</param>
    /// <param name="patientMatcher">Identity linking.</param>
    /// <param name="matchers">Record matchers (type-specific ones replace the built-in matcher for their types).</param>
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
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(validators);
        ArgumentNullException.ThrowIfNull(patientMatcher);
        ArgumentNullException.ThrowIfNull(matchers);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(mergeOptions);
        _adapters = adapters.OrderBy(a => a is FileSystemSourceAdapter ? 1 : 0).ToArray();
        _validators = validators.ToArray();
        _patientMatcher = patientMatcher;
        _matchers = matchers.ToArray();
        _clinical = _matchers.OfType<ClinicalRecordMatcher>().FirstOrDefault() ?? new ClinicalRecordMatcher();
        _store = store;
        _options = options.Value;
        _merge = mergeOptions.Value;
        _logger = logger ?? NullLogger<EhrAggregator>.Instance;
        _mergeReview = mergeReview;
    }

    /// <inheritdoc />
    public async Task<AggregationResult> AggregateAsync(AggregationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateRequest(request);
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.aggregate");
        activity?.SetTag("healthrecord.sources", request.Sources.Count);
        Log.AggregationStarted(_logger, request.Sources.Count);
        var issues = new List<EhrIssue>();
        var (records, summaries) = await ReadSourcesAsync(request, issues, cancellationToken).ConfigureAwait(false);
        return await AggregateCoreAsync(records, summaries, issues, request.Policy, request.SaveToStore, [], request.Progress, activity, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<AggregationResult> AggregateRecordsAsync(IReadOnlyList<SourceRecord> records, AggregationRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.aggregate_records");
        var summaries = records.GroupBy(r => r.SourceName, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SourceSummary(g.Key, "(records)", g.Select(r => r.DocumentId).Distinct(StringComparer.Ordinal).Count(), 0, g.Count(), 0, new SortedDictionary<string, int>(StringComparer.Ordinal)))
            .ToList();
        var issues = records.Where(r => r.Warnings.Count > 0)
            .SelectMany(r => r.Warnings.Select(w => new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.InvalidResource, r.SourceName, r.Location, w)))
            .ToList();
        request ??= new AggregationRequest();
        return await AggregateCoreAsync(records.ToList(), summaries, issues, request.Policy, request.SaveToStore, [], request.Progress, activity, cancellationToken).ConfigureAwait(false);
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
        ValidateRequest(request);
        var issues = new List<EhrIssue>();
        var (records, summaries) = await ReadSourcesAsync(request, issues, cancellationToken).ConfigureAwait(false);
        return new SourceReadResult { Records = records, Sources = summaries, Issues = issues };
    }

    /// <summary>
    /// Aggregates records read before (by <see cref="ReadAsync"/>, or <see cref="AggregationResult.SourceRecords"/>):
    /// the undo path. Use another <see cref="ReaggregationRequest.Policy"/>, or split clusters with
    /// <see cref="ReaggregationRequest.KeepApart"/>. The input records are not modified (the pipeline works on copies),
    /// so they can be aggregated again and again.
    /// </summary>
    /// <param name="request">The records and how to aggregate them.</param>
    /// <param name="cancellationToken">Cancels the aggregation.</param>
    /// <returns>The result, as <see cref="AggregateAsync"/> gives it.</returns>
    public async Task<AggregationResult> ReaggregateAsync(ReaggregationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Input);
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.reaggregate");
        return await AggregateCoreAsync(request.Input.Records.ToList(), request.Input.Sources.ToList(), request.Input.Issues.ToList(), request.Policy, request.SaveToStore, request.KeepApart, request.Progress, activity, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AggregationResult> AggregateCoreAsync(List<SourceRecord> records, List<SourceSummary> summaries, List<EhrIssue> issues, IMergePolicy? policy, bool? saveToStore,
        IReadOnlyList<IReadOnlyCollection<string>> keepApart, IProgress<AggregationProgress>? progress, Activity? activity, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var nodes = BuildNodes(records);
        progress?.Report(new AggregationProgress("resolve", 0, nodes.Count));
        Validate(nodes);
        ResolveReferences(nodes);
        AttributeSubjects(nodes);

        progress?.Report(new AggregationProgress("link", 0, 1));
        var candidates = nodes.Where(n => n.Resource is Patient).Select(n => new PatientCandidate(n.Key, n.Record.SourceName, (Patient)n.Resource!)).ToList();
        var link = await _patientMatcher.LinkAsync(candidates, cancellationToken).ConfigureAwait(false);
        var persons = AssignPersons(nodes, link);

        var ehrs = new List<EhrAggregate>();
        var save = saveToStore ?? _options.SaveToStore;
        if (save)
        {
            await ContinueStoredPersonsAsync(persons, nodes, cancellationToken).ConfigureAwait(false);
        }

        var overrides = await ClusterOverridesAsync(keepApart, issues, cancellationToken).ConfigureAwait(false);
        for (var p = 0; p < persons.Count; p++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new AggregationProgress("merge", p, persons.Count, persons[p].PersonId));
            var ehr = BuildEhr(persons[p], p, nodes, policy, overrides);
            if (save)
            {
                progress?.Report(new AggregationProgress("save", p, persons.Count, persons[p].PersonId));
                ehr = await _store.SaveAsync(ehr, cancellationToken).ConfigureAwait(false);
                Log.EhrSaved(_logger, ehr.PersonId, ehr.Version);
            }

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
        var finalSummaries = summaries.Select(s => s with { RecordsRejected = nodes.Count(n => n.Record.SourceName == s.Name && n.Rejection is not null) }).ToList();
        var rejected = nodes.Count(n => n.Rejection is not null);
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
            Sources = finalSummaries,
            Issues = issues,
            Unattributed = unattributed,
            PatientLinks = link.Links,
            SourceRecords = nodes.Select(n => n.Record).ToList(),
        };
    }

    private static void ValidateRequest(AggregationRequest request)
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

    private async Task<(List<SourceRecord> Records, List<SourceSummary> Summaries)> ReadSourcesAsync(AggregationRequest request, List<EhrIssue> issues, CancellationToken cancellationToken)
    {
        var results = new (List<SourceRecord> Records, SourceSummary Summary, List<EhrIssue> Issues)[request.Sources.Count];
        var completed = 0;
        request.Progress?.Report(new AggregationProgress("read", 0, request.Sources.Count));
        await Parallel.ForEachAsync(
            Enumerable.Range(0, request.Sources.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelSources, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                results[i] = await ReadSourceAsync(request.Sources[i], ct).ConfigureAwait(false);
                request.Progress?.Report(new AggregationProgress("read", Interlocked.Increment(ref completed), request.Sources.Count, request.Sources[i].Name));
            }).ConfigureAwait(false);

        foreach (var r in results)
        {
            issues.AddRange(r.Issues);
        }

        return (results.SelectMany(r => r.Records).ToList(), results.Select(r => r.Summary).ToList());
    }

    private async Task<(List<SourceRecord>, SourceSummary, List<EhrIssue>)> ReadSourceAsync(SourceRequest source, CancellationToken cancellationToken)
    {
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.read_source");
        activity?.SetTag("healthrecord.source", source.Name);
        var records = new List<SourceRecord>();
        var issues = new List<EhrIssue>();
        var formats = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int documents = 0, failed = 0;
        var adapter = _adapters.FirstOrDefault(a => a.CanRead(source));
        if (adapter is null)
        {
            issues.Add(new EhrIssue(IssueSeverity.Error, HealthRecordErrorCode.UnsupportedFormat, source.Name, source.Location, "No registered source adapter reads this location."));
            return (records, new SourceSummary(source.Name, source.Location, 0, 0, 0, 0, formats), issues);
        }

        try
        {
            await foreach (var document in adapter.ReadAsync(source, cancellationToken).ConfigureAwait(false))
            {
                documents++;
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

                records.AddRange(document.Records);
                foreach (var r in document.Records.Where(r => r.Warnings.Count > 0))
                {
                    issues.AddRange(r.Warnings.Select(w => new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.InvalidResource, source.Name, r.Location, w)));
                }
            }
        }
        catch (SourceReadException ex)
        {
            Log.SourceFailed(_logger, source.Name, ex.Code, ex.Reason);
            issues.Add(new EhrIssue(IssueSeverity.Error, ex.Code, source.Name, ex.Location, ex.Reason));
        }

        Log.SourceRead(_logger, source.Name, records.Count, documents);
        return (records, new SourceSummary(source.Name, source.Location, documents, failed, records.Count, 0, formats), issues);
    }

    private static List<RecordNode> BuildNodes(List<SourceRecord> records)
    {
        // Canonical order: every later loop runs in it, so results never depend on read order.
        var sorted = records
            .Select(r => (Record: r, Key: string.Join('\u001f', r.SourceName, r.ResourceType, r.ResourceId, r.Location)))
            .OrderBy(x => x.Key, StringComparer.Ordinal)
            .ToList();
        var nodes = new List<RecordNode>(sorted.Count);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (record, key) in sorted)
        {
            // A source may hold one Type/id twice (the same file twice, a re-sent message): later copies get
            // an occurrence suffix, in canonical order, so every node key stays unique and deterministic.
            var plain = $"{record.SourceName}:{record.SourceReference}";
            var occurrence = seen[plain] = seen.GetValueOrDefault(plain) + 1;
            nodes.Add(new RecordNode(nodes.Count, record, key, occurrence == 1 ? plain : $"{plain}#{occurrence}") { Rejection = record.Rejection ?? (record.Resource is null ? new SourceRejection(HealthRecordErrorCode.InvalidResource, "The reader produced no resource.") : null) });
        }

        return nodes;
    }

    private void Validate(List<RecordNode> nodes)
    {
        foreach (var node in nodes)
        {
            if (node.Resource is not { } resource)
            {
                continue;
            }

            var failures = _validators.SelectMany(v => v.Validate(resource).Errors).Select(e => e.ErrorMessage).Distinct(StringComparer.Ordinal).ToList();
            if (failures.Count > 0)
            {
                node.Rejection = new SourceRejection(HealthRecordErrorCode.MissingRequiredData, string.Join(" ", failures));
            }
        }
    }

    private static void ResolveReferences(List<RecordNode> nodes)
    {
        foreach (var source in nodes.GroupBy(n => n.Record.SourceName, StringComparer.Ordinal))
        {
            var index = new SourceIndex(nodes, source.Select(n => n.Index));
            foreach (var node in source)
            {
                if (node.Record.Resource is not { } original)
                {
                    continue;
                }

                // The subject of a rejected record is still looked up, so its lineage row can name its person.
                if (node.Rejection is not null)
                {
                    if (PatientCompartment.SubjectOf(original)?.Reference is { } subject && index.Resolve(node, subject) is { } p && nodes[p].Resource is Patient)
                    {
                        node.PatientNode = p;
                    }

                    continue;
                }

                node.References = [.. ResourceReferences.Enumerate(node.Resource!)];
                foreach (var (element, reference) in node.References)
                {
                    var text = reference.Reference;
                    if (string.IsNullOrEmpty(text) || text.StartsWith('#'))
                    {
                        continue;
                    }

                    var target = index.Resolve(node, text);
                    if (target is { } t && nodes[t].Resource is not null)
                    {
                        reference.Reference = NodeScheme + t.ToString(CultureInfo.InvariantCulture);
                        node.Targets.Add(t);
                    }
                    else if (target is null && IsPatientSubject(node.Resource!, reference) && ResourceReferences.TryParseTypeAndId(text, out var subjectType, out _) && subjectType == "Patient")
                    {
                        // The source names its patient without including the Patient (a server export made in a
                        // patient's context). Left as it is here; AssignPersons decides whether the person is known.
                        node.PendingSubject = reference;
                    }
                    else
                    {
                        var why = target is null ? "does not resolve to any record of the source" : "points at a rejected record";
                        node.Issues.Add(new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.UnresolvedReference, node.Record.SourceName, node.Record.Location,
                            $"{node.Record.ResourceType}.{element} reference '{text}' {why}; the link was removed."));
                        Unlink(reference, text, node.Record.SourceName);
                    }
                }
            }
        }
    }

    // A reference the EHR cannot follow keeps what it says (display, identifier) but loses the dangling link.
    internal static void Unlink(ResourceReference reference, string original, string sourceName)
    {
        reference.Reference = null;
        if (string.IsNullOrEmpty(reference.Display) && reference.Identifier is null)
        {
            reference.Display = $"{original} (not available from {sourceName})";
        }
    }

    private static void AttributeSubjects(List<RecordNode> nodes)
    {
        foreach (var node in nodes)
        {
            if (node.Resource is not { } resource || !PatientCompartment.IsPatientRecord(resource.TypeName))
            {
                continue;
            }

            var subject = PatientCompartment.SubjectOf(resource);
            if (subject?.Reference is { } r && TryParseNode(r, out var target) && nodes[target].Resource is Patient)
            {
                node.PatientNode = target;
            }
            else if (node.PendingSubject is null)
            {
                var element = PatientCompartment.SubjectElement(resource.TypeName);
                node.Rejection = new SourceRejection(HealthRecordErrorCode.UnresolvedReference,
                    $"{resource.TypeName}.{element} does not resolve to a Patient of source '{node.Record.SourceName}': the record cannot be attributed to a person.");
            }
        }
    }

    private static bool IsPatientSubject(Resource resource, ResourceReference reference) =>
        ReferenceEquals(PatientCompartment.SubjectOf(resource), reference);

    // Records whose source names a patient it does not include: when the source has no Patient at all and the
    // aggregation has exactly one person, they are that person's (the warning says so); otherwise they are rejected.
    private static void AttributePendingSubjects(List<RecordNode> nodes, List<PersonSlot> persons)
    {
        var warned = new HashSet<(string, string)>();
        var sourcesWithPatients = nodes.Where(n => n.Resource is Patient).Select(n => n.Record.SourceName).ToHashSet(StringComparer.Ordinal);
        foreach (var node in nodes.Where(n => n.PendingSubject is not null && n.Rejection is null))
        {
            var subject = node.PendingSubject!;
            var text = subject.Reference ?? "";

            // Only a source that carries no Patient at all is taken as exported in its patient's context;
            // a source with Patients that names another one is simply inconsistent.
            if (persons.Count == 1 && !sourcesWithPatients.Contains(node.Record.SourceName))
            {
                var patientNode = persons[0].PatientNodes[0];
                subject.Reference = NodeScheme + patientNode.ToString(CultureInfo.InvariantCulture);
                node.PatientNode = patientNode;
                node.Targets.Add(patientNode);
                node.Persons.Add(0);
                if (warned.Add((node.Record.SourceName, text)))
                {
                    node.Issues.Add(new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.UnresolvedReference, node.Record.SourceName, node.Record.Location,
                        $"Source '{node.Record.SourceName}' names its patient '{text}' without including that Patient; its records were taken as the only person of this aggregation."));
                }
            }
            else
            {
                var element = PatientCompartment.SubjectElement(node.Record.ResourceType);
                node.Rejection = new SourceRejection(HealthRecordErrorCode.UnresolvedReference,
                    $"{node.Record.ResourceType}.{element} '{text}' does not resolve to a Patient of source '{node.Record.SourceName}': the record cannot be attributed to a person.");
                Unlink(subject, text, node.Record.SourceName);
            }
        }
    }

    internal static bool TryParseNode(string reference, out int index)
    {
        index = -1;
        return reference.StartsWith(NodeScheme, StringComparison.Ordinal)
            && int.TryParse(reference.AsSpan(NodeScheme.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    private static List<PersonSlot> AssignPersons(List<RecordNode> nodes, PatientLinkResult link)
    {
        var byKey = nodes.Where(n => n.Resource is Patient).ToDictionary(n => n.Key, n => n.Index, StringComparer.Ordinal);
        var persons = link.Persons
            .Select(keys => keys.Where(byKey.ContainsKey).Select(k => byKey[k]).Order().ToList())
            .Where(g => g.Count > 0)
            .Select(g => new PersonSlot(EhrIds.From("person", nodes[g[0]].Key), g))
            .OrderBy(p => p.PersonId, StringComparer.Ordinal)
            .ToList();

        var unlinked = byKey.Values.Except(persons.SelectMany(p => p.PatientNodes)).Order().ToList();
        foreach (var u in unlinked)
        {
            // A matcher that forgets a candidate must not make its records vanish: it becomes a person of its own.
            persons.Add(new PersonSlot(EhrIds.From("person", nodes[u].Key), [u]));
        }

        persons.Sort((a, b) => string.CompareOrdinal(a.PersonId, b.PersonId));
        for (var p = 0; p < persons.Count; p++)
        {
            foreach (var n in persons[p].PatientNodes)
            {
                nodes[n].Persons.Add(p);
            }
        }

        AttributePendingSubjects(nodes, persons);

        // Patient records go with their patient, valid or not.
        foreach (var node in nodes)
        {
            if (node.PatientNode is { } pn)
            {
                foreach (var p in nodes[pn].Persons)
                {
                    node.Persons.Add(p);
                }
            }
        }

        // Shared reference data (practitioners, organisations, locations, medications) joins every
        // person whose records reach it.
        for (var p = 0; p < persons.Count; p++)
        {
            var queue = new Queue<int>(nodes.Where(n => n.Resource is not null && n.Persons.Contains(p)).Select(n => n.Index));
            while (queue.Count > 0)
            {
                foreach (var t in nodes[queue.Dequeue()].Targets)
                {
                    var target = nodes[t];
                    if (target.Resource is not null && !PatientCompartment.IsPatientRecord(target.Record.ResourceType) && target.Resource is not Patient && target.Persons.Add(p))
                    {
                        queue.Enqueue(t);
                    }
                }
            }
        }

        // Records that point at a person's records (a source Provenance, a List) belong with them.
        foreach (var node in nodes.Where(n => n.Resource is not null && n.Persons.Count == 0))
        {
            foreach (var t in node.Targets)
            {
                foreach (var p in nodes[t].Persons)
                {
                    node.Persons.Add(p);
                }
            }
        }

        // Reference data no record points at still belongs to the persons its document is about
        // (a C-CDA document, a per-patient bundle).
        var personsByDocument = nodes.Where(n => n.Resource is not null && n.Persons.Count > 0 && n.Record.DocumentId is not null)
            .GroupBy(n => (n.Record.SourceName, n.Record.DocumentId!))
            .ToDictionary(g => g.Key, g => g.SelectMany(n => n.Persons).Distinct().Order().ToList());
        foreach (var node in nodes.Where(n => n.Resource is not null && n.Persons.Count == 0 && n.Record.DocumentId is not null))
        {
            if (personsByDocument.TryGetValue((node.Record.SourceName, node.Record.DocumentId!), out var documentPersons))
            {
                foreach (var p in documentPersons)
                {
                    node.Persons.Add(p);
                }
            }
        }

        foreach (var node in nodes.Where(n => n.Persons.Count == 0))
        {
            if (persons.Count == 1)
            {
                // With one person, everything read belongs to their record.
                node.Persons.Add(0);
            }
            else if (node.Rejection is null)
            {
                node.Rejection = new SourceRejection(HealthRecordErrorCode.UnattributedRecord,
                    persons.Count == 0
                        ? "No Patient was read from any source, so the record belongs to no EHR."
                        : "No record of any person refers to it, and there are several persons: it cannot be attributed.");
            }
        }

        return persons;
    }

    private EhrAggregate BuildEhr(PersonSlot person, int personIndex, List<RecordNode> nodes, IMergePolicy? policyOverride, ClusterOverrides overrides)
    {
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.build_ehr");
        var members = nodes.Where(n => n.Persons.Contains(personIndex)).ToList();
        var accepted = members.Where(n => n.Resource is not null).ToList();
        var ranks = SourceRanks(accepted.Select(n => n.Record.SourceName));
        var ehrRefByNode = new Dictionary<int, (string Type, string Id)>();
        var lineage = new List<LineageEntry>();
        var conflicts = new List<EhrConflict>();
        var built = new List<(int[] Members, Resource Resource, string Rule, string Policy)>();

        // The golden Patient: every linked source Patient, combined by the Patient policy.
        var patientPolicy = policyOverride is { CombinesDuplicates: true } ? policyOverride : _merge.PolicyFor("Patient");
        if (!patientPolicy.CombinesDuplicates)
        {
            patientPolicy = MergePolicies.SourcePriority();
        }

        var patientNodes = person.PatientNodes.ToArray();
        foreach (var n in patientNodes)
        {
            ehrRefByNode[n] = ("Patient", person.PersonId);
        }

        var patientMerge = Combine("Patient", patientNodes, nodes, ranks, patientPolicy);
        patientMerge.Resource.Id = person.PersonId;
        built.Add((patientNodes, patientMerge.Resource, patientNodes.Length > 1 ? $"identity linking; {patientMerge.Explanation}" : "only copy", patientPolicy.Name));
        AddConflicts(conflicts, "Patient/" + person.PersonId, patientMerge, patientNodes, nodes, patientPolicy);

        foreach (var group in accepted.Where(n => n.Resource is not Patient).GroupBy(n => n.Record.ResourceType, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var type = group.Key;
            var policy = policyOverride ?? _merge.PolicyFor(type);
            var list = group.ToList();
            var candidates = list.Select(n => new MatchCandidate(n.Record.SourceName, n.Record.SourceReference, n.Resource!, r => ContentFingerprint.Compute(r, rr => TargetType(rr, nodes)),
                rr => rr.Reference is { } text && TryParseNode(text, out var t) ? nodes[t].Resource : null, n.Record.DocumentId)).ToList();
            var matcher = MatcherFor(type);
            var clusters = policy.CombinesDuplicates
                ? DuplicateClusterer.Cluster(candidates, matcher, _options.MaxBlockSize, (size, cut) => Log.BlockTooLarge(_logger, type, size, cut), overrides.KeepApart, overrides.KeepTogether)
                : new ClusterResult(list.Select((_, i) => (IReadOnlyList<int>)[i]).ToList(), []);
            foreach (var cluster in clusters.Clusters)
            {
                var clusterNodes = cluster.Select(i => list[i].Index).ToArray();
                var first = nodes[clusterNodes[0]];
                // The first member (canonical order) names the record, so its id survives content updates at the source.
                var id = EhrIds.From(person.PersonId, type, first.Key);
                foreach (var n in clusterNodes)
                {
                    ehrRefByNode[n] = (type, id);
                }

                MergeResult merge;
                string rule;
                if (clusterNodes.Length == 1)
                {
                    merge = new MergeResult(first.TakeForEhr(), 0, [], "only copy");
                    rule = "only copy";
                }
                else
                {
                    merge = Combine(type, clusterNodes, nodes, ranks, policy);
                    var evidence = clusters.Matches.Where(m => cluster.Contains(m.Left)).Select(m => $"{m.Match.Rule} ({m.Match.Evidence})").Distinct(StringComparer.Ordinal);
                    rule = $"{string.Join("; ", evidence)}; {merge.Explanation}";
                    AddConflicts(conflicts, $"{type}/{id}", merge, clusterNodes, nodes, policy);
                }

                merge.Resource.Id = id;
                built.Add((clusterNodes, merge.Resource, rule, policy.Name));
            }
        }

        var issues = new List<EhrIssue>(members.SelectMany(n => n.Issues));
        foreach (var (memberNodes, resource, _, _) in built)
        {
            var working = memberNodes.Length == 1 && nodes[memberNodes[0]] is { References: { } known } node && node.IsWorkingCopy(resource) ? known : null;
            RewriteReferences(resource, working ?? ResourceReferences.Enumerate(resource), nodes, ehrRefByNode, issues);
        }

        var asOf = accepted.Select(n => ClinicalDates.LastUpdated(n.Resource!) ?? ClinicalDates.Of(n.Resource!)).Where(d => d is not null).DefaultIfEmpty().Max();
        conflicts.Sort(static (a, b) => CompareFields(a.EhrResource, b.EhrResource, a.Element, b.Element));
        var records = new List<EhrRecord>();
        var provenance = new List<Provenance>();
        Patient? golden = null;
        foreach (var (memberNodes, resource, rule, policyName) in built)
        {
            var sources = memberNodes.Select(i => new SourceRecordRef(nodes[i].Record.SourceName, nodes[i].Record.SourceReference, nodes[i].Record.Location)).ToList();
            var ehrRef = $"{resource.TypeName}/{resource.Id}";
            var action = memberNodes.Length > 1 ? LineageAction.Merged : LineageAction.Kept;
            foreach (var s in sources)
            {
                lineage.Add(new LineageEntry(person.PersonId, s.SourceName, s.SourceResource, ehrRef, action, rule));
            }

            provenance.Add(ProvenanceFor(resource, sources, policyName, rule, asOf, conflicts.Where(c => c.EhrResource == ehrRef)));
            if (resource is Patient p && p.Id == person.PersonId)
            {
                golden = p;
            }
            else
            {
                records.Add(new EhrRecord(resource, sources, rule));
            }
        }

        foreach (var n in members.Where(n => n.Rejection is not null))
        {
            lineage.Add(new LineageEntry(person.PersonId, n.Record.SourceName, n.Record.SourceReference, null, LineageAction.Rejected, n.Rejection!.Reason));
            issues.Add(new EhrIssue(IssueSeverity.Error, n.Rejection.Code, n.Record.SourceName, n.Record.Location, n.Rejection.Reason));
        }

        // Sort keys are compared field by field: building them in the comparer allocated two strings per comparison.
        records.Sort(static (a, b) => CompareFields(a.Resource.TypeName, b.Resource.TypeName, a.Resource.Id, b.Resource.Id));
        provenance.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        lineage.Sort(static (a, b) => CompareFields(a.SourceName, b.SourceName, a.SourceResource, b.SourceResource, a.EhrResource ?? "", b.EhrResource ?? ""));

        return new EhrAggregate
        {
            PersonId = person.PersonId,
            Patient = golden!,
            Records = records,
            Provenance = provenance,
            Lineage = lineage,
            Conflicts = conflicts,
            Issues = issues,
            Sources = accepted.Select(n => n.Record.SourceName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            LinkedPatients = patientNodes.Select(i => new SourceRecordRef(nodes[i].Record.SourceName, nodes[i].Record.SourceReference, nodes[i].Record.Location)).ToList(),
            AsOf = asOf,
        };
    }

    // Split requests of this run plus the reviewers' standing decisions (IMergeReview).
    private async Task<ClusterOverrides> ClusterOverridesAsync(IReadOnlyList<IReadOnlyCollection<string>> keepApart, List<EhrIssue> issues, CancellationToken cancellationToken)
    {
        var decisions = _mergeReview is null ? [] : await _mergeReview.GetOverridesAsync(cancellationToken).ConfigureAwait(false);
        var apart = keepApart.Concat(decisions.Where(d => d.Kind == MergeOverrideKind.NeverMerge).Select(d => (IReadOnlyCollection<string>)d.Records)).ToList();
        var together = new List<(IReadOnlyCollection<string>, string)>();
        foreach (var d in decisions.Where(d => d.Kind == MergeOverrideKind.AlwaysMerge))
        {
            var types = d.Records.Select(k => MergeOverride.TryParseKey(k, out _, out var type) ? type : "").Distinct(StringComparer.Ordinal).ToList();
            if (types.Count > 1)
            {
                issues.Add(new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.InvalidConfiguration, "", string.Join(", ", d.Records),
                    $"An always-merge decision names records of different types ({string.Join(", ", types)}); one EHR record has one type, so it is not applied."));
                continue;
            }

            together.Add((d.Records, "always merge (manual decision)" + (d.Reason is null ? "" : ": " + d.Reason)));
        }

        return new ClusterOverrides(apart, together);
    }

    private sealed record ClusterOverrides(IReadOnlyList<IReadOnlyCollection<string>> KeepApart, IReadOnlyList<(IReadOnlyCollection<string> Keys, string Reason)> KeepTogether);

    private static int CompareFields(string? a1, string? b1, string? a2, string? b2, string? a3 = null, string? b3 = null)
    {
        var c = string.CompareOrdinal(a1, b1);
        if (c == 0)
        {
            c = string.CompareOrdinal(a2, b2);
        }

        return c == 0 ? string.CompareOrdinal(a3, b3) : c;
    }

    private static MergeResult Combine(string type, int[] clusterNodes, List<RecordNode> nodes, IReadOnlyDictionary<string, int> ranks, IMergePolicy policy)
    {
        if (clusterNodes.Length == 1)
        {
            return new MergeResult(nodes[clusterNodes[0]].TakeForEhr(), 0, [], "only copy");
        }

        var members = clusterNodes.Select(i => new MergeMember(nodes[i].Record.SourceName, nodes[i].Record.SourceReference, nodes[i].Resource!, ranks[nodes[i].Record.SourceName])).ToList();
        return policy.Merge(new MergeCluster(type, members));
    }

    private static void AddConflicts(List<EhrConflict> conflicts, string ehrRef, MergeResult merge, int[] clusterNodes, List<RecordNode> nodes, IMergePolicy policy)
    {
        foreach (var c in merge.Conflicts)
        {
            conflicts.Add(new EhrConflict(ehrRef, c.Element, c.ChosenValue, c.ChosenFrom, c.Alternatives, policy.Name));
        }
    }

    private IReadOnlyDictionary<string, int> SourceRanks(IEnumerable<string> sourceNames)
    {
        var names = sourceNames.Distinct(StringComparer.Ordinal).ToList();
        var ranked = _options.SourcePriority.Where(names.Contains).Concat(names.Except(_options.SourcePriority).Order(StringComparer.Ordinal)).ToList();
        return ranked.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
    }

    // A host's matchers come first (type-specific, then catch-all); then the built-in clinical matcher for its types; then exact duplicates.
    private IRecordMatcher MatcherFor(string type) =>
        _matchers.LastOrDefault(m => m is not ClinicalRecordMatcher && m.ResourceTypes.Contains(type))
        ?? _matchers.LastOrDefault(m => m is not ClinicalRecordMatcher && m.ResourceTypes.Count == 0)
        ?? (_clinical.ResourceTypes.Contains(type) ? _clinical : _exact);

    private static string? TargetType(ResourceReference reference, List<RecordNode> nodes) =>
        reference.Reference is { } r && TryParseNode(r, out var i) ? nodes[i].Record.ResourceType : null;

    private static void RewriteReferences(Resource resource, IEnumerable<(string Element, ResourceReference Reference)> references, List<RecordNode> nodes,
        Dictionary<int, (string Type, string Id)> ehrRefByNode, List<EhrIssue> issues)
    {
        foreach (var (element, reference) in references)
        {
            if (reference.Reference is not { } text || !TryParseNode(text, out var target))
            {
                continue;
            }

            if (ehrRefByNode.TryGetValue(target, out var ehr))
            {
                reference.Reference = EhrIds.FullUrl(ehr.Id);
                reference.Type = ehr.Type;
            }
            else
            {
                // The target belongs to another person (or none): the link must not cross EHRs.
                var original = nodes[target].Record;
                issues.Add(new EhrIssue(IssueSeverity.Warning, HealthRecordErrorCode.UnresolvedReference, original.SourceName, $"{resource.TypeName}/{resource.Id}.{element}",
                    $"The reference to {original.SourceReference} points outside this person's EHR; the link was removed."));
                Unlink(reference, original.SourceReference, original.SourceName);
            }
        }
    }

    private static Provenance ProvenanceFor(Resource target, IReadOnlyList<SourceRecordRef> sources, string policyName, string rule, DateTimeOffset? asOf, IEnumerable<EhrConflict> conflicts)
    {
        var provenance = new Provenance
        {
            Id = EhrIds.From("provenance", target.TypeName, target.Id!),
            Target = [new ResourceReference(EhrIds.FullUrl(target.Id!)) { Type = target.TypeName }],
            Recorded = asOf ?? DateTimeOffset.UnixEpoch,
            Policy = [$"urn:healthrecord-sdk:merge-policy:{policyName}"],
            Activity = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE", "create")
            {
                Text = sources.Count > 1 ? $"Merged {sources.Count} source records: {rule}" : "Taken from one source record",
            },
            Agent =
            [
                new Provenance.AgentComponent
                {
                    Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler"),
                    Who = new ResourceReference { Display = "HealthRecord.Sdk" },
                },
            ],
        };
        foreach (var conflict in conflicts)
        {
            provenance.AddExtension(EhrProvenanceExtensions.ConflictUrl, new FhirString(EhrProvenanceExtensions.Describe(conflict)));
        }

        foreach (var s in sources)
        {
            provenance.Entity.Add(new Provenance.EntityComponent
            {
                Role = Provenance.ProvenanceEntityRole.Source,
                What = new ResourceReference
                {
                    Identifier = new Identifier(EhrIds.SourceSystemPrefix + s.SourceName, s.SourceResource),
                    Display = $"{s.SourceName}: {s.SourceResource}",
                },
            });
        }

        return provenance;
    }

    // A person already in the store keeps their id when they come back with more or fewer sources.
    private async System.Threading.Tasks.Task ContinueStoredPersonsAsync(List<PersonSlot> persons, List<RecordNode> nodes, CancellationToken cancellationToken)
    {
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var person in persons)
        {
            var keys = person.PatientNodes.Select(n => nodes[n].Key).ToList();
            var stored = await _store.FindPersonAsync(keys, cancellationToken).ConfigureAwait(false);
            if (stored is not null && claimed.Add(stored))
            {
                person.PersonId = stored;
            }
            else
            {
                claimed.Add(person.PersonId);
            }
        }
    }

    private sealed class PersonSlot(string personId, List<int> patientNodes)
    {
        public string PersonId { get; set; } = personId;

        public List<int> PatientNodes { get; } = patientNodes;
    }
}
