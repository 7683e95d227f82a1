using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.Warmup;

/// <summary>Logger messages of the warm-up. Counts and times only.</summary>
internal static partial class Log
{
    [LoggerMessage(501, LogLevel.Information, "HealthRecord.Sdk warmed up in {ElapsedMs} ms ({RecordsRead} synthetic records, {Exporters} exporters)")]
    public static partial void WarmedUp(ILogger logger, long elapsedMs, int recordsRead, int exporters);

    [LoggerMessage(502, LogLevel.Warning, "HealthRecord.Sdk warm-up could not read the store ({Kind}); the first call will open it")]
    public static partial void StoreNotReached(ILogger logger, string kind);
}
