using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CsCheck;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Parsing;
using Microsoft.Extensions.Logging;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Hl7V2.Tests.Mllp;

/// <summary>
/// The faults a real feed produces, over real sockets on loopback: poison frames, stray start bytes, hostile
/// headers, idle and non-reading peers, connection storms, stopping mid-stream, and random byte streams.
/// </summary>
public class MllpListenerFaultTests
{
    private const string Good = "MSH|^~\\&|SEND|FAC|RECV|HOSP|20240101120000||ADT^A01|CTRL-1|P|2.5.1\rPID|1||42^^^H^MR||Doe^Jane||19800101|F\r";

    private static string Message(string controlId) => Good.Replace("CTRL-1", controlId, StringComparison.Ordinal);

    private static async Task<(TcpClient Client, NetworkStream Stream, MllpFrameReader Acks)> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var client = new TcpClient();
        await client.ConnectAsync(endPoint, cancellationToken);
        var stream = client.GetStream();
        return (client, stream, new MllpFrameReader(stream));
    }

    private static async Task<Hl7V2Message> ReadAckAsync(MllpFrameReader acks, CancellationToken cancellationToken)
    {
        var frame = await acks.ReadFrameAsync(cancellationToken) ?? throw new InvalidOperationException("The receiver closed the connection without an ACK.");
        // Every ACK must itself be a well-formed HL7 v2 message.
        return Hl7V2Parser.ParseMessage(Encoding.UTF8.GetString(frame));
    }

    private static async Task WriteRawAsync(Stream stream, byte[] bytes, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(bytes, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static byte[] Frame(string text) => [0x0B, .. Encoding.UTF8.GetBytes(text), 0x1C, 0x0D];

    [Theory]
    [InlineData("MSH\rPID|1|||\r")]
    [InlineData("MSH")]
    [InlineData("MSH|")]
    [InlineData("MSH|^~")]
    [InlineData("\r\r\r")]
    [InlineData("")]
    public async Task Listener_PoisonFrame_GetsOneWellFormedRejectAndKeepsServing(string poison)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var listener = new MllpListener(new MllpListenerOptions(), (_, _) => ValueTask.CompletedTask);
        var (client, stream, acks) = await ConnectAsync(listener.Start(), timeout.Token);
        using (client)
        {
            await WriteRawAsync(stream, Frame(poison), timeout.Token);
            var reject = await ReadAckAsync(acks, timeout.Token);
            await WriteRawAsync(stream, Frame(Message("AFTER-1")), timeout.Token);
            var after = await ReadAckAsync(acks, timeout.Token);

            Assert.Equal("AR", reject.Get("MSA-1"));
            Assert.Equal("AA", after.Get("MSA-1"));
            Assert.Equal("AFTER-1", after.Get("MSA-2"));
        }
    }

    [Fact]
    public async Task Listener_EscapedControlCharactersInHeader_AckStaysWellFormed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var listener = new MllpListener(new MllpListenerOptions(), (_, _) => ValueTask.CompletedTask);
        var (client, stream, acks) = await ConnectAsync(listener.Start(), timeout.Token);
        using (client)
        {
            // MSH-3..6 hold escapes of the MLLP start block, a field separator and a line feed; the body does not parse.
            const string hostile = "MSH|^~\\&|A\\X0B\\B|F\\F\\G|R\\X0A\\S|H\\X1C\\|20240101||ADT^A01|ESC-1|P|2.5\r\u0001\u0002garbage\r";
            await WriteRawAsync(stream, Frame(hostile), timeout.Token);
            var ack = await ReadAckAsync(acks, timeout.Token);

            Assert.Equal("AR", ack.Get("MSA-1"));
            Assert.Equal("ESC-1", ack.Get("MSA-2"));
            Assert.True("ACK" == ack.MessageType, ack.Header.ToString());
            // No field shifted: the version and processing id are where they belong, and the addresses swapped whole.
            Assert.Equal("P", ack.Get("MSH-11"));
            Assert.Equal("A\\X0B\\B", ack.Header.Field(5).Raw.ToString());
            Assert.StartsWith("2.", ack.Get("MSH-12"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Listener_StrayStartBytes_NextMessageIsReadWhole()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var handled = new List<string?>();
        await using var listener = new MllpListener(new MllpListenerOptions(), (m, _) =>
        {
            lock (handled)
            {
                handled.Add(m.Message.ControlId);
            }

            return ValueTask.CompletedTask;
        });
        var (client, stream, acks) = await ConnectAsync(listener.Start(), timeout.Token);
        using (client)
        {
            // A stray start byte, a repeated one, and a message whose end bytes never came, each followed by a valid frame.
            await WriteRawAsync(stream, [0x0B, .. Frame(Message("R-1"))], timeout.Token);
            var first = await ReadAckAsync(acks, timeout.Token);
            await WriteRawAsync(stream, [0x0B, 0x0B, .. Frame(Message("R-2"))], timeout.Token);
            var second = await ReadAckAsync(acks, timeout.Token);
            await WriteRawAsync(stream, [0x0B, .. Encoding.UTF8.GetBytes(Message("CUT")[..40]), .. Frame(Message("R-3"))], timeout.Token);
            var third = await ReadAckAsync(acks, timeout.Token);

            Assert.Equal(["AA", "AA", "AA"], new[] { first, second, third }.Select(a => a.Get("MSA-1")));
            Assert.Equal(["R-1", "R-2", "R-3"], new[] { first, second, third }.Select(a => a.Get("MSA-2")));
        }

        Assert.Equal(["R-1", "R-2", "R-3"], handled);
    }

    [Fact]
    public async Task Listener_OversizedFrame_RejectNamesTheControlId()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var listener = new MllpListener(new MllpListenerOptions { MaxFrameBytes = 1024 }, (_, _) => ValueTask.CompletedTask);
        var (client, stream, acks) = await ConnectAsync(listener.Start(), timeout.Token);
        using (client)
        {
            await WriteRawAsync(stream, Frame(Message("BIG-1") + "OBX|1|TX|x||" + new string('x', 10_000) + "\r"), timeout.Token);
            var ack = await ReadAckAsync(acks, timeout.Token);

            Assert.Equal("AR", ack.Get("MSA-1"));
            Assert.Equal("BIG-1", ack.Get("MSA-2"));
        }
    }

    [Fact]
    public async Task Listener_HandlerThrowsContentError_IsRejectNotRetry()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var listener = new MllpListener(new MllpListenerOptions(), (m, _) => m.Message.ControlId == "POISON"
            ? throw new Hl7V2ParseException(HealthRecordErrorCode.MalformedContent, "cannot convert")
            : throw new IOException("the store is away"));
        var (client, stream, acks) = await ConnectAsync(listener.Start(), timeout.Token);
        using (client)
        {
            await WriteRawAsync(stream, Frame(Message("POISON")), timeout.Token);
            var poison = await ReadAckAsync(acks, timeout.Token);
            await WriteRawAsync(stream, Frame(Message("TRANSIENT")), timeout.Token);
            var transient = await ReadAckAsync(acks, timeout.Token);

            Assert.Equal("AR", poison.Get("MSA-1"));
            Assert.Equal("AE", transient.Get("MSA-1"));
        }
    }

    [Fact]
    public async Task Listener_AllSlotsHeldByIdlePeers_NewSenderIsServedByEvictingTheOldestIdle()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var listener = new MllpListener(new MllpListenerOptions { MaxConnections = 4, MaxConnectionsPerPeer = 4 }, (_, _) => ValueTask.CompletedTask);
        var endPoint = listener.Start();
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(endPoint, timeout.Token);
                idle.Add(c);
            }

            await WaitUntilAsync(() => listener.OpenConnections == 4, timeout.Token);
            var started = DateTime.UtcNow;
            var (client, stream, acks) = await ConnectAsync(endPoint, timeout.Token);
            using (client)
            {
                await WriteRawAsync(stream, Frame(Message("NEW-1")), timeout.Token);
                var ack = await ReadAckAsync(acks, timeout.Token);

                Assert.Equal("AA", ack.Get("MSA-1"));
                Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "the new sender waited for a slot");
                Assert.Equal(1, listener.EvictedCount);
            }
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Listener_PeerThatNeverReads_IsClosedAfterTheWriteTimeout()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var listener = new MllpListener(new MllpListenerOptions { WriteTimeout = TimeSpan.FromMilliseconds(500) }, (_, _) => ValueTask.CompletedTask);
        var endPoint = listener.Start();
        using var client = new TcpClient { ReceiveBufferSize = 1024 };
        await client.ConnectAsync(endPoint, timeout.Token);
        var stream = client.GetStream();
        // Send many messages and never read an ACK: the ACKs fill the socket buffers and the listener's write stalls.
        var frames = Enumerable.Repeat(Frame(Message("FLOOD")), 200).SelectMany(f => f).ToArray();
        try
        {
            for (var i = 0; i < 2000 && listener.OpenConnections > 0; i++)
            {
                await WriteRawAsync(stream, frames, timeout.Token);
            }
        }
        catch (IOException)
        {
            // The listener closed the connection: what this test waits for.
        }

        await WaitUntilAsync(() => listener.OpenConnections == 0, timeout.Token);
    }

    [Fact]
    public async Task Listener_TwoHundredSendersAtOnce_EverySenderGetsItsAck()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var handled = 0;
        await using var listener = new MllpListener(new MllpListenerOptions { MaxConnectionsPerPeer = 64 }, (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        });
        var endPoint = listener.Start();

        // 200 senders connect at once to 64 slots. A sender whose idle connection is closed to make room (or refused)
        // reconnects and sends again, as MLLP senders do; every one must get its AA in bounded time.
        var acks = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    var (client, stream, reader) = await ConnectAsync(endPoint, timeout.Token);
                    using (client)
                    {
                        await WriteRawAsync(stream, Frame(Message("C-" + i)), timeout.Token);
                        return await ReadAckAsync(reader, timeout.Token);
                    }
                }
                catch (Exception ex) when (attempt < 50 && ex is IOException or SocketException or InvalidOperationException or MllpFramingException)
                {
                    await Task.Delay(10 * (attempt + 1), timeout.Token);
                }
            }
        }));

        Assert.All(acks, a => Assert.Equal("AA", a.Get("MSA-1")));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "C-" + i).Order(StringComparer.Ordinal), acks.Select(a => a.Get("MSA-2")!).Order(StringComparer.Ordinal));
        Assert.True(handled >= 200);
    }

    [Fact]
    public async Task Listener_Slowloris_IsCutOffWhileOthersAreServed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var listener = new MllpListener(new MllpListenerOptions { IdleTimeout = TimeSpan.FromSeconds(1) }, (_, _) => ValueTask.CompletedTask);
        var endPoint = listener.Start();
        var (slow, slowStream, _) = await ConnectAsync(endPoint, timeout.Token);
        using (slow)
        {
            // One byte every 100 ms: a frame that would take minutes.
            var drip = Task.Run(async () =>
            {
                try
                {
                    await WriteRawAsync(slowStream, [0x0B], timeout.Token);
                    foreach (var b in Encoding.UTF8.GetBytes(Good + Good + Good))
                    {
                        await WriteRawAsync(slowStream, [b], timeout.Token);
                        await Task.Delay(100, timeout.Token);
                    }

                    return false;
                }
                catch (IOException)
                {
                    return true; // the listener closed the connection
                }
            });

            var (client, stream, acks) = await ConnectAsync(endPoint, timeout.Token);
            using (client)
            {
                await WriteRawAsync(stream, Frame(Message("FAST-1")), timeout.Token);
                Assert.Equal("AA", (await ReadAckAsync(acks, timeout.Token)).Get("MSA-1"));
            }

            await WaitUntilAsync(() => listener.OpenConnections == 0, timeout.Token);
            Assert.True(await drip);
        }
    }

    [Fact]
    public async Task StopAsync_WhileConnectionsFailAndHandlersRun_NeverThrows()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = new MllpListener(new MllpListenerOptions(), async (_, ct) => await Task.Delay(200, ct));
        var endPoint = listener.Start();
        var (client, stream, _) = await ConnectAsync(endPoint, timeout.Token);
        await WriteRawAsync(stream, Frame(Message("SLOW-1")), timeout.Token);
        await WriteRawAsync(stream, [0x0B, .. "MSH|^~\\&|A\\X0B\\|B"u8.ToArray()], timeout.Token);
        client.Client.LingerState = new LingerOption(true, 0);
        client.Dispose(); // reset mid-frame

        await listener.StopAsync();
        await listener.DisposeAsync();
        await listener.StopAsync();
    }

    [Fact]
    public async Task Listener_SigtermMidStream_EveryAckedMessageWasHandled()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var handled = new HashSet<string>();
        var listener = new MllpListener(new MllpListenerOptions(), (m, _) =>
        {
            lock (handled)
            {
                handled.Add(m.Message.ControlId!);
            }

            return ValueTask.CompletedTask;
        });
        var (client, stream, acks) = await ConnectAsync(listener.Start(), timeout.Token);
        var acked = new List<string>();
        using (client)
        {
            var sender = Task.Run(async () =>
            {
                try
                {
                    for (var i = 0; i < 10_000; i++)
                    {
                        await WriteRawAsync(stream, Frame(Message("S-" + i)), timeout.Token);
                        var ack = await ReadAckAsync(acks, timeout.Token);
                        if (ack.Get("MSA-1") == "AA")
                        {
                            acked.Add(ack.Get("MSA-2")!);
                        }
                    }
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or MllpFramingException or SocketException)
                {
                    // The listener stopped.
                }
            });
            await WaitUntilAsync(() => acked.Count >= 50, timeout.Token);
            await listener.StopAsync();
            await sender;
        }

        Assert.NotEmpty(acked);
        Assert.All(acked, id => Assert.Contains(id, handled));
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task Listener_Tls_AcknowledgesOverAnEncryptedConnection()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        await using var listener = new MllpListener(
            new MllpListenerOptions { Tls = new SslServerAuthenticationOptions { ServerCertificate = certificate } },
            (_, _) => ValueTask.CompletedTask);
        var endPoint = listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(endPoint, timeout.Token);
        await using var ssl = new SslStream(client.GetStream(), false, (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, timeout.Token);

        await MllpFrameWriter.WriteFrameAsync(ssl, Message("TLS-1"), timeout.Token);
        var ack = await ReadAckAsync(new MllpFrameReader(ssl), timeout.Token);

        Assert.Equal("AA", ack.Get("MSA-1"));
        Assert.Equal("TLS-1", ack.Get("MSA-2"));
    }

    [Fact]
    public async Task Listener_RejectLogs_CarryNoMessageContent()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new CapturingLogger();
        await using var listener = new MllpListener(new MllpListenerOptions(), (_, _) => ValueTask.CompletedTask, logs);
        var (client, stream, acks) = await ConnectAsync(listener.Start(), timeout.Token);
        using (client)
        {
            // Names and an SSN in lines that do not parse.
            await WriteRawAsync(stream, Frame("MSH|^~\\&|A|B|C|D|2024||ADT^A01|L-1|P|2.5\rZZ SMITHERSON 123-45-6789\r"), timeout.Token);
            await ReadAckAsync(acks, timeout.Token);
            await WriteRawAsync(stream, Frame("SMITHERSON^JOHANNA|123-45-6789"), timeout.Token);
            await ReadAckAsync(acks, timeout.Token);
        }

        await listener.StopAsync();
        Assert.Contains(logs.Lines, l => l.Contains("rejected", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("SMITHERSON", StringComparison.OrdinalIgnoreCase) || l.Contains("6789", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Listener_RandomAndMutatedByteStreams_EveryFrameGetsOneWellFormedAck_Property()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var listener = new MllpListener(new MllpListenerOptions { MaxFrameBytes = 8 * 1024 }, (_, _) => ValueTask.CompletedTask);
        var endPoint = listener.Start();
        var seeds = new[] { Good, Fixtures.Text("fhir-converter/ORU-R01-01.hl7"), Fixtures.Text("fhir-converter/VXU.hl7") };
        // Frame bodies without framing bytes: random bytes, or a real message with bytes replaced (escapes, controls, delimiters).
        var randomBody = Gen.Byte.Array[0, 300].Select(b => b.Where(x => x is not (0x0B or 0x1C)).ToArray());
        var mutatedBody = Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Select(Gen.Int[0, int.MaxValue], Gen.OneOf(Gen.Byte[0, 0x1F], Gen.Byte[(byte)'\\', (byte)'\\'], Gen.Byte[(byte)'|', (byte)'|'], Gen.Byte[0x80, 0xFF], Gen.Byte[(byte)' ', (byte)'~'])).Array[1, 8])
            .Select((seed, edits) =>
            {
                var bytes = Encoding.UTF8.GetBytes(seeds[seed]);
                foreach (var (position, b) in edits)
                {
                    bytes[position % bytes.Length] = b;
                }

                return bytes.Where(x => x is not (0x0B or 0x1C)).ToArray();
            });

        var (client, stream, acks) = await ConnectAsync(endPoint, timeout.Token);
        using (client)
        {
            await Gen.OneOf(randomBody, mutatedBody).Array[1, 5].SampleAsync(async bodies =>
            {
                foreach (var body in bodies)
                {
                    await WriteRawAsync(stream, [0x0B, .. body, 0x1C, 0x0D], timeout.Token);
                }

                foreach (var _ in bodies)
                {
                    var ack = await ReadAckAsync(acks, timeout.Token);
                    Assert.Contains(ack.Get("MSA-1"), new[] { "AA", "AE", "AR" });
                }
            }, iter: 300, threads: 1);

            await WriteRawAsync(stream, Frame(Message("STILL-1")), timeout.Token);
            Assert.Equal("STILL-1", (await ReadAckAsync(acks, timeout.Token)).Get("MSA-2"));
        }
    }

    [Fact]
    public void Parse_RandomBytes_OnlyTypedErrors_Property()
    {
        var seeds = new[] { Encoding.UTF8.GetBytes(Good), Fixtures.Bytes("fhir-converter/ORU-R01-01.hl7") };
        var mutated = Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Select(Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 10], Gen.Int[0, int.MaxValue])
            .Select((seed, edits, cut) =>
            {
                var bytes = (byte[])seeds[seed].Clone();
                foreach (var (position, b) in edits)
                {
                    bytes[position % bytes.Length] = b;
                }

                return bytes[..(cut % (bytes.Length + 1))];
            });
        Gen.OneOf(Gen.Byte.Array[0, 200], mutated, Gen.Const("MSH"u8.ToArray()), Gen.Const("MSH\r"u8.ToArray())).Sample(bytes =>
        {
            try
            {
                Hl7V2Parser.Parse(bytes);
            }
            catch (Hl7V2ParseException)
            {
                // The one typed error the parser may raise.
            }
        }, iter: 5000);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private sealed class CapturingLogger : ILogger<MllpListener>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception) + " " + exception);
            }
        }
    }
}
