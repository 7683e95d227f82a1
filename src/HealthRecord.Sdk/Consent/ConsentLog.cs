using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.Consent;

/// <summary>Logger messages of sharing. Counts and codes only: never patient data.</summary>
internal static partial class ConsentLog
{
    [LoggerMessage(101, LogLevel.Information, "Shared {Disclosed} of {Total} records ({Withheld} withheld, {BreakGlass} by break-glass) for purpose {Purpose}")]
    public static partial void Shared(ILogger logger, int disclosed, int total, int withheld, int breakGlass, string purpose);

    [LoggerMessage(102, LogLevel.Warning, "Emergency access (break-glass) released {Count} records otherwise denied")]
    public static partial void BreakGlassUsed(ILogger logger, int count);
}
