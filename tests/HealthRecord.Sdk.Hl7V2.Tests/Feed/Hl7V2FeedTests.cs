using System.Net;
using System.Net.Sockets;
using System.Text;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Hl7V2.Feed;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.Hl7V2.Sources;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Hl7V2.Tests.Feed;

/// <summary>A live feed end to end: real MLLP on loopback into a store, restarts, re-sent copies, and the same EHRs as aggregating the files.</summary>
public partial class Hl7V2FeedTests
{
    // ADT, ORU and VXU messages of several patients, each file one message.
    private static readonly string[] FeedFiles =
    [
        "fhir-converter/ADT-A01-01.hl7",
        "fhir-converter/ADT-A04-01.hl7",
        "fhir-converter/ADT-A08-01.hl7",
        "fhir-converter/ORU-R01-01.hl7",
        "fhir-converter/LAB-ORU-1.hl7",
        "fhir-converter/LRI_2.0-NG_CBC_Typ_Message.hl7",
        "fhir-converter/VXU.hl7",
        "fhir-converter/VXU-V04-01.hl7",
        "fhir-converter/VXU-V04-02.hl7",
    ];

    private static ServiceProvider Host() => new ServiceCollection().AddLogging().AddHealthRecord(hr => hr.AddHl7V2()).BuildServiceProvider();

    private static async Task<List<string>> SendAllAsync(IPEndPoint endPoint, IEnumerable<string> messages, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endPoint, cancellationToken);
        var stream = client.GetStream();
        var acks = new MllpFrameReader(stream);
        var codes = new List<string>();
        foreach (var message in messages)
        {
            await MllpFrameWriter.WriteFrameAsync(stream, message, cancellationToken);
            var ack = Hl7V2Parser.ParseMessage(Encoding.UTF8.GetString((await acks.ReadFrameAsync(cancellationToken))!));
            codes.Add(ack.Get("MSA-1")!);
        }

