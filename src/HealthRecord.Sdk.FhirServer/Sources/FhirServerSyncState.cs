namespace HealthRecord.Sdk.FhirServer.Sources;

/// <summary>How a FHIR server source's last read went.</summary>
public enum FhirServerSyncStatus
{
    /// <summary>A read is running.</summary>
    Reading,

    /// <summary>The last read finished and every page or file was read.</summary>
    Complete,

    /// <summary>The last read stopped part-way or missed data (see <see cref="FhirServerSyncState.LastError"/>): what it gave is not the whole source.</summary>
    Incomplete,
}

/// <summary>A FHIR server source's sync state, for the host: when it was last read completely, and what went wrong last.</summary>
/// <param name="SourceName">The source name.</param>
/// <param name="Status">How the last read went.</param>
/// <param name="LastCompleteRead">When the last complete read finished.</param>
/// <param name="Since">
/// The instant to pass as <c>_since</c> for the next incremental read: the export's <c>transactionTime</c>, or the
/// start of the last complete patient read.
/// </param>
/// <param name="LastAttempt">When the last read started.</param>
/// <param name="LastError">What stopped or spoiled the last incomplete read; <see langword="null"/> after a complete one.</param>
/// <param name="Progress">While a Bulk Data export runs on the server: its last reported progress (<c>X-Progress</c>); otherwise <see langword="null"/>.</param>
public sealed record FhirServerSyncState(string SourceName, FhirServerSyncStatus Status, DateTimeOffset? LastCompleteRead, DateTimeOffset? Since, DateTimeOffset? LastAttempt, string? LastError, string? Progress = null);
