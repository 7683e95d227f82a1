using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Security;
using HealthRecord.Sdk.Views;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Export.Ips;

/// <summary>The built-in <see cref="IIpsDocumentBuilder"/> (the rules are in docs/ips.md).</summary>
/// <remarks>Thread-safe.</remarks>
public sealed class IpsDocumentBuilder : IIpsDocumentBuilder
{
    private readonly IEhrSharing _sharing;
    private readonly SecurityLabeling _labeling;
    private readonly TimeProvider _time;

    /// <summary>Creates the builder.</summary>
    /// <param name="sharing">The sharing engine that decides what a recipient may receive.</param>
    /// <param name="labeling">The security labeling (for the confidentiality of documents built without a recipient).</param>
    /// <param name="timeProvider">The clock for the document date (the system clock when <see langword="null"/>).</param>
    public IpsDocumentBuilder(IEhrSharing sharing, SecurityLabeling labeling, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(sharing);
        ArgumentNullException.ThrowIfNull(labeling);
        _sharing = sharing;
        _labeling = labeling;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public System.Threading.Tasks.Task<IpsDocument> BuildAsync(EhrAggregate ehr, IpsRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        return BuildCoreAsync(EhrBundleBuilder.Build(ehr), ehr.PersonId, ehr.AsOf, request ?? new IpsRequest(), cancellationToken);
    }

    /// <inheritdoc />
    public System.Threading.Tasks.Task<IpsDocument> BuildAsync(Bundle ehr, IpsRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        var patients = ehr.Entry.Select(e => e.Resource).OfType<Patient>().ToList();
        var personId = patients.FirstOrDefault(p => p.Id is not null && p.Id == ehr.Id)?.Id
            ?? (patients.Count == 1 ? patients[0].Id : null)
            ?? throw new IpsException(patients.Count == 0
                ? "The EHR bundle has no Patient to summarise."
                : "The EHR bundle has several Patients and its id names none of them.");
        DateTimeOffset? asOf = ehr.Timestamp;
        return BuildCoreAsync(ehr, personId, asOf, request ?? new IpsRequest(), cancellationToken);
    }

    private async System.Threading.Tasks.Task<IpsDocument> BuildCoreAsync(Bundle ehr, string personId, DateTimeOffset? asOf, IpsRequest request, CancellationToken cancellationToken)
    {
        // Consent first: everything below reads only what is released (a labelled copy; the input is never changed).
        ShareResult? share = null;
        Bundle released;
        if (request.Recipient is not null)
        {
            share = await _sharing.ShareAsync(ehr, new ShareRequest
            {
                Recipient = request.Recipient,
                PurposeOfUse = request.PurposeOfUse,
                Consents = request.Consents,
                BreakGlass = request.BreakGlass,
            }, cancellationToken).ConfigureAwait(false);
            released = share.Disclosure;
        }
        else
        {
            released = _labeling.Label(ehr);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var released2 = ReleasedEhr.Read(released, personId, asOf)
            ?? throw new IpsException("The Patient of the EHR is not released to this recipient: there is nobody to summarise.");
        var date = request.Date ?? _time.GetUtcNow();
        var bundle = new IpsAssembler(released2, request, date).Assemble();
        var composition = (Composition)bundle.Entry[0].Resource!;
        var sections = composition.Section.Select(s => new IpsSectionSummary(
            s.Code!.Coding[0].Code!,
            s.Title!,
            s.Entry.Count,
            s.EmptyReason?.Coding.FirstOrDefault()?.Code,
            s.Entry.Count == 1 && released2.IsNoKnown(s.Entry[0]))).ToList();
        return new IpsDocument(bundle, sections, share);
    }
}

/// <summary>What consent released of an EHR, read back into an aggregate the current view can work on.</summary>
internal sealed class ReleasedEhr
{
    private readonly HashSet<string> _noKnown = new(StringComparer.Ordinal);

    private ReleasedEhr(EhrAggregate aggregate, IReadOnlyDictionary<string, (string FullUrl, Resource Resource)> byFullUrl, IReadOnlyDictionary<string, List<string>> conflicts)
    {
        Aggregate = aggregate;
        ByFullUrl = byFullUrl;
        Conflicts = conflicts;
        ByReference = aggregate.Records.ToDictionary(r => r.Reference, r => r.Resource, StringComparer.Ordinal);
        ByReference[$"Patient/{aggregate.PersonId}"] = aggregate.Patient;
        FullUrlOf = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        foreach (var (url, r) in byFullUrl.Values)
        {
            FullUrlOf.TryAdd(r, url);
        }
    }

    public EhrAggregate Aggregate { get; }

    /// <summary>Released resources by fullUrl (and by <c>Type/id</c>).</summary>
    public IReadOnlyDictionary<string, (string FullUrl, Resource Resource)> ByFullUrl { get; }

    public Dictionary<string, Resource> ByReference { get; }

    public Dictionary<object, string> FullUrlOf { get; }

    /// <summary>Conflict texts (from the released Provenance) by the target's <c>Type/id</c>.</summary>
    public IReadOnlyDictionary<string, List<string>> Conflicts { get; }

    public void MarkNoKnown(string fullUrl) => _noKnown.Add(fullUrl);

    public bool IsNoKnown(ResourceReference reference) => reference.Reference is { } r && _noKnown.Contains(r);

    public static ReleasedEhr? Read(Bundle released, string personId, DateTimeOffset? asOf)
    {
        var byFullUrl = new Dictionary<string, (string, Resource)>(StringComparer.Ordinal);
        var entries = new List<(string FullUrl, Resource Resource)>();
        foreach (var e in released.Entry)
        {
            if (e.Resource is not { Id: not null } r)
            {
                continue;
            }

            var fullUrl = e.FullUrl ?? EhrIds.FullUrl(r.Id);
            if (byFullUrl.TryAdd(fullUrl, (fullUrl, r)))
            {
                byFullUrl.TryAdd($"{r.TypeName}/{r.Id}", (fullUrl, r));
                entries.Add((fullUrl, r));
            }
        }

        if (entries.Select(e => e.Resource).OfType<Patient>().FirstOrDefault(p => p.Id == personId) is not { } patient)
        {
            return null;
        }

        // The released Provenance says which sources asserted each record, and where they disagreed.
        var sources = new Dictionary<string, List<SourceRecordRef>>(StringComparer.Ordinal);
        var conflicts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        // Only the Provenance the SDK wrote for EHR records; a source's own Provenance is a record like any other.
        var provenance = entries.Select(e => e.Resource).OfType<Provenance>().Where(IsEhrProvenance).ToList();
        foreach (var p in provenance)
        {
            var refs = p.Entity.Select(en => en.What?.Identifier).OfType<Identifier>()
                .Where(i => i.System is not null && i.System.StartsWith(EhrIds.SourceSystemPrefix, StringComparison.Ordinal) && i.Value is not null)
                .Select(i => new SourceRecordRef(i.System![EhrIds.SourceSystemPrefix.Length..], i.Value!, ""))
                .ToList();
            var texts = p.Extension.Where(x => x.Url == EhrProvenanceExtensions.ConflictUrl).Select(x => (x.Value as FhirString)?.Value).OfType<string>().ToList();
            foreach (var t in p.Target)
            {
                if (t.Reference is not { } tr || !byFullUrl.TryGetValue(tr, out var target))
                {
                    continue;
                }

                var key = $"{target.Item2.TypeName}/{target.Item2.Id}";
                (sources.TryGetValue(key, out var list) ? list : sources[key] = []).AddRange(refs);
                if (texts.Count > 0)
                {
                    (conflicts.TryGetValue(key, out var cl) ? cl : conflicts[key] = []).AddRange(texts);
                }
            }
        }

        var records = entries
            .Where(e => !(e.Resource is Provenance p && IsEhrProvenance(p)) && !ReferenceEquals(e.Resource, patient))
            .Select(e => new EhrRecord(e.Resource, Canonical(sources.GetValueOrDefault($"{e.Resource.TypeName}/{e.Resource.Id}")), ""))
            .ToList();
        var aggregate = new EhrAggregate
        {
            PersonId = personId,
            Patient = patient,
            Records = records,
            Provenance = provenance,
            Lineage = [],
            Sources = [.. records.SelectMany(r => r.Sources).Select(s => s.SourceName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            AsOf = asOf,
        };
        return new ReleasedEhr(aggregate, byFullUrl, conflicts);
    }

    private static bool IsEhrProvenance(Provenance p) =>
        p.Policy.Any(x => x is not null && x.StartsWith("urn:healthrecord-sdk:", StringComparison.Ordinal))
        || p.Entity.Any(en => en.What?.Identifier?.System is { } system && system.StartsWith(EhrIds.SourceSystemPrefix, StringComparison.Ordinal));

    private static IReadOnlyList<SourceRecordRef> Canonical(List<SourceRecordRef>? refs) =>
        refs is null ? [] : [.. refs.DistinctBy(r => (r.SourceName, r.SourceResource)).OrderBy(r => r.SourceName, StringComparer.Ordinal).ThenBy(r => r.SourceResource, StringComparer.Ordinal)];

    /// <summary>Resolves a literal reference (<c>urn:uuid:…</c> or <c>Type/id</c>) among the released resources.</summary>
    public Resource? Resolve(string reference)
    {
        if (ByFullUrl.TryGetValue(reference, out var hit))
        {
            return hit.Resource;
        }

        return Fhir.ResourceReferences.TryParseTypeAndId(reference, out var type, out var id) && ByFullUrl.TryGetValue($"{type}/{id}", out hit) ? hit.Resource : null;
    }
}
