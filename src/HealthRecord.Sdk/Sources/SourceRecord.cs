using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// One record read from an EMR source: a FHIR R4 resource plus where it came from, or, when the
/// reader could not turn the input into a resource, the reason it was rejected.
/// </summary>
/// <remarks>
/// <see cref="ResourceType"/> and <see cref="ResourceId"/> are the identity the source gave the record
/// (adapters that invent ids make them deterministic, so re-reading the same input gives the same ids).
/// Instances are not thread-safe while the pipeline rewrites their references.
/// </remarks>
public sealed class SourceRecord
{
    /// <summary>The name the host gave the source (e.g. <c>hospital-a</c>).</summary>
    public required string SourceName { get; init; }

    /// <summary>The FHIR resource type as the source named it.</summary>
    public required string ResourceType { get; init; }

    /// <summary>The id as the source named it.</summary>
    public required string ResourceId { get; init; }

    /// <summary>Where in the source the record was read (file path, and entry or line).</summary>
    public required string Location { get; init; }

    /// <summary>The resource; <see langword="null"/> when the reader rejected the input.</summary>
    public Resource? Resource { get; init; }

    /// <summary>The bundle entry's <c>fullUrl</c>, used to resolve <c>urn:uuid:</c> and absolute references.</summary>
    public string? FullUrl { get; init; }

    /// <summary>The document the record was read from, used to resolve references document-first.</summary>
    public string? DocumentId { get; init; }

    /// <summary>Why the reader rejected the input, when it did.</summary>
    public SourceRejection? Rejection { get; init; }

    /// <summary>Warnings the reader or converter raised about this record (data kept, but suspect or partly lost).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary><c>Type/id</c> as the source named it.</summary>
    public string SourceReference => $"{ResourceType}/{ResourceId}";

    /// <summary>Creates an accepted record from a resource.</summary>
    /// <param name="sourceName">The source name.</param>
    /// <param name="resource">The resource; its id must be set.</param>
    /// <param name="location">Where it was read.</param>
    /// <param name="fullUrl">The bundle entry's fullUrl, if any.</param>
    /// <param name="documentId">The document it came from, if any.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ArgumentException">The resource has no id.</exception>
    public static SourceRecord FromResource(string sourceName, Resource resource, string location, string? fullUrl = null, string? documentId = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        if (string.IsNullOrEmpty(resource.Id))
        {
            throw new ArgumentException("The resource must have an id; adapters derive one deterministically when the source has none.", nameof(resource));
        }

        return new SourceRecord
        {
            SourceName = sourceName,
            ResourceType = resource.TypeName,
            ResourceId = resource.Id,
            Location = location,
            Resource = resource,
            FullUrl = fullUrl,
            DocumentId = documentId,
        };
    }

    /// <summary>Creates a rejected record: the input was there but could not be used.</summary>
    /// <param name="sourceName">The source name.</param>
    /// <param name="resourceType">The resource type as far as it is known (e.g. <c>Unknown</c>).</param>
    /// <param name="resourceId">The id as far as it is known, else a deterministic stand-in.</param>
    /// <param name="location">Where it was read.</param>
    /// <param name="rejection">Why.</param>
    /// <returns>The record.</returns>
    public static SourceRecord Rejected(string sourceName, string resourceType, string resourceId, string location, SourceRejection rejection) => new()
    {
        SourceName = sourceName,
        ResourceType = resourceType,
        ResourceId = resourceId,
        Location = location,
        Rejection = rejection,
    };

    /// <inheritdoc />
    public override string ToString() => Model.RecordKey.Format(SourceName, SourceReference);
}

/// <summary>Why a record was rejected.</summary>
/// <param name="Code">The stable code.</param>
/// <param name="Reason">The reason, for people; names the element when one is at fault.</param>
public sealed record SourceRejection(Errors.HealthRecordErrorCode Code, string Reason);
