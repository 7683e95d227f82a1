using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Stage 3, person assignment: links the Patient records into persons (identity linking), lets persons
/// already in the store keep their ids, and attributes every other record of the graph to the persons
/// whose records it belongs to or reaches — only on evidence: a record that names a patient its source does
/// not include joins a person only when the host declared the source's person (<see cref="SourceRequest.Patient"/>).
/// </summary>
internal static class PersonAssignment
{
    /// <summary>The Patient records of a graph as identity-linking candidates.</summary>
    public static List<PatientCandidate> Candidates(RecordGraph graph) =>
        graph.Nodes.Where(n => n.Resource is Patient).Select(n => new PatientCandidate(n.Key, n.Record.SourceName, (Patient)n.Resource!)).ToList();

    /// <summary>Turns the linker's groups into persons, ordered by person id; a Patient the linker forgot is a person of its own.</summary>
    public static List<PersonSlot> Persons(RecordGraph graph, PatientLinkResult link) =>
        Persons(graph.Nodes.Select(n => n.Resource is Patient ? n.Key : null).ToList(), link);

    /// <summary>
    /// Turns the linker's groups into persons, ordered by person id, given per node (canonical index) the key of the accepted
    /// Patient it is (<see langword="null"/> for any other node): a population run's first pass keeps only these keys.
    /// </summary>
    public static List<PersonSlot> Persons(IReadOnlyList<string?> patientKeys, PatientLinkResult link)
    {
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < patientKeys.Count; i++)
        {
            if (patientKeys[i] is { } key)
            {
                byKey.Add(key, i);
            }
        }

        var persons = link.Persons
            .Select(keys => keys.Where(byKey.ContainsKey).Select(k => byKey[k]).Order().ToList())
            .Where(g => g.Count > 0)
            .Select(g => new PersonSlot(EhrIds.From("person", patientKeys[g[0]]!), g))
            .ToList();

        var unlinked = byKey.Values.Except(persons.SelectMany(p => p.PatientNodes)).Order().ToList();
        foreach (var u in unlinked)
        {
            // A matcher that forgets a candidate must not make its records vanish: it becomes a person of its own.
            persons.Add(new PersonSlot(EhrIds.From("person", patientKeys[u]!), [u]));
        }

