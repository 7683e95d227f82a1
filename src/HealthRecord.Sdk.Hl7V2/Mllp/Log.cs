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

    [LoggerMessage(EventId = 6105, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId} frame {Frame} rejected ({Ack}): {Reason}")]
    public static partial void MessageRejected(ILogger logger, long connectionId, long frame, string ack, string reason);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId} frame {Frame}: the handler failed with {ExceptionType}; answered AE")]
    public static partial void HandlerFailed(ILogger logger, long connectionId, long frame, string exceptionType);

    [LoggerMessage(EventId = 6107, Level = LogLevel.Warning, Message = "MLLP connection {ConnectionId} closed on a framing or I/O error: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, long connectionId, string reason);
}
