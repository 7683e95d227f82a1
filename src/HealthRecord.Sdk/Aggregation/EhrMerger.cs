using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Telemetry;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Stage 4, clustering and merging: for one person, combines the linked Patients into the golden Patient,
/// clusters each type's records into duplicates and merges every cluster into one EHR record, then points
/// every reference at EHR records. Stage 5 (<see cref="EhrLineageWriter"/>) writes Provenance and lineage.
/// </summary>
internal sealed class EhrMerger(RecordMatcherSelection matchers, MergeOptions merge, HealthRecordOptions options, ILogger logger)
{
    /// <summary>Builds the EHR of one person.</summary>
    /// <param name="graph">The record graph, attributed.</param>
    /// <param name="person">The person.</param>
    /// <param name="personIndex">The person's index in <see cref="RecordNode.Persons"/>.</param>
    /// <param name="policyOverride">A policy for every type, or <see langword="null"/> for the configured ones.</param>
    /// <param name="overrides">Split requests and reviewers' decisions.</param>
    /// <param name="keepSourceRecords">Whether to keep the person's source records on the EHR.</param>
    /// <returns>The EHR.</returns>
    public EhrAggregate Build(RecordGraph graph, PersonSlot person, int personIndex, IMergePolicy? policyOverride, ClusterOverrides overrides, bool keepSourceRecords)
    {
        using var activity = HealthRecordTelemetry.ActivitySource.StartActivity("healthrecord.build_ehr");
        var nodes = graph.Nodes;
        var members = nodes.Where(n => n.Persons.Contains(personIndex)).ToList();
        var accepted = members.Where(n => n.Resource is not null).ToList();
        var ranks = SourceRanks(accepted.Select(n => n.Record.SourceName));
        var ehrRefByNode = new Dictionary<int, (string Type, string Id)>();
        var conflicts = new List<EhrConflict>();
        var built = new List<BuiltRecord>();

        // The golden Patient: every linked source Patient, combined by the Patient policy.
        var patientPolicy = policyOverride is { CombinesDuplicates: true } ? policyOverride : merge.PolicyFor("Patient");
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
        // A placeholder (an "UNK" SSN, 000-00-0000) is not a fact about the person, even from a single copy.
        Fhir.PlaceholderValues.RemovePlaceholderIdentifiers(patientMerge.Resource);
        built.Add(new BuiltRecord(patientNodes, patientMerge.Resource, patientNodes.Length > 1 ? $"identity linking; {patientMerge.Explanation}" : "only copy", patientPolicy.Name));
        AddConflicts(conflicts, "Patient/" + person.PersonId, patientMerge, patientPolicy);

        foreach (var group in accepted.Where(n => n.Resource is not Patient).GroupBy(n => n.Record.ResourceType, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var type = group.Key;
            var policy = policyOverride ?? merge.PolicyFor(type);
            var list = group.ToList();
            var candidates = list.Select(n => new MatchCandidate(n.Record.SourceName, n.Record.SourceReference, n.Resource!, r => ContentFingerprint.Compute(r, graph.TargetType), graph.Resolve, ExportOf(n.Record.DocumentId))).ToList();
            var clusters = policy.CombinesDuplicates
                ? DuplicateClusterer.Cluster(candidates, matchers.For(type), options.MaxBlockSize, (size, cut) => Log.BlockTooLarge(logger, type, size, cut), overrides.KeepApart, overrides.KeepTogether)
                : new ClusterResult(list.Select((_, i) => (IReadOnlyList<int>)[i]).ToList(), []);
            var matchesOf = MatchesByCluster(clusters, list.Count);
            for (var c = 0; c < clusters.Clusters.Count; c++)
            {
                var cluster = clusters.Clusters[c];
                var clusterNodes = cluster.Select(i => list[i].Index).ToArray();
                var first = nodes[clusterNodes[0]];
                // The first member (canonical order) names the record, so its id survives content updates at the source.
                var id = EhrIds.From(person.PersonId, type, first.Key);
                foreach (var n in clusterNodes)
                {
                    ehrRefByNode[n] = (type, id);
                }

                MergeResult result;
                string rule;
                if (clusterNodes.Length == 1)
                {
                    result = new MergeResult(first.TakeForEhr(), 0, [], "only copy");
                    rule = "only copy";
                }
                else
                {
                    result = Combine(type, clusterNodes, nodes, ranks, policy);
                    var evidence = (matchesOf[c] ?? []).Select(m => $"{m.Match.Rule} ({m.Match.Evidence})").Distinct(StringComparer.Ordinal);
                    rule = $"{string.Join("; ", evidence)}; {result.Explanation}";
                    AddConflicts(conflicts, $"{type}/{id}", result, policy);
                }

                result.Resource.Id = id;
                built.Add(new BuiltRecord(clusterNodes, result.Resource, rule, policy.Name));
            }
        }

        var issues = new List<EhrIssue>(members.SelectMany(n => n.Issues));
        foreach (var record in built)
        {
            var working = record.Members.Length == 1 && nodes[record.Members[0]] is { References: { } known } node && node.IsWorkingCopy(record.Resource) ? known : null;
            RewriteReferences(record.Resource, working ?? ResourceReferences.Enumerate(record.Resource), nodes, ehrRefByNode, issues);
        }

        var asOf = accepted.Select(n => ClinicalDates.LastUpdated(n.Resource!) ?? ClinicalDates.Of(n.Resource!)).Where(d => d is not null).DefaultIfEmpty().Max();
        return EhrLineageWriter.Write(person, members, built, conflicts, issues, asOf, keepSourceRecords, nodes);
    }


    // The matched pairs of each cluster, in the order the clusterer reported them: one pass over the pairs instead of
    // a search of every cluster for each pair (a long history has thousands of clusters and pairs).
    private static List<MatchedPair>?[] MatchesByCluster(ClusterResult clusters, int candidates)
    {
        var clusterOf = new int[candidates];
        for (var c = 0; c < clusters.Clusters.Count; c++)
        {
            foreach (var i in clusters.Clusters[c])
            {
                clusterOf[i] = c;
            }
        }

        var matchesOf = new List<MatchedPair>?[clusters.Clusters.Count];
        foreach (var m in clusters.Matches)
        {
            (matchesOf[clusterOf[m.Left]] ??= []).Add(m);
        }

        return matchesOf;
    }

    // Which export of its source a record came from, for the same-act rule of deduplication. NDJSON files (Bulk Data
    // outputs, an $export folder) are parts of one export, split by type and size: however the server split them, they
    // are one EMR's own list. A folder of bundles or documents is several exports.
    private static string? ExportOf(string? documentId) =>
        documentId is not null && (documentId.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || documentId.EndsWith(".ndjson.gz", StringComparison.OrdinalIgnoreCase))
            ? "ndjson-export"
            : documentId;
    private static MergeResult Combine(string type, int[] clusterNodes, List<RecordNode> nodes, IReadOnlyDictionary<string, int> ranks, IMergePolicy policy)
    {
        if (clusterNodes.Length == 1)
        {
            return new MergeResult(nodes[clusterNodes[0]].TakeForEhr(), 0, [], "only copy");
        }

        var members = clusterNodes.Select(i => new MergeMember(nodes[i].Record.SourceName, nodes[i].Record.SourceReference, nodes[i].Resource!, ranks[nodes[i].Record.SourceName])).ToList();
        return policy.Merge(new MergeCluster(type, members));
    }

    private static void AddConflicts(List<EhrConflict> conflicts, string ehrRef, MergeResult merge, IMergePolicy policy)
    {
        foreach (var c in merge.Conflicts)
        {
            conflicts.Add(new EhrConflict(ehrRef, c.Element, c.ChosenValue, c.ChosenFrom, c.Alternatives, policy.Name));
        }
    }

    private Dictionary<string, int> SourceRanks(IEnumerable<string> sourceNames)
    {
        var names = sourceNames.Distinct(StringComparer.Ordinal).ToList();
        var ranked = options.SourcePriority.Where(names.Contains).Concat(names.Except(options.SourcePriority).Order(StringComparer.Ordinal)).ToList();
        return ranked.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
    }

    private static void RewriteReferences(Resource resource, IEnumerable<(string Element, ResourceReference Reference)> references, List<RecordNode> nodes,
        Dictionary<int, (string Type, string Id)> ehrRefByNode, List<EhrIssue> issues)
    {
        foreach (var (element, reference) in references)
        {
            if (reference.Reference is not { } text || !RecordGraph.TryParseNode(text, out var target))
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
                RecordGraph.Unlink(reference, original.SourceReference, original.SourceName);
            }
        }
    }
}

