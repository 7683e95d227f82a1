using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Model;

/// <summary>
/// What the Provenance of an EHR record says: the record it targets, the source records it was built from,
/// the merge policy, how it was built and the conflicts between sources. The SDK writes every EHR record's
/// Provenance from this type (<see cref="ToResource()"/>) and reads it back with <see cref="Read"/>, so an EHR
/// bundle read on its own still explains its records.
/// </summary>
public sealed record EhrProvenance
{
    /// <summary>The prefix of <c>Provenance.policy</c>, followed by the merge policy's name.</summary>
    public const string PolicyPrefix = "urn:healthrecord-sdk:merge-policy:";

    private const string DataOperationSystem = "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
    private const string ParticipantTypeSystem = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

    /// <summary>The EHR record, <c>Type/id</c>.</summary>
    public required string Target { get; init; }

    /// <summary>The source records it was built from, in canonical order.</summary>
    public required IReadOnlyList<RecordKey> Sources { get; init; }

    /// <summary>The name of the merge policy that combined the sources.</summary>
    public required string Policy { get; init; }

    /// <summary>How the record was built, for people (<c>Provenance.activity.text</c>).</summary>
    public required string Activity { get; init; }

    /// <summary>When the data was current (<c>Provenance.recorded</c>).</summary>
    public DateTimeOffset Recorded { get; init; } = DateTimeOffset.UnixEpoch;

    /// <summary>The conflicts between sources about this record, as <see cref="EhrProvenanceExtensions.Describe"/> writes them.</summary>
    public IReadOnlyList<string> Conflicts { get; init; } = [];

    /// <summary>The Provenance id of an EHR record.</summary>
    /// <param name="type">The EHR record's type.</param>
    /// <param name="id">The EHR record's id.</param>
    /// <returns>The deterministic Provenance id.</returns>
    public static string IdFor(string type, string id) => EhrIds.From("provenance", type, id);

    /// <summary>Describes how an EHR record was built from its sources.</summary>
    /// <param name="target">The EHR resource (type and id set).</param>
    /// <param name="sources">Its source records.</param>
    /// <param name="policy">The merge policy's name.</param>
    /// <param name="rule">The matcher rules and merge explanation (used when several sources were merged).</param>
    /// <param name="recorded">How current the data is.</param>
    /// <param name="conflicts">The conflicts about the record.</param>
    /// <returns>The description.</returns>
    internal static EhrProvenance Of(Resource target, IReadOnlyList<RecordKey> sources, string policy, string rule, DateTimeOffset? recorded, IEnumerable<EhrConflict> conflicts) => new()
    {
        Target = target.TypeName + "/" + target.Id,
        Sources = sources,
        Policy = policy,
        Activity = sources.Count > 1 ? $"Merged {sources.Count} source records: {rule}" : "Taken from one source record",
        Recorded = recorded ?? DateTimeOffset.UnixEpoch,
        Conflicts = conflicts.Select(EhrProvenanceExtensions.Describe).ToList(),
    };

    /// <summary>Writes the FHIR Provenance.</summary>
    /// <returns>A new Provenance targeting the EHR record by its <c>urn:uuid:</c> fullUrl.</returns>
    public Provenance ToResource()
    {
        var slash = Target.IndexOf('/', StringComparison.Ordinal);
        return ToResource(Target[..slash], Target[(slash + 1)..]);
    }

    /// <summary>Writes the FHIR Provenance of <see cref="Target"/>, given as its type and id (the aggregator has both at hand).</summary>
    internal Provenance ToResource(string type, string id)
    {
        var provenance = new Provenance
        {
            Id = IdFor(type, id),
            Target = [new ResourceReference(EhrIds.FullUrl(id)) { Type = type }],
            Recorded = Recorded,
            Policy = [PolicyPrefix + Policy],
            Activity = new CodeableConcept(DataOperationSystem, "CREATE", "create") { Text = Activity },
            Agent =
            [
                new Provenance.AgentComponent
                {
                    Type = new CodeableConcept(ParticipantTypeSystem, "assembler", "Assembler"),
                    Who = new ResourceReference { Display = "HealthRecord.Sdk" },
                },
            ],
        };
        // Lets the exporters write it without Firely's generic walk (Export/ProvenanceJson), while it keeps this shape.
        provenance.AddAnnotation(Export.ProvenanceJson.MadeBySdk.Instance);
        foreach (var conflict in Conflicts)
        {
            provenance.AddExtension(EhrProvenanceExtensions.ConflictUrl, new FhirString(conflict));
        }

        foreach (var s in Sources)
        {
            provenance.Entity.Add(new Provenance.EntityComponent
            {
                Role = Provenance.ProvenanceEntityRole.Source,
                What = new ResourceReference
                {
                    Identifier = new Identifier(EhrIds.SourceSystemPrefix + s.Source, s.Reference),
                    Display = $"{s.Source}: {s.Reference}",
                },
            });
        }

        return provenance;
    }

    /// <summary>Reads a Provenance the SDK wrote.</summary>
    /// <param name="provenance">The Provenance.</param>
    /// <returns>What it says, or <see langword="null"/> when it is not an EHR record's Provenance (no target).</returns>
    public static EhrProvenance? Read(Provenance provenance)
    {
        ArgumentNullException.ThrowIfNull(provenance);
        var target = provenance.Target.FirstOrDefault();
        if (target?.Reference is not { } reference || !reference.StartsWith("urn:uuid:", StringComparison.Ordinal))
        {
            return null;
        }

        var sources = new List<RecordKey>();
        foreach (var entity in provenance.Entity)
        {
            var identifier = entity.What?.Identifier;
            if (identifier?.System is { } system && system.StartsWith(EhrIds.SourceSystemPrefix, StringComparison.Ordinal)
                && RecordKey.TryParse(RecordKey.Format(system[EhrIds.SourceSystemPrefix.Length..], identifier.Value ?? ""), out var key))
            {
                sources.Add(key);
            }
        }

        var policy = provenance.Policy.FirstOrDefault(p => p is not null && p.StartsWith(PolicyPrefix, StringComparison.Ordinal));
        return new EhrProvenance
        {
            Target = (target.Type ?? "") + "/" + reference["urn:uuid:".Length..],
            Sources = sources,
            Policy = policy is null ? string.Join(", ", provenance.Policy) : policy[PolicyPrefix.Length..],
            Activity = provenance.Activity?.Text ?? "",
            Recorded = provenance.Recorded ?? DateTimeOffset.UnixEpoch,
            Conflicts = provenance.GetExtensions(EhrProvenanceExtensions.ConflictUrl).Select(x => (x.Value as FhirString)?.Value ?? "").ToList(),
        };
    }

    /// <summary>Finds and reads the Provenance of an EHR record in an EHR bundle.</summary>
    /// <param name="bundle">The EHR bundle.</param>
    /// <param name="record">The EHR record (its id set).</param>
    /// <returns>What its Provenance says, or <see langword="null"/> when no Provenance targets it.</returns>
    public static EhrProvenance? Find(Bundle bundle, Resource record)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(record);
        var target = EhrIds.FullUrl(record.Id ?? "");
        var provenance = bundle.Entry.Select(e => e.Resource).OfType<Provenance>().FirstOrDefault(p => p.Target.Any(t => t.Reference == target));
        return provenance is null ? null : Read(provenance);
    }
}
