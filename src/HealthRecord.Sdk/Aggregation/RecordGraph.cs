using System.Globalization;
using FluentValidation;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Stage 2, the record graph: the records of one aggregation in canonical order, validated, with every
/// reference resolved inside its source (rewritten to <see cref="NodeScheme"/> node references) and every
/// patient record tied to the Patient of its source when the source includes it.
/// </summary>
/// <remarks>Works on copies of the resources; the source records are never changed.</remarks>
internal sealed class RecordGraph
{
    /// <summary>The scheme of node references inside the graph: <c>urn:hr-node:{index}</c>.</summary>
    internal const string NodeScheme = "urn:hr-node:";

    private RecordGraph(List<RecordNode> nodes) => Nodes = nodes;

    /// <summary>The records, in canonical order (node index = position).</summary>
    public List<RecordNode> Nodes { get; }

    /// <summary>Builds the graph: canonical order, validation, reference resolution, subjects.</summary>
    /// <param name="records">The records read.</param>
    /// <param name="validators">The record validators.</param>
    /// <returns>The graph.</returns>
    public static RecordGraph Build(IReadOnlyList<SourceRecord> records, IReadOnlyList<IValidator<Resource>> validators)
    {
        var graph = new RecordGraph(CanonicalNodes(records));
        graph.Validate(validators);
        graph.ResolveReferences();
        graph.AttributeSubjects();
        return graph;
    }

    /// <summary>Whether a reference is a node reference, and to which node.</summary>
    internal static bool TryParseNode(string reference, out int index)
    {
        index = -1;
        return reference.StartsWith(NodeScheme, StringComparison.Ordinal)
            && int.TryParse(reference.AsSpan(NodeScheme.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>The node reference of a node.</summary>
    internal static string NodeReference(int index) => NodeScheme + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>A reference the EHR cannot follow keeps what it says (display, identifier) but loses the dangling link.</summary>
    internal static void Unlink(ResourceReference reference, string original, string sourceName)
    {
        reference.Reference = null;
        if (string.IsNullOrEmpty(reference.Display) && reference.Identifier is null)
        {
            reference.Display = $"{original} (not available from {sourceName})";
        }
    }

    /// <summary>The resource type a node reference points at.</summary>
    internal string? TargetType(ResourceReference reference) =>
        reference.Reference is { } r && TryParseNode(r, out var i) ? Nodes[i].Record.ResourceType : null;

    /// <summary>The working resource a node reference points at.</summary>
    internal Resource? Resolve(ResourceReference reference) =>
        reference.Reference is { } text && TryParseNode(text, out var t) ? Nodes[t].Resource : null;

    private static List<RecordNode> CanonicalNodes(IReadOnlyList<SourceRecord> records)
    {
        // Canonical order: every later loop runs in it, so results never depend on read order.
        var sorted = records.OrderBy(r => r, CanonicalOrder.Instance).ToList();
        var nodes = new List<RecordNode>(sorted.Count);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in sorted)
        {
            // A source may hold one Type/id twice (the same file twice, a re-sent message): later copies get
            // an occurrence suffix, in canonical order, so every node key stays unique and deterministic.
            var plain = RecordKey.Of(record).ToString();
            var occurrence = seen[plain] = seen.GetValueOrDefault(plain) + 1;
            nodes.Add(new RecordNode(nodes.Count, record, occurrence == 1 ? plain : $"{plain}#{occurrence}")
            {
                Rejection = record.Rejection ?? (record.Resource is null ? new SourceRejection(HealthRecordErrorCode.InvalidResource, "The reader produced no resource.") : null),
            });
        }

        return nodes;
    }

    /// <summary>
    /// The canonical order: the ordinal order of <c>source␟type␟id␟location</c> (fields joined by U+001F), compared
    /// field by field instead of building that text for every record. Where one field is a prefix of the other, the
    /// joined texts differ at the separator, which is what <see cref="CompareField"/> compares.
    /// </summary>
    internal sealed class CanonicalOrder : IComparer<SourceRecord>
    {
        private const char Separator = '\u001f';

        public static CanonicalOrder Instance { get; } = new();

        public int Compare(SourceRecord? x, SourceRecord? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }

            var c = CompareField(x.SourceName, y.SourceName);
            if (c == 0)
            {
                c = CompareField(x.ResourceType, y.ResourceType);
            }

            if (c == 0)
            {
                c = CompareField(x.ResourceId, y.ResourceId);
            }

            if (c == int.MaxValue)
            {
                return Joined(x, y);
            }

            return c != 0 ? c : string.CompareOrdinal(x.Location ?? "", y.Location ?? "");
        }

        // Negative, zero or positive as the joined texts compare at this field; int.MaxValue when the longer field
        // holds the separator itself right after the shorter one (then only the joined texts can tell).
        private static int CompareField(string? a, string? b)
        {
            a ??= "";
            b ??= "";
            var n = Math.Min(a.Length, b.Length);
            var c = a.AsSpan(0, n).SequenceCompareTo(b.AsSpan(0, n));
            if (c != 0 || a.Length == b.Length)
            {
                return c;
            }

            var next = a.Length > n ? a[n] : b[n];
            if (next == Separator)
            {
                return int.MaxValue;
            }

            return a.Length > n ? next.CompareTo(Separator) : Separator.CompareTo(next);
        }

        private static int Joined(SourceRecord x, SourceRecord y) =>
            string.CompareOrdinal(string.Join(Separator, x.SourceName, x.ResourceType, x.ResourceId, x.Location), string.Join(Separator, y.SourceName, y.ResourceType, y.ResourceId, y.Location));
    }

    private void Validate(IReadOnlyList<IValidator<Resource>> validators)
    {
        foreach (var node in Nodes)
        {
            if (node.Resource is not { } resource)
            {
                continue;
            }

            // Distinct messages in the order found; nothing is allocated for a record that passes.
            List<string>? failures = null;
            foreach (var validator in validators)
            {
                foreach (var error in validator.Validate(resource).Errors)
                {
                    failures ??= [];
                    if (!failures.Contains(error.ErrorMessage, StringComparer.Ordinal))
                    {
                        failures.Add(error.ErrorMessage);
                    }
                }
            }

            if (failures is not null)
            {
                node.Rejection = new SourceRejection(HealthRecordErrorCode.MissingRequiredData, string.Join(" ", failures));
            }
        }
    }

    private void ResolveReferences()
    {
        var nodes = Nodes;
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
                        reference.Reference = NodeReference(t);
                        node.Targets.Add(t);
                    }
                    else if (target is null && ReferenceEquals(PatientCompartment.SubjectOf(node.Resource!), reference)
                        && ResourceReferences.TryParseTypeAndId(text, out var subjectType, out _) && subjectType == "Patient")
                    {
                        // The source names its patient without including the Patient (a server export made in a
                        // patient's context). Left as it is here; person assignment decides whether the person is known.
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

    private void AttributeSubjects()
    {
        foreach (var node in Nodes)
        {
            if (node.Resource is not { } resource || !PatientCompartment.IsPatientRecord(resource.TypeName))
            {
                continue;
            }

            var subject = PatientCompartment.SubjectOf(resource);
            if (subject?.Reference is { } r && TryParseNode(r, out var target) && Nodes[target].Resource is Patient)
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
}