/// <summary>One EHR record as built: its source nodes, the resource, the rule that built it and the policy's name.</summary>
internal sealed record BuiltRecord(int[] Members, Resource Resource, string Rule, string Policy);

/// <summary>Split requests of a run plus reviewers' standing decisions (<see cref="IMergeReview"/>).</summary>
internal sealed record ClusterOverrides(IReadOnlyList<IReadOnlyCollection<string>> KeepApart, IReadOnlyList<(IReadOnlyCollection<string> Keys, string Reason)> KeepTogether)
{
    /// <summary>No overrides.</summary>
    public static ClusterOverrides None { get; } = new([], []);

    /// <summary>Reads the reviewers' decisions and adds the run's split requests.</summary>
    public static async Task<ClusterOverrides> LoadAsync(IMergeReview? review, IReadOnlyList<IReadOnlyCollection<string>> keepApart, List<EhrIssue> issues, CancellationToken cancellationToken)
    {
        var decisions = review is null ? [] : await review.GetOverridesAsync(cancellationToken).ConfigureAwait(false);
        var apart = keepApart.Concat(decisions.Where(d => d.Kind == MergeOverrideKind.NeverMerge).Select(d => (IReadOnlyCollection<string>)d.Records)).ToList();
        var together = new List<(IReadOnlyCollection<string>, string)>();
        foreach (var d in decisions.Where(d => d.Kind == MergeOverrideKind.AlwaysMerge))
        {
            var types = d.Records.Select(k => RecordKey.TryParse(k, out var key) ? key.Type : "").Distinct(StringComparer.Ordinal).ToList();
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
}
