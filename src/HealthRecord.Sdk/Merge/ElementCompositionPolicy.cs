using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Merge;

/// <summary>
/// The per-element policy (<see cref="MergePolicies.PerElement(string[])"/>): values by source priority,
/// codings, identifiers and notes united, statuses from the most recent assertion.
/// </summary>
internal sealed class ElementCompositionPolicy(string[] ranking) : IMergePolicy
{
    private static readonly string[] StatusElements = ["status", "clinicalStatus", "verificationStatus"];
    private static readonly string[] ConceptElements = ["code", "vaccineCode", "medication", "type", "category", "reasonCode", "bodySite"];

    public string Name => "per-element";

    public bool CombinesDuplicates => true;

    public MergeResult Merge(MergeCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var members = cluster.Members;
        if (members.Count == 0)
        {
            throw new ArgumentException("A cluster has at least one member.", nameof(cluster));
        }

        var chosen = 0;
        for (var i = 1; i < members.Count; i++)
        {
            if (RankOf(members[i]) < RankOf(members[chosen]))
            {
                chosen = i;
            }
        }

        var merged = members[chosen].Resource.DeepCopy();
        SelectingMergePolicy.UnionIdentifiers(merged, members);
        foreach (var element in ConceptElements)
        {
            UnionCodings(merged, element, members);
        }

        UnionNotes(merged, members);

        var latest = LatestAssertion(members);
        var statusFrom = chosen;
        foreach (var element in StatusElements)
        {
            if (members[latest].Resource.TryGetValue(element, out var value) && value is Base b && merged.TryGetValue(element, out _))
            {
                if (TrySet(merged, element, b.DeepCopy()))
                {
                    statusFrom = latest;
                }
            }
        }

        var conflicts = ConflictDetector.Detect(members, e => Array.IndexOf(StatusElements, e) >= 0 ? latest : chosen);
        var explanation = $"per-element: values from '{members[chosen].SourceName}' (source priority), codings, identifiers and notes from every copy"
            + (statusFrom != chosen ? $", status from '{members[latest].SourceName}' (most recent assertion)" : "");
        return new MergeResult(merged, chosen, conflicts, explanation);
    }

    private int RankOf(MergeMember m)
    {
        if (ranking.Length == 0)
        {
            return m.SourceRank;
        }

        var i = Array.IndexOf(ranking, m.SourceName);
        return i < 0 ? ranking.Length + m.SourceRank : i;
    }

    private int LatestAssertion(IReadOnlyList<MergeMember> members)
    {
        var best = 0;
        for (var i = 1; i < members.Count; i++)
        {
            var c = Nullable.Compare(AssertedAt(members[i]), AssertedAt(members[best]));
            if (c > 0 || (c == 0 && RankOf(members[i]) < RankOf(members[best])))
            {
                best = i;
            }
        }

        return best;
    }

    private static DateTimeOffset? AssertedAt(MergeMember m) => m.LastUpdated ?? m.Resource switch
    {
        Condition c => Fhir.ClinicalDates.FromElement(c.RecordedDateElement),
        AllergyIntolerance a => Fhir.ClinicalDates.FromElement(a.RecordedDateElement),
        MedicationStatement s => Fhir.ClinicalDates.FromElement(s.DateAssertedElement),
        Observation o => o.Issued,
        DiagnosticReport d => d.Issued,
        _ => null,
    } ?? m.ClinicalDate;

    private static bool TrySet(Resource resource, string element, Base value)
    {
        switch (resource, element, value)
        {
            case (_, "clinicalStatus" or "verificationStatus", CodeableConcept cc):
                var property = resource.GetType().GetProperty(element == "clinicalStatus" ? "ClinicalStatus" : "VerificationStatus");
                if (property is not null && property.PropertyType == typeof(CodeableConcept))
                {
                    property.SetValue(resource, cc);
                    return true;
                }

                return false;
            case (_, "status", PrimitiveType p):
                var statusElement = resource.GetType().GetProperty("StatusElement");
                if (statusElement is not null && statusElement.PropertyType.IsInstanceOfType(p))
                {
                    statusElement.SetValue(resource, p);
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    private static void UnionCodings(Resource merged, string element, IReadOnlyList<MergeMember> members)
    {
        if (!merged.TryGetValue(element, out var target))
        {
            return;
        }

        var targets = target switch
        {
            CodeableConcept cc => [cc],
            IEnumerable<CodeableConcept> many => many.ToList(),
            _ => new List<CodeableConcept>(),
        };
        foreach (var concept in targets)
        {
            var keys = new HashSet<string>(CodeSystems.KeysOf(concept), StringComparer.Ordinal);
            if (keys.Count == 0)
            {
                continue;
            }

            foreach (var m in members)
            {
                if (!m.Resource.TryGetValue(element, out var other))
                {
                    continue;
                }

                IEnumerable<CodeableConcept> others = other switch
                {
                    CodeableConcept oc => [oc],
                    IEnumerable<CodeableConcept> many => many,
                    _ => [],
                };
                foreach (var oc in others)
                {
                    var otherKeys = CodeSystems.KeysOf(oc);
                    if (!otherKeys.Any(keys.Contains))
                    {
                        continue; // another concept of a list element (a second category), not a synonym
                    }

                    foreach (var coding in oc.Coding)
                    {
                        if (CodeSystems.KeyOf(coding) is { } k && keys.Add(k))
                        {
                            concept.Coding.Add((Coding)coding.DeepCopy());
                        }
                    }
                }
            }
        }
    }

    private static void UnionNotes(Resource merged, IReadOnlyList<MergeMember> members)
    {
        if (merged.GetType().GetProperty("Note")?.GetValue(merged) is not List<Annotation> notes)
        {
            return;
        }

        var seen = new HashSet<string>(notes.Select(n => ClinicalText.Normalize(n.Text) ?? ""), StringComparer.Ordinal);
        foreach (var m in members)
        {
            if (m.Resource.GetType().GetProperty("Note")?.GetValue(m.Resource) is List<Annotation> otherNotes)
            {
                foreach (var n in otherNotes)
                {
                    if (ClinicalText.Normalize(n.Text) is { } k && seen.Add(k))
                    {
                        notes.Add((Annotation)n.DeepCopy());
                    }
                }
            }
        }
    }
}
