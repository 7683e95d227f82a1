using System.Net;
using System.Net.Sockets;
using System.Text;
using HealthRecord.Sdk.Hl7V2.Parsing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>
/// An MLLP receiver over a <see cref="TcpListener"/>: parses each framed message, hands it to the host's handler and
/// answers with an original-mode ACK: AA when the handler completes, AE when it throws, AR when the frame is not a
/// well-formed HL7 v2 message (or the handler throws <see cref="Hl7V2MessageRejectedException"/>). Bad input never
/// stops the listener: the connection keeps serving when the framing allows, and other connections are unaffected.
/// </summary>
/// <remarks>
/// Messages of one connection are handled one at a time, in order; connections are served concurrently (up to
/// <see cref="MllpListenerOptions.MaxConnections"/>), so the handler must be thread-safe. Start with <see cref="Start"/>,
/// stop with <see cref="StopAsync"/> or by disposing.
/// </remarks>
public sealed class MllpListener : IAsyncDisposable
{
    private readonly MllpListenerOptions _options;
    private readonly Func<Hl7V2ReceivedMessage, CancellationToken, ValueTask> _handler;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _connections;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _running = [];
    private readonly Lock _gate = new();
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private long _connectionIds;
    private long _accepted;
    private long _errors;
    private long _rejected;

    /// <summary>Creates a listener (not yet listening).</summary>
    /// <param name="options">Address, port and limits.</param>
    /// <param name="handler">Called for each well-formed message; completes to accept it, throws to refuse it.</param>
    /// <param name="logger">The logger; no message content is logged.</param>
    /// <param name="timeProvider">The clock used for ACK timestamps.</param>
    public MllpListener(MllpListenerOptions options, Func<Hl7V2ReceivedMessage, CancellationToken, ValueTask> handler, ILogger<MllpListener>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.IdleTimeout, TimeSpan.Zero);
        _options = options;
        _handler = handler;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _connections = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
    }

    /// <summary>The address the listener is bound to (with the actual port), once started.</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndpoint as IPEndPoint;

    /// <summary>The number of messages answered AA.</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    /// <summary>The number of messages answered AE.</summary>
    public long ErrorCount => Interlocked.Read(ref _errors);

    /// <summary>The number of frames answered AR.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejected);

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

    /// <summary>Stops accepting, closes the connections and waits for their handlers to finish.</summary>
    /// <returns>A task that completes when everything has stopped.</returns>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task[] running;
        lock (_gate)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        Log.ListenerStopped(_logger);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _connections.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                await _connections.WaitAsync(cancellationToken).ConfigureAwait(false);
                client = await _listener!.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var id = Interlocked.Increment(ref _connectionIds);
            var task = Task.Run(() => ServeAsync(client, id, cancellationToken), CancellationToken.None);
            lock (_gate)
            {
                _running.RemoveAll(t => t.IsCompleted);
                _running.Add(task);
            }
        }
    }

    private async Task ServeAsync(TcpClient client, long connectionId, CancellationToken cancellationToken)
    {
        long frames = 0;
        try
        {
            using (client)
            {
                Log.ConnectionOpened(_logger, connectionId);
                var remote = client.Client.RemoteEndPoint;
                var stream = client.GetStream();
                await using (stream.ConfigureAwait(false))
                {
                    var reader = new MllpFrameReader(stream, _options.MaxFrameBytes);
                    while (!cancellationToken.IsCancellationRequested)
                    {
                        byte[]? frame;
                        using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                        {
                            idle.CancelAfter(_options.IdleTimeout);
                            try
                            {
                                frame = await reader.ReadFrameAsync(idle.Token).ConfigureAwait(false);
                            }
                            catch (MllpFramingException ex) when (ex.Recoverable)
                            {
                                frames = reader.FrameCount;
                                var error = new Hl7V2AcknowledgmentError(ex.Message, "102");
                                await AnswerAsync(stream, Hl7V2Acknowledgment.CreateForUnparsed(null, Hl7V2AcknowledgmentCode.Reject, error, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
                                Interlocked.Increment(ref _rejected);
                                Log.MessageRejected(_logger, connectionId, reader.FrameCount, "AR", ex.Message);
                                continue;
                            }
                        }

                        if (frame is null)
                        {
                            break;
                        }

                        frames = reader.FrameCount;
                        var ack = await HandleFrameAsync(frame, remote, connectionId, reader.FrameCount, cancellationToken).ConfigureAwait(false);
                        await AnswerAsync(stream, ack, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping, or the connection stayed idle too long.
        }
        catch (Exception ex) when (ex is IOException or SocketException or MllpFramingException or ObjectDisposedException)
        {
            Log.ConnectionFailed(_logger, connectionId, ex.GetType().Name + ": " + ex.Message);
        }
        finally
        {
            _connections.Release();
            Log.ConnectionClosed(_logger, connectionId, frames);
        }
    }

    private async Task<string> HandleFrameAsync(byte[] frame, EndPoint? remote, long connectionId, long frameIndex, CancellationToken cancellationToken)
    {
        Hl7V2Message message;
        try
        {
            var batch = Hl7V2Parser.Parse(frame, _options.Parser);
            if (batch.Messages.Count != 1)
            {
                throw new Hl7V2ParseException(Errors.HealthRecordErrorCode.MalformedContent, $"An MLLP frame must hold exactly one message; this one holds {batch.Messages.Count}.");
            }

            message = batch.Messages[0];
        }
        catch (Hl7V2ParseException ex)
        {
            Interlocked.Increment(ref _rejected);
            Log.MessageRejected(_logger, connectionId, frameIndex, "AR", ex.Message);
            return Hl7V2Acknowledgment.CreateForUnparsed(Latin1OrUtf8(frame), Hl7V2AcknowledgmentCode.Reject, Hl7V2AcknowledgmentError.From(ex), _time.GetUtcNow());
        }

        try
        {
            await _handler(new Hl7V2ReceivedMessage(message, frame, remote, connectionId, frameIndex), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Hl7V2MessageRejectedException ex)
        {
            Interlocked.Increment(ref _rejected);
            Log.MessageRejected(_logger, connectionId, frameIndex, "AR", ex.Message);
            return Hl7V2Acknowledgment.Create(message, Hl7V2AcknowledgmentCode.Reject, new Hl7V2AcknowledgmentError(ex.Message), _time.GetUtcNow());
        }
#pragma warning disable CA1031 // A failing host handler must not stop the receiver: the sender gets AE and may retry.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _errors);
            Log.HandlerFailed(_logger, connectionId, frameIndex, ex.GetType().Name);
            return Hl7V2Acknowledgment.Create(message, Hl7V2AcknowledgmentCode.Error, new Hl7V2AcknowledgmentError("The receiving application could not process the message."), _time.GetUtcNow());
        }

        Interlocked.Increment(ref _accepted);
        Log.MessageAcknowledged(_logger, connectionId, frameIndex, message.MessageType, message.TriggerEvent, "AA");
        return Hl7V2Acknowledgment.Create(message, Hl7V2AcknowledgmentCode.Accept, null, _time.GetUtcNow());
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

    private static ValueTask AnswerAsync(Stream stream, string ack, CancellationToken cancellationToken) =>
        MllpFrameWriter.WriteFrameAsync(stream, Encoding.UTF8.GetBytes(ack), cancellationToken);
}
