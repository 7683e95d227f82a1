using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Splits a population run into parts that can be aggregated one after the other: each part is the documents
/// of a set of persons that share no document with any other part (per-patient files give one person per part;
/// a bulk file of many people keeps them in one part). When a document names no known person (reference data
/// alone, a source about a patient it does not include) or a host declared a source's person, the whole run is
/// one part, so attribution sees everything it needs.
/// </summary>
internal static class PopulationPlan
{
    /// <summary>A document as the first pass saw it: its source, id and the keys of the Patients it holds.</summary>
    internal sealed record DocumentPatients(string Source, string DocumentId, IReadOnlyList<string> PatientKeys)
    {
        /// <summary>Whether the first pass scanned the document (so only its Patients' warnings were reported then).</summary>
        public bool Scanned { get; init; }
    }

    /// <summary>The parts: per part, per source (in request order), the documents to read.</summary>
    /// <param name="sources">The sources, in request order.</param>
    /// <param name="documents">The documents the first pass saw, in a fixed order.</param>
    /// <param name="recordKeys">Per Patient node of the first pass (canonical index), its record key (<c>source:Patient/id</c>, no occurrence suffix).</param>
    /// <param name="persons">The persons of the first pass.</param>
    public static List<IReadOnlyList<IReadOnlySet<string>?>> Parts(IReadOnlyList<SourceRequest> sources, IEnumerable<DocumentPatients> documents, IReadOnlyList<string> recordKeys, List<PersonSlot> persons)
    {
        IReadOnlyList<IReadOnlySet<string>?> whole = sources.Select(_ => (IReadOnlySet<string>?)null).ToList();
        if (sources.Any(s => s.Patient is not null) || persons.Count == 0)
        {
            return [whole];
        }

        var personsOfKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var p = 0; p < persons.Count; p++)
        {
            foreach (var n in persons[p].PatientNodes)
            {
                var key = recordKeys[n];
                if (!personsOfKey.TryGetValue(key, out var list))
                {
                    personsOfKey[key] = list = [];
                }

                list.Add(p);
            }
        }

        var parent = Enumerable.Range(0, persons.Count).ToArray();
        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }

            return x;
        }

        var placed = new List<(DocumentPatients Document, int Person)>();
        foreach (var document in documents)
        {
            var owners = document.PatientKeys.SelectMany(k => personsOfKey.GetValueOrDefault(k) ?? []).Distinct().ToList();
            if (owners.Count == 0)
            {
                return [whole];
            }

            foreach (var o in owners.Skip(1))
            {
                var (a, b) = (Find(owners[0]), Find(o));
                if (a != b)
                {
                    parent[Math.Max(a, b)] = Math.Min(a, b);
                }
            }

            placed.Add((document, owners[0]));
        }

        var sourceIndex = sources.Select((s, i) => (s.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        return placed.GroupBy(d => Find(d.Person))
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var sets = sources.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
                foreach (var (document, _) in g)
                {
                    sets[sourceIndex[document.Source]].Add(document.DocumentId);
                }

                return (IReadOnlyList<IReadOnlySet<string>?>)sets.Select(s => (IReadOnlySet<string>?)s).ToList();
            })
            .ToList();
    }
}
