using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>Log messages of the MLLP listener (no message content, no patient data).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "MLLP listener started on {EndPoint}")]
    public static partial void ListenerStarted(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "MLLP listener stopped")]
    public static partial void ListenerStopped(ILogger logger);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "MLLP connection {ConnectionId} opened")]
    public static partial void ConnectionOpened(ILogger logger, long connectionId);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Debug, Message = "MLLP connection {ConnectionId} closed after {Frames} frames")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, long frames);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Debug, Message = "MLLP connection {ConnectionId} frame {Frame}: {MessageType}^{TriggerEvent} answered {Ack}")]
    public static partial void MessageAcknowledged(ILogger logger, long connectionId, long frame, string messageType, string triggerEvent, string ack);

    // The reason is an error code and a location (line, segment, field), never the offending text: it may hold patient data.
    [LoggerMessage(EventId = 6105, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId} frame {Frame} rejected ({Ack}): {ErrorCode} at {Location}")]
    public static partial void MessageRejected(ILogger logger, long connectionId, long frame, string ack, string errorCode, string location);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId} frame {Frame}: the handler failed with {ExceptionType}; answered AE")]
    public static partial void HandlerFailed(ILogger logger, long connectionId, long frame, string exceptionType);

    [LoggerMessage(EventId = 6107, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId} closed on a framing or I/O error: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, long connectionId, string reason);

    [LoggerMessage(EventId = 6108, Level = LogLevel.Information, Message = "MLLP connection {ConnectionId} closed after {IdleSeconds} s idle")]
    public static partial void ConnectionIdle(ILogger logger, long connectionId, double idleSeconds);

    [LoggerMessage(EventId = 6109, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId} closed to make room for connection {Newcomer} (idle {IdleSeconds:F1} s)")]
    public static partial void ConnectionEvicted(ILogger logger, long connectionId, double idleSeconds, long newcomer);

    [LoggerMessage(EventId = 6110, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId} refused: every slot is busy (at most {MaxConnections} connections, {MaxPerPeer} per peer) and none is idle")]
    public static partial void ConnectionRefused(ILogger logger, long connectionId, int maxConnections, int maxPerPeer);

    [LoggerMessage(EventId = 6111, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId}: the peer did not take an ACK within {Seconds} s; closing")]
    public static partial void WriteTimedOut(ILogger logger, long connectionId, double seconds);

    [LoggerMessage(EventId = 6112, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId}: {Count} incomplete frames dropped (a start block came before their end block)")]
    public static partial void FramesDiscarded(ILogger logger, long connectionId, long count);

    [LoggerMessage(EventId = 6113, Level = LogLevel.Error, Message = "MLLP listener: stopping met {ExceptionType}; the listener is stopped")]
    public static partial void StopFailed(ILogger logger, string exceptionType);

    [LoggerMessage(EventId = 6120, Level = LogLevel.Information, Message = "HL7 v2 feed started: {Entries} messages in the journal, {Pending} to apply")]
    public static partial void FeedStarted(ILogger logger, long entries, long pending);

    [LoggerMessage(EventId = 6121, Level = LogLevel.Information, Message = "HL7 v2 feed: a re-sent copy of journal entry {Sequence} was recognised and answered AA")]
    public static partial void DuplicateMessage(ILogger logger, long sequence);

    [LoggerMessage(EventId = 6122, Level = LogLevel.Error, Message = "HL7 v2 feed: person {PersonId} (version {Version}) was not updated: the stored version does not keep its other sources' records, and saving the feed's alone would drop them; re-aggregate the person with all their sources")]
    public static partial void PersonNotUpdated(ILogger logger, string personId, int version);

    [LoggerMessage(EventId = 6123, Level = LogLevel.Error, Message = "HL7 v2 feed: applying journal entry {Sequence} failed with {ExceptionType}; it is retried at the next start")]
    public static partial void ApplyFailed(ILogger logger, long sequence, string exceptionType);
}