        persons.Sort((a, b) => string.CompareOrdinal(a.PersonId, b.PersonId));
        return persons;
    }

    /// <summary>
    /// A person already in the store keeps their id when they come back with more or fewer sources, or with their
    /// sources named differently: first by source patient key (<see cref="IEhrStore.FindPersonAsync"/>), then, when no
    /// stored person claims any of the person's Patients and the store keeps an identity index
    /// (<see cref="IPersonIdentityIndex"/>), by identity evidence: the stored persons sharing identifying keys with the
    /// person are compared with <paramref name="matcher"/>, and only a match reuses one (a possible link goes to the
    /// link review queue, as the matcher submits it, and the person stays new).
    /// </summary>
    /// <param name="persons">The persons.</param>
    /// <param name="graph">The record graph.</param>
    /// <param name="store">The store.</param>
    /// <param name="matcher">The identity linker of the run (a <see cref="SinglePersonMatcher"/> says nothing about the store's other
    /// persons, so the default probabilistic matcher compares with them then).</param>
    /// <param name="claimed">Stored ids already taken in this run (shared by the parts of a person-by-person run).</param>
    /// <param name="cancellationToken">Cancels the look-ups.</param>
    public static async System.Threading.Tasks.Task ContinueStoredPersonsAsync(List<PersonSlot> persons, RecordGraph graph, IEhrStore store, IPatientMatcher matcher, HashSet<string> claimed, CancellationToken cancellationToken)
    {
        foreach (var person in persons)
        {
            var keys = person.PatientNodes.Select(n => graph.Nodes[n].Key).ToList();
            var stored = await store.FindPersonAsync(keys, cancellationToken).ConfigureAwait(false);
            if (stored is null && store is IPersonIdentityIndex index)
            {
                stored = await FindByIdentityAsync(person, graph, index, matcher, claimed, cancellationToken).ConfigureAwait(false);
            }

            lock (claimed)
            {
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
    }

    // The stored person the matcher links with the person's Patients, among those sharing identifying keys (StoredPersonLookup).
    private static System.Threading.Tasks.Task<string?> FindByIdentityAsync(PersonSlot person, RecordGraph graph, IPersonIdentityIndex index, IPatientMatcher matcher, HashSet<string> claimed, CancellationToken cancellationToken)
    {
        var own = person.PatientNodes.Select(n => graph.Nodes[n]).Where(n => n.Resource is Patient)
            .Select(n => new PatientCandidate(n.Key, n.Record.SourceName, (Patient)n.Resource!)).ToList();
        return StoredPersonLookup.FindAsync(index, matcher, own, id =>
        {
            lock (claimed)
            {
                return claimed.Contains(id);
            }
        }, cancellationToken);
    }

    /// <summary>Attributes every record of the graph to persons (<see cref="RecordNode.Persons"/>, by index into <paramref name="persons"/>).</summary>
    /// <param name="graph">The record graph.</param>
    /// <param name="persons">The persons, in their final order.</param>
    /// <param name="declaredPatients">Per source name, the person the host declared for it (<see cref="SourceRequest.Patient"/>).</param>
    /// <param name="populationPersons">Persons in the whole run when the graph holds a part of it (person by person); else <paramref name="persons"/>' count.</param>
    public static void Attribute(RecordGraph graph, List<PersonSlot> persons, IReadOnlyDictionary<string, string> declaredPatients, int? populationPersons = null)
    {
        var onlyOnePerson = persons.Count == 1 && (populationPersons ?? 1) == 1;
        var nodes = graph.Nodes;
        for (var p = 0; p < persons.Count; p++)
        {
            foreach (var n in persons[p].PatientNodes)
            {
                nodes[n].Persons.Add(p);
            }
        }

        var strangers = AttributePendingSubjects(nodes, declaredPatients);

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
            if (onlyOnePerson && !strangers.Contains(node.Record.SourceName))
            {
                // With one person, everything read belongs to their record (but never what a source about an
                // unknown patient sent: its records and the reference data that came with them stay out).
                node.Persons.Add(0);
            }
            else if (node.Rejection is null)
            {
                node.Rejection = new SourceRejection(HealthRecordErrorCode.UnattributedRecord,
                    persons.Count == 0 && (populationPersons ?? 0) == 0
                        ? "No Patient was read from any source, so the record belongs to no EHR."
                        : strangers.Contains(node.Record.SourceName)
                            ? $"Source '{node.Record.SourceName}' is about a patient that is not known here, and no record of a known person refers to it: it cannot be attributed."
                            : "No record of any person refers to it, and there are several persons: it cannot be attributed.");
            }
        }
    }

    // Records whose source names a patient it does not include join a person only on the host's declaration of the
    // source's person (a Patient record key or an identifier that finds exactly one person); otherwise they are
    // rejected, never attached to someone by elimination. Returns the sources whose patient stayed unknown.
    private static HashSet<string> AttributePendingSubjects(List<RecordNode> nodes, IReadOnlyDictionary<string, string> declaredPatients)
    {
        var strangers = new HashSet<string>(StringComparer.Ordinal);
        var sourcesWithPatients = nodes.Where(n => n.Resource is Patient).Select(n => n.Record.SourceName).ToHashSet(StringComparer.Ordinal);
        var declared = new Dictionary<string, (int? PatientNode, string? Problem)>(StringComparer.Ordinal);
        var noted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes.Where(n => n.PendingSubject is not null && n.Rejection is null))
        {
            var subject = node.PendingSubject!;
            var text = subject.Reference ?? "";
            var source = node.Record.SourceName;
            var element = PatientCompartment.SubjectElement(node.Record.ResourceType);
            string reason;
            if (sourcesWithPatients.Contains(source))
            {
                // A source with Patients that names another one is inconsistent, whatever the host declared.
                reason = $"{node.Record.ResourceType}.{element} '{text}' does not resolve to a Patient of source '{source}': the record cannot be attributed to a person.";
            }
            else if (!declaredPatients.TryGetValue(source, out var declaration))
            {
                reason = $"{node.Record.ResourceType}.{element} '{text}' names a Patient that source '{source}' does not include, and the host did not declare the source's person "
                    + "(SourceRequest.Patient, or --source NAME=PATH;patient=REF): the record stays unattributed.";
                strangers.Add(source);
            }
            else
            {
                if (!declared.TryGetValue(source, out var found))
                {
                    found = declared[source] = FindDeclared(nodes, declaration);
                }

                if (found.PatientNode is { } patientNode)
                {
                    subject.Reference = RecordGraph.NodeReference(patientNode);
                    node.PatientNode = patientNode;
                    node.Targets.Add(patientNode);
                    if (noted.Add(source))
                    {
                        node.Issues.Add(new EhrIssue(IssueSeverity.Information, HealthRecordErrorCode.UnresolvedReference, source, node.Record.Location,
                            $"Source '{source}' names its patient '{text}' without including that Patient; its records were attributed to the person the host declared ({declaration})."));
                    }

                    continue;
                }

                reason = $"{node.Record.ResourceType}.{element} '{text}' names a Patient that source '{source}' does not include, and the declared patient '{declaration}' {found.Problem}: the record stays unattributed.";
                strangers.Add(source);
            }

            node.Rejection = new SourceRejection(HealthRecordErrorCode.UnresolvedReference, reason);
            RecordGraph.Unlink(subject, text, source);
        }

        return strangers;
    }

    // A declaration is a Patient record key (source:Patient/id) or an identifier (system|value); it must find the
    // Patients of exactly one person.
    private static (int? PatientNode, string? Problem) FindDeclared(List<RecordNode> nodes, string declaration)
    {
        List<RecordNode> matches;
        if (RecordKey.TryParse(declaration, out var key))
        {
            if (key.Type != "Patient")
            {
                return (null, "is not a Patient record key");
            }

            var text = key.ToString();
            matches = nodes.Where(n => n.Resource is Patient && n.Key == text).ToList();
        }
        else if (declaration.IndexOf('|', StringComparison.Ordinal) > 0)
        {
            matches = nodes.Where(n => n.Resource is Patient p && ResourceIdentifiers.Keys(p).Contains(declaration, StringComparer.Ordinal)).ToList();
        }
        else
        {
            return (null, "is neither a Patient record key (source:Patient/id) nor an identifier (system|value)");
        }

        if (matches.Count == 0)
        {
            return (null, "matches no Patient of this aggregation");
        }

        var persons = matches.Select(m => string.Join(',', m.Persons)).Distinct(StringComparer.Ordinal).Count();
        return persons == 1 && matches[0].Persons.Count == 1 ? (matches[0].Index, null) : (null, "matches Patients of several persons");
    }
}

/// <summary>One person of an aggregation: the id and the linked Patient records (node indexes).</summary>
internal sealed class PersonSlot(string personId, List<int> patientNodes)
{
    public string PersonId { get; set; } = personId;

    public List<int> PatientNodes { get; } = patientNodes;
}
