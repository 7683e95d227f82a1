using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Model;

/// <summary>How serious an <see cref="EhrIssue"/> is.</summary>
public enum IssueSeverity
{
    /// <summary>For the record; nothing is wrong.</summary>
    Information,

    /// <summary>Something was suspect or partly lost, but the data was used.</summary>
    Warning,

    /// <summary>A record or document was rejected.</summary>
    Error,
}

/// <summary>
/// Something the pipeline noticed about the input: a rejected record, an unreadable document,
/// an unresolved reference. Issues never contain clinical values, only locations and reasons.
/// </summary>
/// <param name="Severity">How serious it is.</param>
/// <param name="Code">The stable code.</param>
/// <param name="SourceName">The source it concerns, when it concerns one.</param>
/// <param name="Location">Where (file, entry, element path) when known.</param>
/// <param name="Message">What happened, for people.</param>
public sealed record EhrIssue(IssueSeverity Severity, HealthRecordErrorCode Code, string? SourceName, string? Location, string Message)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Severity} {Code}{(SourceName is null ? "" : $" [{SourceName}]")}{(Location is null ? "" : $" {Location}")}: {Message}";
}
