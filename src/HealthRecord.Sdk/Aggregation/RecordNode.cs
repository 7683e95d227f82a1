using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>A record in the aggregation, at its canonical index.</summary>
internal sealed class RecordNode(int index, Sources.SourceRecord record, string key)
{
    public int Index { get; } = index;

    public Sources.SourceRecord Record { get; } = record;

    private Resource? _working;

    /// <summary>
    /// The pipeline's own copy of the resource while the record is accepted; its references are rewritten
    /// in place, so the source record itself is never changed and can be aggregated again.
    /// </summary>
    public Resource? Resource => Rejection is null ? (_working ??= Record.Resource?.DeepCopy()) : null;

    /// <summary>
    /// Every reference in the working copy, found once while references are resolved; the EHR build reuses
    /// the list when it keeps the working copy itself, instead of walking the resource again.
    /// </summary>
    public List<(string Element, ResourceReference Reference)>? References { get; set; }

    /// <summary>Whether a resource is this node's working copy (so <see cref="References"/> describes it).</summary>
    public bool IsWorkingCopy(Resource resource) => ReferenceEquals(resource, _working);

    /// <summary>The working copy for an EHR: handed over when only one person uses the record, copied otherwise.</summary>
    public Resource TakeForEhr() => Persons.Count == 1 ? Resource! : Resource!.DeepCopy();

    public Sources.SourceRejection? Rejection { get; set; }

    /// <summary>Indexes of the records this one references.</summary>
    public List<int> Targets { get; } = [];

    /// <summary>The Patient record this record belongs to, for patient records.</summary>
    public int? PatientNode { get; set; }

    /// <summary>The persons this record is attributed to.</summary>
    public SortedSet<int> Persons { get; } = [];

    public List<Model.EhrIssue> Issues { get; } = [];

    /// <summary>The subject reference, when the source names a Patient it does not include.</summary>
    public ResourceReference? PendingSubject { get; set; }

    /// <summary><c>source:Type/id</c>, with <c>#n</c> for the n-th repeat of the same id in one source.</summary>
    public string Key { get; } = key;
}
