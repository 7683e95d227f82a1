using HealthRecord.Sdk.Errors;
using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.FhirServer.Telemetry;

/// <summary>Log messages of the FHIR server source. They name sources, counts and URLs' paths, never patient data.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "FHIR source {SourceName}: access token acquired, valid {ExpiresIn} s.")]
    public static partial void TokenAcquired(ILogger logger, string sourceName, int expiresIn);

    [LoggerMessage(2, LogLevel.Information, "FHIR source {SourceName}: the server answered 401; fetching a new access token.")]
    public static partial void TokenRejected(ILogger logger, string sourceName);

    [LoggerMessage(3, LogLevel.Debug, "FHIR source {SourceName}: page {Page} read ({Records} records).")]
    public static partial void PageRead(ILogger logger, string sourceName, int page, int records);

    [LoggerMessage(4, LogLevel.Information, "FHIR source {SourceName}: bulk export in progress ({Progress}); next poll in {DelayMs} ms.")]
    public static partial void BulkInProgress(ILogger logger, string sourceName, string progress, long delayMs);

    [LoggerMessage(5, LogLevel.Warning, "FHIR source {SourceName}: output file {File} was cut off (attempt {Attempt}, {Code}); fetching it again.")]
    public static partial void BulkFileRetry(ILogger logger, string sourceName, string file, int attempt, HealthRecordErrorCode code);

    [LoggerMessage(6, LogLevel.Warning, "FHIR source {SourceName} is incomplete ({Code})")]
    public static partial void SourceIncomplete(ILogger logger, string sourceName, HealthRecordErrorCode code);

    [LoggerMessage(7, LogLevel.Information, "FHIR source {SourceName}: bulk export resumed from its checkpoint ({Done} of {Total} files already read).")]
    public static partial void BulkResumed(ILogger logger, string sourceName, int done, int total);

    [LoggerMessage(8, LogLevel.Warning, "FHIR source {SourceName}: deleting the bulk export job failed.")]
    public static partial void BulkDeleteFailed(ILogger logger, string sourceName, Exception exception);
}
