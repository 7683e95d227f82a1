using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Parsing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>
/// An MLLP receiver over a <see cref="TcpListener"/>: parses each framed message, hands it to the host's handler and
/// answers with exactly one original-mode ACK per frame: AA when the handler completes, AE when it fails in a way a
/// re-send may cure, AR when the frame is not a well-formed HL7 v2 message or cannot ever be processed (the handler
/// throws <see cref="Hl7V2MessageRejectedException"/> or a content error). Bad input never stops the listener: the
/// connection keeps serving when the framing allows, other connections are unaffected, and no exception escapes
/// <see cref="StopAsync"/> or <see cref="DisposeAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// Messages of one connection are handled one at a time, in order; connections are served concurrently, so the
/// handler must be thread-safe. When <see cref="MllpListenerOptions.MaxConnections"/> (or the per-peer limit) is
/// reached, the connection idle for longest is closed to make room; when none is idle, the newcomer is refused.
/// ACK writes time out after <see cref="MllpListenerOptions.WriteTimeout"/>, so a peer that never reads cannot hold a
/// slot. Start with <see cref="Start"/>, stop with <see cref="StopAsync"/> or by disposing.
/// </para>
/// <para>No message content is logged at any level: logs carry connection and frame numbers, message types, error
/// codes and locations.</para>
/// </remarks>
public sealed class MllpListener : IAsyncDisposable
{
    private readonly MllpListenerOptions _options;
    private readonly Func<Hl7V2ReceivedMessage, CancellationToken, ValueTask> _handler;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Connection> _open = new();
    private readonly Lock _admission = new();
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private long _connectionIds;
    private long _accepted;
    private long _errors;
    private long _rejected;
    private long _evicted;
    private long _refused;
    private int _stopped;

    /// <summary>Creates a listener (not yet listening).</summary>
    /// <param name="options">Address, port and limits.</param>
    /// <param name="handler">Called for each well-formed message; completes to accept it, throws to refuse it.</param>
    /// <param name="logger">The logger; no message content is logged.</param>
    /// <param name="timeProvider">The clock used for ACK timestamps and idle times.</param>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="options"/> is not positive.</exception>
    public MllpListener(MllpListenerOptions options, Func<Hl7V2ReceivedMessage, CancellationToken, ValueTask> handler, ILogger<MllpListener>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnectionsPerPeer, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.IdleTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.WriteTimeout, TimeSpan.Zero);
        _options = options;
        _handler = handler;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The address the listener is bound to (with the actual port), once started.</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndpoint as IPEndPoint;

    /// <summary>The number of messages answered AA.</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    /// <summary>The number of messages answered AE.</summary>
    public long ErrorCount => Interlocked.Read(ref _errors);

    /// <summary>The number of frames answered AR.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejected);

    /// <summary>The number of idle connections closed to make room for new ones.</summary>
    public long EvictedCount => Interlocked.Read(ref _evicted);

    /// <summary>The number of connections refused because every slot was busy.</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>The number of connections being served now.</summary>
    public int OpenConnections => _open.Count;