        return codes;
    }

    private static async Task<(Hl7V2Feed Feed, MllpListener Listener, Hl7V2MessageJournal Journal)> StartAsync(IServiceProvider sp, string journalPath)
    {
        var journal = await Hl7V2MessageJournal.OpenAsync(journalPath);
        var feed = new Hl7V2Feed(sp.GetRequiredService<IEhrAggregator>(), sp.GetRequiredService<IEhrStore>(), journal);
        await feed.StartAsync();
        var listener = new MllpListener(new MllpListenerOptions(), feed.HandleAsync);
        listener.Start();
        return (feed, listener, journal);
    }

    private static async Task StopAsync((Hl7V2Feed Feed, MllpListener Listener, Hl7V2MessageJournal Journal) running)
    {
        await running.Listener.DisposeAsync();
        await running.Feed.DisposeAsync();
        await running.Journal.DisposeAsync();
    }

    private static async Task<List<EhrAggregate>> LatestAsync(IEhrStore store)
    {
        var all = new List<EhrAggregate>();
        await foreach (var person in store.ListPersonsAsync())
        {
            all.Add((await store.GetAsync(person.PersonId))!);
        }

        return [.. all.OrderBy(e => e.PersonId, StringComparer.Ordinal)];
    }

    // What a reader of the EHR sees: every clinical record's type, id and content. Reference data (organisations,
    // practitioners, locations) is left out: the same organisation sent in other patients' messages is one cluster in
    // a batch run, and its id follows the cluster's first source record, which a per-person update does not see.
    private static string[] Content(EhrAggregate ehr) =>
        [.. ehr.Records.Where(r => r.Resource is not (Organization or Practitioner or PractitionerRole or Location))
            .Select(r => r.Reference + " " + ReferenceDataIds().Replace(FhirJson.Serialize(r.Resource), "*\",\"type\":\"$1\"")).Order(StringComparer.Ordinal)];

    [System.Text.RegularExpressions.GeneratedRegex("urn:uuid:[0-9a-f-]{36}\",\"type\":\"(Organization|Practitioner|PractitionerRole|Location)\"")]
    private static partial System.Text.RegularExpressions.Regex ReferenceDataIds();

    [Fact]
    public Task Feed_MessagesOverMllp_GiveTheSameEhrsAsAggregatingTheFiles() =>
        AssertFeedEqualsFilesAsync(FeedFiles.Select(Fixtures.Path));

    [CorpusFact]
    public Task Feed_CorpusAdtOruVxuMessages_GiveTheSameEhrsAsAggregatingTheFiles()
    {
        // Every corpus file that holds one ADT, ORU or VXU message.
        var files = Directory.GetFiles(Corpus.PathOf("hl7v2"), "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".hl7", StringComparison.Ordinal) || f.EndsWith(".txt", StringComparison.Ordinal))
            .Where(f =>
            {
                try
                {
                    var batch = Hl7V2Parser.Parse(File.ReadAllBytes(f));
                    return batch.Messages.Count == 1 && batch.Messages[0].MessageType is "ADT" or "ORU" or "VXU";
                }
                catch (Hl7V2ParseException)
                {
                    return false;
                }
            })
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(files.Count >= 20, $"only {files.Count} ADT/ORU/VXU messages found in the corpus");
        return AssertFeedEqualsFilesAsync(files);
    }

    private static async Task AssertFeedEqualsFilesAsync(IEnumerable<string> paths)
    {
        var files = paths.ToList();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        using var folder = TestHost.TempFolder();
        using var sp = Host();
        var running = await StartAsync(sp, folder.File("feed.journal"));

        var codes = await SendAllAsync(running.Listener.LocalEndPoint!, files.Select(f => Hl7V2Parser.Decode(File.ReadAllBytes(f), [])), timeout.Token);
        await running.Feed.WhenAppliedAsync(timeout.Token);
        await StopAsync(running);

        Assert.All(codes, c => Assert.Equal("AA", c));
        var fed = await LatestAsync(sp.GetRequiredService<IEhrStore>());

        // The same messages as files, aggregated in one run under the same source name.
        var filesFolder = Directory.CreateDirectory(folder.File("files")).FullName;
        for (var i = 0; i < files.Count; i++)
        {
            File.Copy(files[i], Path.Combine(filesFolder, $"{i:D3}-{Path.GetFileName(files[i])}"));
        }

        using var batch = Host();
        var result = await batch.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = [new SourceRequest("mllp", filesFolder)], SaveToStore = false });
        var expected = result.Ehrs.OrderBy(e => e.PersonId, StringComparer.Ordinal).ToList();

        // The same persons (by the source Patients linked into them) with the same records. A person the feed built
        // over several messages keeps the id of its first version (as every stored person does), so where ids agree
        // the content is byte-identical, and where they differ the records are the same per type.
        static string Linked(EhrAggregate e) => string.Join(",", e.LinkedPatients.Select(p => p.SourceResource).Order(StringComparer.Ordinal));
        Assert.Equal(expected.Select(Linked).Order(StringComparer.Ordinal), fed.Select(Linked).Order(StringComparer.Ordinal));
        foreach (var batchEhr in expected)
        {
            var feedEhr = fed.Single(f => Linked(f) == Linked(batchEhr));
            Assert.Equal(batchEhr.CountByType(), feedEhr.CountByType());
            if (feedEhr.PersonId == batchEhr.PersonId)
            {
                var (a, b) = (Content(batchEhr), Content(feedEhr));
                var diff = a.Zip(b).FirstOrDefault(p => p.First != p.Second);
                Assert.True(diff == default, $"batch: {diff.First}\nfeed:  {diff.Second}");
                Assert.Equal(FhirJson.Serialize(batchEhr.Patient), FhirJson.Serialize(feedEhr.Patient));
            }
        }
    }

    /// <summary>A store whose every call fails the way a store that cannot load its native library does.</summary>
    public class BrokenStore : System.Reflection.DispatchProxy
    {
        /// <inheritdoc />
        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) =>
            throw new TypeInitializationException("Native.Store", new DllNotFoundException("libe_sqlite3"));
    }

    [Fact]
    public async Task Feed_StoreFailsWithAnUnexpectedException_CountsAFailureAndKeepsWorking()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var folder = TestHost.TempFolder();
        using var sp = Host();
        var journal = await Hl7V2MessageJournal.OpenAsync(folder.File("feed.journal"));
        var feed = new Hl7V2Feed(sp.GetRequiredService<IEhrAggregator>(), System.Reflection.DispatchProxy.Create<IEhrStore, BrokenStore>(), journal);
        await feed.StartAsync();
        var listener = new MllpListener(new MllpListenerOptions(), feed.HandleAsync);
        listener.Start();

        var codes = await SendAllAsync(listener.LocalEndPoint!, FeedFiles.Take(2).Select(Fixtures.Text), timeout.Token);
        await feed.WhenAppliedAsync(timeout.Token);
        var failures = feed.FailureCount;
        await StopAsync((feed, listener, journal));

        Assert.All(codes, c => Assert.Equal("AA", c)); // journaled before the ACK; applied again at the next start
        Assert.True(failures >= 1, $"failures: {failures}");
    }

    [Fact]
    public async Task Feed_ResentAfterRestart_IsRecognisedAndKeptOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var folder = TestHost.TempFolder();
        using var sp = Host();
        var messages = FeedFiles.Take(4).Select(Fixtures.Text).ToList();

        var first = await StartAsync(sp, folder.File("feed.journal"));
        await SendAllAsync(first.Listener.LocalEndPoint!, messages, timeout.Token);
        await first.Feed.WhenAppliedAsync(timeout.Token);
        await StopAsync(first);
        var store = sp.GetRequiredService<IEhrStore>();
        var before = await LatestAsync(store);

        var second = await StartAsync(sp, folder.File("feed.journal"));
        var codes = await SendAllAsync(second.Listener.LocalEndPoint!, messages, timeout.Token);
        await second.Feed.WhenAppliedAsync(timeout.Token);
        var duplicates = second.Feed.DuplicateCount;
        var count = second.Journal.Count;
        await StopAsync(second);

        Assert.All(codes, c => Assert.Equal("AA", c));
        Assert.Equal(messages.Count, duplicates);
        Assert.Equal(messages.Count, count);
        var after = await LatestAsync(store);
        Assert.Equal(before.Select(e => (e.PersonId, e.Version)), after.Select(e => (e.PersonId, e.Version)));
    }

    [Fact]
    public async Task Feed_KilledAfterAckBeforeApplying_AppliesTheJournalAtTheNextStart()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var folder = TestHost.TempFolder();
        var path = folder.File("feed.journal");
        // What a kill right after the ACKs leaves: the journal holds the messages, the store has none of them.
        await using (var journal = await Hl7V2MessageJournal.OpenAsync(path))
        {
            foreach (var file in FeedFiles.Take(3))
            {
                var message = Hl7V2Parser.ParseMessage(Fixtures.Text(file));
                await journal.AppendAsync("SEND/FAC/" + message.ControlId + "/" + file, Fixtures.Bytes(file));
            }
        }

        using var sp = Host();
        var running = await StartAsync(sp, path);
        await running.Feed.WhenAppliedAsync(timeout.Token);
        var applied = running.Journal.AppliedThrough;
        await StopAsync(running);

        Assert.Equal(3, applied);
        var persons = await LatestAsync(sp.GetRequiredService<IEhrStore>());
        Assert.NotEmpty(persons);
        // Each message carries its own Patient record: all three reached the store.
        Assert.Equal(3, persons.Sum(p => p.LinkedPatients.Count));
    }

    [Fact]
    public async Task Feed_MessageWithNothingUsable_IsRejectedAndNotJournaled()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var folder = TestHost.TempFolder();
        using var sp = Host();
        var running = await StartAsync(sp, folder.File("feed.journal"));

        var codes = await SendAllAsync(running.Listener.LocalEndPoint!, ["MSH|^~\\&|A|B|C|D|2024||ZZZ^Z99|Z-1|P|2.5\rZZZ|1|nothing\r"], timeout.Token);
        var count = running.Journal.Count;
        await StopAsync(running);

        Assert.Equal(["AR"], codes);
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task Feed_UpdateForAPersonWithOtherSources_CarriesTheirRecordsForward()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var folder = TestHost.TempFolder();
        using var sp = Host();
        var store = sp.GetRequiredService<IEhrStore>();
        var reader = new Hl7V2DocumentReader();
        // A person first aggregated from a file source ("clinic"), with the records kept beside the version.
        var clinic = new List<SourceRecord>();
        await foreach (var r in reader.ReadAsync(SourceDocument.FromBytes("clinic", "clinic/adt.hl7", Fixtures.Bytes("fhir-converter/ADT-A01-01.hl7"))))
        {
            clinic.Add(r);
        }

        var first = await sp.GetRequiredService<IEhrAggregator>().AggregateRecordsAsync(clinic, new AggregationRequest { SaveToStore = true });
        var person = Assert.Single(first.Ehrs);
        var clinicRecords = person.Records.Count;

        // Then the live feed sends an update for the same patient (same PID-3).
        var running = await StartAsync(sp, folder.File("feed.journal"));
        var update = Fixtures.Text("fhir-converter/ADT-A01-01.hl7").Replace("|ADT^A01|", "|ADT^A08|", StringComparison.Ordinal);
        var control = Hl7V2Parser.ParseMessage(update).ControlId!;
        update = update.Replace("|" + control + "|", "|" + control + "-UPD|", StringComparison.Ordinal);
        var codes = await SendAllAsync(running.Listener.LocalEndPoint!, [update], timeout.Token);
        await running.Feed.WhenAppliedAsync(timeout.Token);
        var failures = running.Feed.FailureCount;
        await StopAsync(running);

        Assert.Equal(["AA"], codes);
        Assert.Equal(0, failures);
        // Never a shrunken person: the clinic's person still holds every record the clinic gave,
        // and the update reached the store (in that person, or in a person of the feed's own).
        var latest = await store.GetAsync(person.PersonId);
        Assert.NotNull(latest);
        Assert.Contains("clinic", latest.Sources);
        Assert.True(latest.Records.Count >= clinicRecords);
        Assert.Contains(await LatestAsync(store), e => e.Sources.Contains("mllp"));
    }

    [Fact]
    public async Task AddHl7V2Listener_HostedService_ListensAndFeedsTheStore()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var folder = TestHost.TempFolder();
        await using var sp = new ServiceCollection().AddLogging()
            .AddHealthRecord(hr => hr.AddHl7V2Listener(o => o.JournalPath = folder.File("hosted.journal")))
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var service = Assert.Single(sp.GetServices<IHostedService>().OfType<Hl7V2FeedService>());

        await service.StartAsync(timeout.Token);
        var codes = await SendAllAsync(service.LocalEndPoint!, [Fixtures.Text("fhir-converter/VXU.hl7")], timeout.Token);
        await service.Feed!.WhenAppliedAsync(timeout.Token);
        await service.StopAsync(timeout.Token);

        Assert.Equal(["AA"], codes);
        var persons = await LatestAsync(sp.GetRequiredService<IEhrStore>());
        var ehr = Assert.Single(persons);
        Assert.Equal(3, ehr.CountByType()["Immunization"]);
    }
}
