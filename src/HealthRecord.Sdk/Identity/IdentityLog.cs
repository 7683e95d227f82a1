using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.Identity;

/// <summary>Logger messages of identity linking: counts only, never patient data.</summary>
internal static partial class IdentityLog
{
    [LoggerMessage(401, LogLevel.Information, "Linked {CandidateCount} source Patients into {PersonCount} persons: {ComparedPairs} pairs compared of {TotalPairs} ({MatchCount} match, {PossibleCount} possible) in {ElapsedMs} ms")]
    public static partial void Linked(ILogger logger, int candidateCount, int personCount, long comparedPairs, long totalPairs, int matchCount, int possibleCount, long elapsedMs);

    [LoggerMessage(402, LogLevel.Warning, "Identity linking: {Warning}")]
    public static partial void LinkWarning(ILogger logger, string warning);

    [LoggerMessage(403, LogLevel.Debug, "Identity linking weights estimated by EM on {PatternCount} distinct comparison vectors: estimated match share {MatchShare:F6}")]
    public static partial void WeightsEstimated(ILogger logger, int patternCount, double matchShare);
}
