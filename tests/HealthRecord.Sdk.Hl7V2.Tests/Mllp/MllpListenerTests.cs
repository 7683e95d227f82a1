using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Hl7V2.Tests.Mllp;

public class MllpListenerTests
{
    private static readonly string[] Batch =
    [
        "fhir-converter/ADT-A01-01.hl7",
        "fhir-converter/ORU-R01-01.hl7",
        "fhir-converter/LRI_2.0-NG_CBC_Typ_Message.hl7",
        "fhir-converter/VXU.hl7",
        "fhir-converter/MDM-T02-01.hl7",
        "fhir-converter/ADT-A40-01.hl7",
        "v2-to-fhir/Message_MDM_T02.hl7",
    ];

    private static async Task<Hl7V2Message> SendAsync(NetworkStream stream, MllpFrameReader acks, string er7, CancellationToken cancellationToken)
    {
        await MllpFrameWriter.WriteFrameAsync(stream, er7, cancellationToken);
        var ack = await acks.ReadFrameAsync(cancellationToken) ?? throw new InvalidOperationException("The receiver closed the connection without an ACK.");
        return Hl7V2Parser.ParseMessage(Encoding.UTF8.GetString(ack));
    }

    [Fact]
    public async Task Listener_LoopbackBatch_AggregatesAndAcknowledgesEachAndSurvivesBadInput()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var received = new ConcurrentQueue<Hl7V2ConversionResult>();
        await using var listener = new MllpListener(new MllpListenerOptions { MaxFrameBytes = 64 * 1024 }, (message, ct) =>
        {
            if (message.Message.MessageType == "QRY")
            {
                throw new InvalidOperationException("queries are not served here");
            }

            received.Enqueue(Hl7V2Converter.Convert(message.Message));
            return ValueTask.CompletedTask;
        });
        var endPoint = listener.Start();
        Assert.Equal("127.0.0.1", endPoint.Address.ToString());
        Assert.NotEqual(0, endPoint.Port);

        using var client = new TcpClient();
        await client.ConnectAsync(endPoint, timeout.Token);
        var stream = client.GetStream();
        var acks = new MllpFrameReader(stream);

        var expectedControlIds = new List<string?>();
        foreach (var file in Batch)
        {
            var text = Fixtures.Text(file);
            var ack = await SendAsync(stream, acks, text, timeout.Token);
            var sent = Hl7V2Parser.Parse(text).Messages[0];
            expectedControlIds.Add(sent.ControlId);
            Assert.Equal("AA", ack.Get("MSA-1"));
            Assert.Equal(sent.ControlId, ack.Get("MSA-2"));
        }

        // Bad input on the same connection: garbage, a truncated header, an oversized frame, a failing handler.
        var garbage = await SendAsync(stream, acks, "\u0001\u0002 not hl7 at all", timeout.Token);
        Assert.Equal("AR", garbage.Get("MSA-1"));

        var truncated = await SendAsync(stream, acks, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|T-1", timeout.Token);
        Assert.Equal("AR", truncated.Get("MSA-1"));
        Assert.Equal("T-1", truncated.Get("MSA-2"));
        Assert.Equal("12", truncated.Get("ERR-2.3"));

        var huge = await SendAsync(stream, acks, "MSH|^~\\&|A|B|C|D|2024||ORU^R01|H-1|P|2.5\rOBX|1|TX|x||" + new string('x', 100_000) + "\r", timeout.Token);
        Assert.Equal("AR", huge.Get("MSA-1"));

        var failing = await SendAsync(stream, acks, "MSH|^~\\&|A|B|C|D|2024||QRY^A19|Q-1|P|2.3\rQRD|x\r", timeout.Token);
        Assert.Equal("AE", failing.Get("MSA-1"));
        Assert.Equal("Q-1", failing.Get("MSA-2"));

        // Still serving after all that.
        var after = await SendAsync(stream, acks, Fixtures.Text("fhir-converter/LAB-ORU-1.hl7"), timeout.Token);
        Assert.Equal("AA", after.Get("MSA-1"));

        client.Close();
        await listener.StopAsync();

        var results = received.ToList();
        Assert.Equal(Batch.Length + 1, results.Count);
        Assert.Equal([.. expectedControlIds, "182"], results.Select(r => r.Report.ControlId));
        Assert.Equal(Batch.Length + 1, listener.AcceptedCount);
        Assert.Equal(3, listener.RejectedCount);
        Assert.Equal(1, listener.ErrorCount);
        var all = results.SelectMany(r => r.Resources).ToList();
        Assert.Equal(Batch.Length + 1, all.OfType<Patient>().Count());
        Assert.Equal(3, all.OfType<Immunization>().Count());
        Assert.Contains(all.OfType<Observation>(), o => o.Code.Coding[0].Code == "718-7" && o.Value is Quantity { Value: 12.5m });
    }

    [Fact]
    public async Task Listener_SeveralConnections_AreServedConcurrently()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var count = 0;
        await using var listener = new MllpListener(new MllpListenerOptions(), (_, _) =>
        {
            Interlocked.Increment(ref count);
            return ValueTask.CompletedTask;
        });
        var endPoint = listener.Start();
        var text = Fixtures.Text("fhir-converter/ADT-A04-01.hl7");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endPoint, timeout.Token);
            var stream = client.GetStream();
            var acks = new MllpFrameReader(stream);
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal("AA", (await SendAsync(stream, acks, text, timeout.Token)).Get("MSA-1"));
            }
        }));
        await listener.StopAsync();

        Assert.Equal(20, count);
        Assert.Equal(20, listener.AcceptedCount);
    }

    [Fact]
    public async Task Start_Twice_Throws()
    {
        await using var listener = new MllpListener(new MllpListenerOptions(), (_, _) => ValueTask.CompletedTask);
        listener.Start();

        Assert.Throws<InvalidOperationException>(() => listener.Start());
    }
}
