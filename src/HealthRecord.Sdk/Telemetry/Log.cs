using HealthRecord.Sdk.Errors;
using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk;

/// <summary>Logger messages. Only source names, counts and codes are logged: never patient data.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Aggregating {SourceCount} sources")]
    public static partial void AggregationStarted(ILogger logger, int sourceCount);

    [LoggerMessage(2, LogLevel.Information, "Aggregated {RecordsRead} records into {PersonCount} EHRs ({Merged} merged, {Rejected} rejected) in {ElapsedMs} ms")]
    public static partial void AggregationFinished(ILogger logger, int recordsRead, int personCount, int merged, int rejected, long elapsedMs);

    [LoggerMessage(3, LogLevel.Warning, "Source {SourceName}: document {DocumentId} could not be read ({Code})")]
    public static partial void DocumentFailed(ILogger logger, string sourceName, string documentId, HealthRecordErrorCode code);

    // The exception's type and stack frames only: its message may quote the document (patient data).
    [LoggerMessage(30, LogLevel.Debug, "Source {SourceName}: document {DocumentId} failed in {ExceptionType}{StackTrace}")]
    public static partial void DocumentFailedTrace(ILogger logger, string sourceName, string documentId, string exceptionType, string stackTrace);

    [LoggerMessage(4, LogLevel.Debug, "Source {SourceName}: {RecordCount} records from {DocumentCount} documents")]
    public static partial void SourceRead(ILogger logger, string sourceName, int recordCount, int documentCount);

    // The code only: a reason may quote what the source sent (patient data); it is in AggregationResult.Issues.
    [LoggerMessage(5, LogLevel.Warning, "Source {SourceName} could not be read ({Code})")]
    public static partial void SourceFailed(ILogger logger, string sourceName, HealthRecordErrorCode code);

    [LoggerMessage(6, LogLevel.Information, "Saved EHR version {Version} of person {PersonId}")]
    public static partial void EhrSaved(ILogger logger, string personId, int version);

    [LoggerMessage(7, LogLevel.Warning, "A duplicate-candidate block of {BlockSize} {ResourceType} records exceeds MaxBlockSize; only the first {Compared} are compared pairwise")]
    public static partial void BlockTooLarge(ILogger logger, string resourceType, int blockSize, int compared);
}
