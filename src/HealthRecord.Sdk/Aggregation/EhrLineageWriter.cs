using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Stage 5, Provenance and lineage: for one person's built records, writes one Provenance per EHR record
/// (through <see cref="EhrProvenance"/>, the one owner of that format), one lineage row per source record,
/// and assembles the <see cref="EhrAggregate"/> in canonical order.
/// </summary>
internal static class EhrLineageWriter
{
    public static EhrAggregate Write(PersonSlot person, List<RecordNode> members, List<BuiltRecord> built, List<EhrConflict> conflicts, List<EhrIssue> issues,
        DateTimeOffset? asOf, bool keepSourceRecords, List<RecordNode> nodes)
    {
        conflicts.Sort(static (a, b) => CompareFields(a.EhrResource, b.EhrResource, a.Element, b.Element));
        var conflictsByRecord = conflicts.GroupBy(c => c.EhrResource, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var records = new List<EhrRecord>(built.Count);
        var provenance = new List<Provenance>(built.Count);
        var lineage = new List<LineageEntry>(members.Count);
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

            var keys = memberNodes.Select(i => RecordKey.Of(nodes[i].Record)).ToList();
            provenance.Add(EhrProvenance.Of(resource, keys, policyName, rule, asOf, conflictsByRecord.GetValueOrDefault(ehrRef) ?? []).ToResource(resource.TypeName, resource.Id!));
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
            Sources = members.Where(n => n.Resource is not null).Select(n => n.Record.SourceName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            LinkedPatients = person.PatientNodes.Select(i => new SourceRecordRef(nodes[i].Record.SourceName, nodes[i].Record.SourceReference, nodes[i].Record.Location)).ToList(),
            SourceRecords = keepSourceRecords ? members.Select(n => n.Record).ToList() : [],
            AsOf = asOf,
        };
    }

    internal static int CompareFields(string? a1, string? b1, string? a2, string? b2, string? a3 = null, string? b3 = null)
    {
        var c = string.CompareOrdinal(a1, b1);
        if (c == 0)
        {
            c = string.CompareOrdinal(a2, b2);
        }

        return c == 0 ? string.CompareOrdinal(a3, b3) : c;
    }
}