    /// <summary>Binds the socket and starts accepting connections in the background.</summary>
    /// <returns>The bound address.</returns>
    /// <exception cref="InvalidOperationException">The listener was already started.</exception>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public IPEndPoint Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The listener is already started.");
        }

        _listener = new TcpListener(_options.Address, _options.Port);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
        var endPoint = LocalEndPoint!;
        Log.ListenerStarted(_logger, endPoint.ToString());
        return endPoint;
    }

    /// <summary>
    /// Stops accepting, lets each connection finish the message it is handling (its ACK is still sent), closes the
    /// connections and waits for them. Never throws.
    /// </summary>
    /// <returns>A task that completes when everything has stopped.</returns>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        try
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            _listener?.Stop();
            if (_acceptLoop is not null)
            {
                await _acceptLoop.ConfigureAwait(false);
            }

            await Task.WhenAll(_open.Values.Select(c => c.Serving)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Stopping must never take the host down: whatever failed is logged, not rethrown.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.StopFailed(_logger, ex.GetType().Name);
        }

        Log.ListenerStopped(_logger);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener!.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || ex is SocketException && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // One failed accept (the peer reset before we took it) must not end the loop.
                Log.ConnectionFailed(_logger, 0, "accept: " + ex.SocketErrorCode);
                continue;
            }

            var id = Interlocked.Increment(ref _connectionIds);
            var peer = (client.Client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (!Admit(id, peer))
            {
                Interlocked.Increment(ref _refused);
                HealthRecordHl7V2Telemetry.ConnectionsRefused.Add(1);
                Log.ConnectionRefused(_logger, id, _options.MaxConnections, _options.MaxConnectionsPerPeer);
                client.Dispose();
                continue;
            }

            var connection = new Connection(id, peer, client, _time.GetTimestamp(), CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
            _open[id] = connection;
            HealthRecordHl7V2Telemetry.ConnectionsOpen.Add(1);
            connection.Serving = Task.Run(() => ServeAsync(connection), CancellationToken.None);
        }
    }

    // Makes room for a new connection: under the limits, it is admitted; over one, the connection (of that peer, for
    // the per-peer limit) idle for longest is closed; if none is idle, the newcomer is refused.
    private bool Admit(long id, IPAddress peer)
    {
        lock (_admission)
        {
            // An evicted connection may not have left the table yet: it no longer counts against either limit.
            var ofPeer = _open.Values.Where(c => !c.Evicted && c.Peer.Equals(peer)).ToList();
            if (ofPeer.Count >= _options.MaxConnectionsPerPeer && !Evict(ofPeer, id))
            {
                return false;
            }

            return _open.Values.Count(c => !c.Evicted) < _options.MaxConnections || Evict(_open.Values, id);
        }
    }

    private bool Evict(IEnumerable<Connection> candidates, long newcomer)
    {
        var oldest = candidates.Where(c => c.Idle && !c.Evicted).MinBy(c => c.LastActivity);
        if (oldest is null)
        {
            return false;
        }

        oldest.Evicted = true;
        Interlocked.Increment(ref _evicted);
        HealthRecordHl7V2Telemetry.ConnectionsEvicted.Add(1);
        Log.ConnectionEvicted(_logger, oldest.Id, _time.GetElapsedTime(oldest.LastActivity).TotalSeconds, newcomer);
        oldest.Close();
        return true;
    }

    private async Task ServeAsync(Connection connection)
    {
        var id = connection.Id;
        var cancellationToken = connection.Cancellation.Token;
        long frames = 0;
        try
        {
            Log.ConnectionOpened(_logger, id);
            var remote = connection.Client.Client.RemoteEndPoint;
            Stream stream = connection.Client.GetStream();
            if (_options.Tls is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                handshake.CancelAfter(_options.WriteTimeout);
                await ssl.AuthenticateAsServerAsync(tls, handshake.Token).ConfigureAwait(false);
            }

            await using (stream.ConfigureAwait(false))
            {
                var reader = new MllpFrameReader(stream, _options.MaxFrameBytes);
                while (!cancellationToken.IsCancellationRequested)
                {
                    byte[]? frame;
                    string ack;
                    connection.Idle = true;
                    using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                    {
                        idle.CancelAfter(_options.IdleTimeout);
                        try
                        {
                            frame = await reader.ReadFrameAsync(idle.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                        {
                            Log.ConnectionIdle(_logger, id, _options.IdleTimeout.TotalSeconds);
                            break;
                        }
                        catch (MllpFramingException ex) when (ex.Recoverable)
                        {
                            connection.Touch(_time);
                            frames = reader.FrameCount;
                            var error = new Hl7V2AcknowledgmentError(ex.Message, "102");
                            ack = Hl7V2Acknowledgment.CreateForUnparsed(Latin1OrUtf8([.. ex.Head]), Hl7V2AcknowledgmentCode.Reject, error, _time.GetUtcNow());
                            Count(Hl7V2AcknowledgmentCode.Reject, null);
                            Log.MessageRejected(_logger, id, reader.FrameCount, "AR", ex.Code.ToString(), "frame");
                            if (!await AnswerAsync(stream, ack, connection).ConfigureAwait(false))
                            {
                                break;
                            }

                            continue;
                        }
                    }

                    if (frame is null)
                    {
                        break;
                    }

                    connection.Idle = false;
                    connection.Touch(_time);
                    frames = reader.FrameCount;
                    var started = Stopwatch.GetTimestamp();
                    // Once a frame is read it is answered even while stopping: the sender must learn its fate.
                    ack = await HandleFrameAsync(frame, remote, id, reader.FrameCount, _stopping.IsCancellationRequested ? CancellationToken.None : cancellationToken).ConfigureAwait(false);
                    if (!await AnswerAsync(stream, ack, connection).ConfigureAwait(false))
                    {
                        break;
                    }

                    HealthRecordHl7V2Telemetry.AckDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    connection.Touch(_time);
                }

                if (reader.DiscardedFrames > 0)
                {
                    Log.FramesDiscarded(_logger, id, reader.DiscardedFrames);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping, or evicted.
        }
#pragma warning disable CA1031 // One connection's failure (I/O, TLS, framing, a bug) must never reach the host or the other connections.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ConnectionFailed(_logger, id, ex is MllpFramingException framing ? framing.Code.ToString() : ex.GetType().Name);
        }
        finally
        {
            _open.TryRemove(id, out _);
            HealthRecordHl7V2Telemetry.ConnectionsOpen.Add(-1);
            connection.Close();
            connection.Cancellation.Dispose();
            Log.ConnectionClosed(_logger, id, frames);
        }
    }

    private async Task<string> HandleFrameAsync(byte[] frame, EndPoint? remote, long connectionId, long frameIndex, CancellationToken cancellationToken)
    {
        HealthRecordHl7V2Telemetry.MessagesReceived.Add(1);
        Hl7V2Message message;
        try
        {
            var batch = Hl7V2Parser.Parse(frame, _options.Parser);
            if (batch.Messages.Count != 1)
            {
                throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent, $"An MLLP frame must hold exactly one message; this one holds {batch.Messages.Count}.");
            }

            message = batch.Messages[0];
        }
        catch (Hl7V2ParseException ex)
        {
            Count(Hl7V2AcknowledgmentCode.Reject, null);
            Log.MessageRejected(_logger, connectionId, frameIndex, "AR", ex.Code.ToString(), ex.Location);
            return Hl7V2Acknowledgment.CreateForUnparsed(Latin1OrUtf8(frame), Hl7V2AcknowledgmentCode.Reject, Hl7V2AcknowledgmentError.From(ex), _time.GetUtcNow());
        }

        try
        {
            await _handler(new Hl7V2ReceivedMessage(message, frame, remote, connectionId, frameIndex), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Count(Hl7V2AcknowledgmentCode.Error, message.MessageType);
            return Hl7V2Acknowledgment.Create(message, Hl7V2AcknowledgmentCode.Error, new Hl7V2AcknowledgmentError("The receiver is stopping; send the message again."), _time.GetUtcNow());
        }
        catch (Hl7V2MessageRejectedException ex)
        {
            Count(Hl7V2AcknowledgmentCode.Reject, message.MessageType);
            Log.MessageRejected(_logger, connectionId, frameIndex, "AR", "rejected by the application", "message");
            return Hl7V2Acknowledgment.Create(message, Hl7V2AcknowledgmentCode.Reject, new Hl7V2AcknowledgmentError(ex.Message), _time.GetUtcNow());
        }
        catch (HealthRecordException ex) when (IsPermanent(ex.Code))
        {
            // The content itself is at fault: a re-send cannot help, so AR (HL7's "do not retry"), never AE forever.
            Count(Hl7V2AcknowledgmentCode.Reject, message.MessageType);
            Log.MessageRejected(_logger, connectionId, frameIndex, "AR", ex.Code.ToString(), "message");
            return Hl7V2Acknowledgment.Create(message, Hl7V2AcknowledgmentCode.Reject, new Hl7V2AcknowledgmentError($"The message cannot be processed ({ex.Code}).", "102"), _time.GetUtcNow());
        }
#pragma warning disable CA1031 // A failing host handler must not stop the receiver: the sender gets AE and may retry.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Count(Hl7V2AcknowledgmentCode.Error, message.MessageType);
            Log.HandlerFailed(_logger, connectionId, frameIndex, ex.GetType().Name);
            return Hl7V2Acknowledgment.Create(message, Hl7V2AcknowledgmentCode.Error, new Hl7V2AcknowledgmentError("The receiving application could not process the message."), _time.GetUtcNow());
        }

        Count(Hl7V2AcknowledgmentCode.Accept, message.MessageType);
        Log.MessageAcknowledged(_logger, connectionId, frameIndex, message.MessageType, message.TriggerEvent, "AA");
        return Hl7V2Acknowledgment.Create(message, Hl7V2AcknowledgmentCode.Accept, null, _time.GetUtcNow());
    }

    private static bool IsPermanent(HealthRecordErrorCode code) =>
        code is HealthRecordErrorCode.MalformedContent or HealthRecordErrorCode.UnsupportedFormat or HealthRecordErrorCode.LimitExceeded
            or HealthRecordErrorCode.HostileContent or HealthRecordErrorCode.InvalidResource or HealthRecordErrorCode.MissingRequiredData
            or HealthRecordErrorCode.UnsupportedFhirVersion;

    private void Count(Hl7V2AcknowledgmentCode code, string? messageType)
    {
        switch (code)
        {
            case Hl7V2AcknowledgmentCode.Accept:
                Interlocked.Increment(ref _accepted);
                break;
            case Hl7V2AcknowledgmentCode.Error:
                Interlocked.Increment(ref _errors);
                break;
            default:
                Interlocked.Increment(ref _rejected);
                break;
        }

        HealthRecordHl7V2Telemetry.Acknowledgments.Add(1,
            new KeyValuePair<string, object?>("ack", code.ToHl7()),
            new KeyValuePair<string, object?>("message_type", messageType is { Length: 3 } ? messageType : "unknown"));
    }

    private static string Latin1OrUtf8(byte[] frame)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(frame);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(frame);
        }
    }

    // Writes one ACK within the write timeout; false when the peer cannot take it (the connection is then closed).
    private async Task<bool> AnswerAsync(Stream stream, string ack, Connection connection)
    {
        using var write = new CancellationTokenSource(_options.WriteTimeout);
        try
        {
            await MllpFrameWriter.WriteFrameAsync(stream, Encoding.UTF8.GetBytes(ack), write.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (write.IsCancellationRequested)
        {
            Log.WriteTimedOut(_logger, connection.Id, _options.WriteTimeout.TotalSeconds);
            return false;
        }
    }

    private sealed class Connection(long id, IPAddress peer, TcpClient client, long lastActivity, CancellationTokenSource cancellation)
    {
        private long _lastActivity = lastActivity;

        public long Id { get; } = id;

        public IPAddress Peer { get; } = peer;

        public TcpClient Client { get; } = client;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public Task Serving { get; set; } = Task.CompletedTask;

        public long LastActivity => Interlocked.Read(ref _lastActivity);

        public volatile bool Idle;

        public volatile bool Evicted;

        public void Touch(TimeProvider time) => Interlocked.Exchange(ref _lastActivity, time.GetTimestamp());

        public void Close()
        {
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already closed.
            }

            Client.Dispose();
        }
    }
}
