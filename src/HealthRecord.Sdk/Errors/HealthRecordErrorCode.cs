namespace HealthRecord.Sdk.Errors;

/// <summary>Stable error and issue codes. Values never change meaning once shipped.</summary>
public enum HealthRecordErrorCode
{
    /// <summary>The path or address of a source does not exist.</summary>
    SourceNotFound = 1,

    /// <summary>The content is not well-formed (JSON, XML or ER7 syntax).</summary>
    MalformedContent = 2,

    /// <summary>The content is well-formed but is not a format any registered reader understands.</summary>
    UnsupportedFormat = 3,

    /// <summary>The content is FHIR, but not FHIR R4, or uses a resource type R4 does not define.</summary>
    UnsupportedFhirVersion = 4,

    /// <summary>The content is larger, deeper or otherwise heavier than the configured limits allow.</summary>
    LimitExceeded = 5,

    /// <summary>The content tries something unsafe (DTDs, external entities).</summary>
    HostileContent = 6,

    /// <summary>A record is structurally invalid FHIR.</summary>
    InvalidResource = 7,

    /// <summary>A record lacks something the EHR needs (a subject, a code).</summary>
    MissingRequiredData = 8,

    /// <summary>A reference could not be resolved inside its source.</summary>
    UnresolvedReference = 9,

    /// <summary>A record could not be attributed to any person.</summary>
    UnattributedRecord = 10,

    /// <summary>A source could not be read for a reason not listed above (I/O, network).</summary>
    SourceUnavailable = 11,

    /// <summary>The store failed; nothing was written.</summary>
    StoreFailure = 12,

    /// <summary>The configuration is invalid.</summary>
    InvalidConfiguration = 13,

    /// <summary>Part of the input was not converted (informational).</summary>
    NotConverted = 14,
}

/// <summary>Maps <see cref="HealthRecordErrorCode"/> to FHIR issue types.</summary>
public static class HealthRecordErrorCodeExtensions
{
    /// <summary>The FHIR <c>OperationOutcome.issue.code</c> (issue-type value set) for the code.</summary>
    /// <param name="code">The code to map.</param>
    /// <returns>The issue type, e.g. <c>not-found</c>, <c>structure</c>, <c>required</c>.</returns>
    public static string ToIssueType(this HealthRecordErrorCode code) => code switch
    {
        HealthRecordErrorCode.SourceNotFound => "not-found",
        HealthRecordErrorCode.MalformedContent => "structure",
        HealthRecordErrorCode.UnsupportedFormat => "not-supported",
        HealthRecordErrorCode.UnsupportedFhirVersion => "not-supported",
        HealthRecordErrorCode.LimitExceeded => "too-costly",
        HealthRecordErrorCode.HostileContent => "security",
        HealthRecordErrorCode.InvalidResource => "invalid",
        HealthRecordErrorCode.MissingRequiredData => "required",
        HealthRecordErrorCode.UnresolvedReference => "not-found",
        HealthRecordErrorCode.UnattributedRecord => "business-rule",
        HealthRecordErrorCode.SourceUnavailable => "transient",
        HealthRecordErrorCode.StoreFailure => "exception",
        HealthRecordErrorCode.InvalidConfiguration => "invalid",
        HealthRecordErrorCode.NotConverted => "informational",
        _ => "exception",
    };
}
