using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Identity linking on its own: reads the sources' Patient records and links them into persons, without
/// building any EHR (no clinical record is validated, resolved, deduplicated or merged). The persons and
/// their ids are those an aggregation of the same sources gives (before a store lets known persons keep theirs).
/// </summary>
/// <remarks>Thread-safe. The default <see cref="EhrAggregator"/> implements it; hosts get it from DI.</remarks>
public interface IPersonLinker
{
    /// <summary>Links the patients of the sources.</summary>
    /// <param name="request">The sources (policy and store settings are not used).</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The persons and the scored patient pairs.</returns>
    /// <exception cref="ArgumentException">The request names no source, or a source name twice.</exception>
    Task<PersonLinkResult> LinkAsync(AggregationRequest request, CancellationToken cancellationToken = default);
}

/// <summary>The persons found by identity linking (<see cref="IPersonLinker"/>).</summary>
public sealed class PersonLinkResult
{
    /// <summary>The persons, ordered by person id.</summary>
    public required IReadOnlyList<LinkedPerson> Persons { get; init; }

    /// <summary>The compared patient pairs that scored match or possible.</summary>
    public required IReadOnlyList<PatientLink> PatientLinks { get; init; }

    /// <summary>What was read from each source.</summary>
    public required IReadOnlyList<SourceSummary> Sources { get; init; }

    /// <summary>Issues met while reading and linking.</summary>
    public required IReadOnlyList<EhrIssue> Issues { get; init; }
}

/// <summary>One person: the id and the source Patient records linked into it.</summary>
/// <param name="PersonId">The person id, as an aggregation of the same sources gives it.</param>
/// <param name="Patients">The linked source Patients, in canonical order.</param>
public sealed record LinkedPerson(string PersonId, IReadOnlyList<SourceRecordRef> Patients);
