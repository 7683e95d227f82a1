using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Hl7V2.Feed;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>
/// The live feed over real loopback sockets: one sender sends the committed single-message fixtures and waits for
/// each ACK (as MLLP senders do). <c>Acknowledge</c> measures the listener alone (parse and ACK); <c>IntoStore</c>
/// journals each message (fsync) and applies it to the in-memory store before the next round.
/// </summary>
[MemoryDiagnoser]
public class Hl7V2FeedBenchmarks
{
    private byte[][] _messages = [];
    private MllpListener? _listener;
    private TcpClient? _client;
    private NetworkStream? _stream;
    private MllpFrameReader? _acks;

    /// <summary>Messages per operation.</summary>
    public int MessageCount => _messages.Length;

    [GlobalSetup]
    public void Setup()
    {
        _messages = [.. Directory.GetFiles(Corpus.Fixture("hl7v2"), "*.hl7", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes)
            .Where(b => Hl7V2Parser.Parse(b).Messages.Count == 1)];
        _listener = new MllpListener(new MllpListenerOptions(), (_, _) => ValueTask.CompletedTask);
        var endPoint = _listener.Start();
        _client = new TcpClient();
        _client.Connect(endPoint);
        _stream = _client.GetStream();
        _acks = new MllpFrameReader(_stream);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _client?.Dispose();
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }
    }

    [Benchmark(Baseline = true)]
    public async Task<int> Acknowledge()
    {
        var n = 0;
        foreach (var m in _messages)
        {
            await MllpFrameWriter.WriteFrameAsync(_stream!, Normalise(m));
            n += (await _acks!.ReadFrameAsync())!.Length;
        }

        return n;
    }

    [Benchmark]
    public async Task<long> IntoStore()
    {
        var folder = Directory.CreateTempSubdirectory("hr-feed-bench-");
        try
        {
            await using var sp = new ServiceCollection().AddHealthRecord(hr => hr.AddHl7V2()).BuildServiceProvider();
            await using var journal = await Hl7V2MessageJournal.OpenAsync(Path.Combine(folder.FullName, "j"));
            await using var feed = new Hl7V2Feed(sp.GetRequiredService<IEhrAggregator>(), sp.GetRequiredService<IEhrStore>(), journal);
            await feed.StartAsync();
            await using var listener = new MllpListener(new MllpListenerOptions(), feed.HandleAsync);
            using var client = new TcpClient();
            await client.ConnectAsync(listener.Start());
            var stream = client.GetStream();
            var acks = new MllpFrameReader(stream);
            foreach (var m in _messages)
            {
                await MllpFrameWriter.WriteFrameAsync(stream, Normalise(m));
                await acks.ReadFrameAsync();
            }

            await feed.WhenAppliedAsync();
            return feed.AppliedCount;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    // Files may end segments with LF; MLLP frames carry CR.
    private static byte[] Normalise(byte[] message) => [.. message.Select(b => b == (byte)'\n' ? (byte)'\r' : b)];
}
