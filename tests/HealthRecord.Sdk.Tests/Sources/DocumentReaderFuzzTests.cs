using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Sources;

/// <summary>
/// Every registered document reader, fed random bytes, invalid encodings, truncations and mutations of real fixture
/// documents and deep nesting: it reads, or refuses with a <see cref="SourceReadException"/>; nothing else escapes.
/// </summary>
public class DocumentReaderFuzzTests
{
    private static readonly Lazy<IReadOnlyList<ISourceDocumentReader>> Readers = new(() =>
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.AddCcda().AddHl7V2());
        var provider = services.BuildServiceProvider();
        return provider.GetServices<ISourceDocumentReader>().ToList();
    });

    private static readonly Lazy<byte[][]> Seeds = new(() =>
    [
        SmallBundle(),
        File.ReadAllBytes(Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data", "northeast-lab", "Patient.ndjson")),
        Encoding.UTF8.GetBytes("""
            <Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
              <entry><fullUrl value="urn:uuid:1"/><resource><Patient><id value="p1"/><name><family value="Doe"/><given value="Jane"/></name><birthDate value="1970-01-01"/></Patient></resource></entry>
              <entry><resource><Observation><id value="o1"/><status value="final"/><code><text value="Glucose"/></code><subject><reference value="Patient/p1"/></subject><valueQuantity><value value="5.4"/><unit value="mmol/L"/></valueQuantity></Observation></resource></entry>
            </Bundle>
            """),
        File.ReadAllBytes(Corpus.Fixture("ccda/ONC_Afoundria_CCD_Jones_Myra.xml")),
        File.ReadAllBytes(Corpus.Fixture("hl7v2/fhir-converter/ADT-A01-02.hl7")),
        File.ReadAllBytes(Corpus.Fixture("hl7v2/fhir-converter/ORM-O01-03.hl7")),
    ]);

    private static byte[] SmallBundle()
    {
        var bundle = JsonNode.Parse(File.ReadAllText(TestHost.SampleSources[1].Path))!.AsObject();
        var entries = bundle["entry"]!.AsArray();
        while (entries.Count > 12)
        {
            entries.RemoveAt(entries.Count - 1);
        }

        return Encoding.UTF8.GetBytes(bundle.ToJsonString());
    }

    private static readonly byte[][] InvalidSequences =
    [
        [0xC3, 0x28], [0xFF], [0xFE, 0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82], [0x00], [0x0B], [0x1C, 0x0D],
    ];

    /// <summary>Asserts the reader reads the content, or refuses it with a typed error, and never throws anything else.</summary>
    private static async Task AssertTypedAsync(byte[] content)
    {
        var head = content.AsSpan(0, Math.Min(content.Length, 4096)).ToArray();
        foreach (var reader in Readers.Value)
        {
            var canRead = false;
            var ex = Record.Exception(() => canRead = reader.CanRead(head));
            Assert.True(ex is null, $"{reader.Format}.CanRead threw {ex}");
            _ = canRead;

            var document = SourceDocument.FromBytes("fuzz", "doc", content);
            try
            {
                await foreach (var record in reader.ReadAsync(document))
                {
                    Assert.NotNull(record.Location);
                    Assert.True(record.Resource is not null || record.Rejection is not null, $"{reader.Format} gave a record with neither a resource nor a rejection.");
                }
            }
            catch (SourceReadException)
            {
                // A typed refusal of the whole document: expected for most fuzz input.
            }
            catch (Exception other)
            {
                Assert.Fail($"{reader.Format} let {other.GetType().Name} escape on {content.Length} bytes ({Convert.ToBase64String(content.AsSpan(0, Math.Min(64, content.Length)))}…): {other}");
            }
        }
    }

    [Fact]
    public void Readers_AreEveryBuiltInFormat() =>
        Assert.Equal(["ccda", "fhir-json", "fhir-xml", "hl7v2"], Readers.Value.Select(r => r.Format).Order(StringComparer.Ordinal));

    [Fact]
    public async Task ReadAsync_RandomBytes_OnlyTypedErrors() =>
        await Gen.Byte.Array[0, 4096].SampleAsync(AssertTypedAsync, iter: 300);

    [Fact]
    public async Task ReadAsync_FormatPrefixThenRandomBytes_OnlyTypedErrors()
    {
        string[] prefixes = ["{\"resourceType\":\"Bundle\",\"entry\":[", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"", "MSH|^~\\&|", "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">", "<Patient xmlns=\"http://hl7.org/fhir\">"];
        await Gen.Select(Gen.Int[0, prefixes.Length - 1], Gen.Byte.Array[0, 2048])
            .SampleAsync(t => AssertTypedAsync([.. Encoding.UTF8.GetBytes(prefixes[t.Item1]), .. t.Item2]), iter: 300);
    }

    [Fact]
    public async Task ReadAsync_TruncatedFixtures_OnlyTypedErrors() =>
        await Gen.Select(Gen.Int[0, Seeds.Value.Length - 1], Gen.Double[0, 1])
            .SampleAsync(t =>
            {
                var seed = Seeds.Value[t.Item1];
                return AssertTypedAsync(seed[..(int)(seed.Length * t.Item2)]);
            }, iter: 120);

    [Fact]
    public async Task ReadAsync_FixturesWithInvalidEncodingSequences_OnlyTypedErrors() =>
        await Gen.Select(Gen.Int[0, Seeds.Value.Length - 1], Gen.Select(Gen.Double[0, 1], Gen.Int[0, InvalidSequences.Length - 1]).Array[1, 6])
            .SampleAsync(t =>
            {
                var content = new List<byte>(Seeds.Value[t.Item1]);
                foreach (var (at, which) in t.Item2)
                {
                    content.InsertRange((int)(content.Count * at), InvalidSequences[which]);
                }

                return AssertTypedAsync([.. content]);
            }, iter: 120);

    [Fact]
    public async Task ReadAsync_FixturesWithFlippedBytes_OnlyTypedErrors() =>
        await Gen.Select(Gen.Int[0, Seeds.Value.Length - 1], Gen.Select(Gen.Double[0, 1], Gen.Byte).Array[1, 20])
            .SampleAsync(t =>
            {
                var content = (byte[])Seeds.Value[t.Item1].Clone();
                foreach (var (at, value) in t.Item2)
                {
                    content[Math.Min(content.Length - 1, (int)(content.Length * at))] = value;
                }

                return AssertTypedAsync(content);
            }, iter: 120);

    [Fact]
    public async Task ReadAsync_FixturesInOtherEncodings_OnlyTypedErrors()
    {
        Encoding[] encodings = [Encoding.Unicode, Encoding.BigEndianUnicode, Encoding.UTF32, Encoding.Latin1];
        foreach (var seed in Seeds.Value)
        {
            var text = Encoding.UTF8.GetString(seed);
            foreach (var encoding in encodings)
            {
                await AssertTypedAsync([.. encoding.GetPreamble(), .. encoding.GetBytes(text)]);
                await AssertTypedAsync(encoding.GetBytes(text.Replace("Jane", "Jâñé\u0001\u2028", StringComparison.Ordinal)));
            }
        }
    }

    public static TheoryData<string, int> Nestings() => new()
    {
        { "json", 200 }, { "json-bundle", 200 }, { "xml", 200 }, { "xml-bundle", 200 }, { "ccda", 200 }, { "hl7v2", 200 },
        { "json", 100_000 }, { "json-bundle", 100_000 }, { "xml", 100_000 }, { "xml-bundle", 100_000 }, { "ccda", 100_000 }, { "hl7v2", 100_000 },
    };

    [Theory]
    [MemberData(nameof(Nestings))]
    public async Task ReadAsync_DeepNesting_OnlyTypedErrors(string shape, int depth)
    {
        string Repeat(string s) => string.Concat(Enumerable.Repeat(s, depth));
        var content = shape switch
        {
            "json" => "{\"resourceType\":\"Patient\",\"extension\":" + Repeat("[{\"extension\":") + "1",
            "json-bundle" => "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":" + Repeat("{\"resourceType\":\"Patient\",\"contained\":["),
            "xml" => "<Patient xmlns=\"http://hl7.org/fhir\">" + Repeat("<extension url=\"x\">") + Repeat("</extension>") + "</Patient>",
            "xml-bundle" => "<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource>" + Repeat("<Patient><contained>") + Repeat("</contained></Patient>") + "</resource></entry></Bundle>",
            "ccda" => "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><component><structuredBody>" + Repeat("<component><section>") + Repeat("</section></component>") + "</structuredBody></component></ClinicalDocument>",
            _ => "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||" + Repeat("^&~") + "\r",
        };

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await AssertTypedAsync(Encoding.UTF8.GetBytes(content));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{shape} nested {depth} deep took {watch.Elapsed.TotalSeconds:0.0} s.");
    }

    [Fact]
    public async Task ReadAsync_HugeTextValue_OnlyTypedErrorsOrRecords()
    {
        var big = new string('a', 3_000_000) + "\r\n\u001b[31m";
        await AssertTypedAsync(Encoding.UTF8.GetBytes("{\"resourceType\":\"Condition\",\"id\":\"c\",\"subject\":{\"reference\":\"Patient/p\"},\"code\":{\"text\":\"" + big.Replace("\r\n", "\\r\\n", StringComparison.Ordinal).Replace("\u001b", "\\u001b", StringComparison.Ordinal) + "\"}}"));
    }

    [Fact]
    public async Task FileSystemAdapter_FuzzedFilesInAFolder_NeverThrowsAndReadsTheGoodFile()
    {
        using var folder = TestHost.TempFolder();
        await File.WriteAllBytesAsync(folder.File("0-good.json"), Seeds.Value[0]);
        var random = new Random(12);
        for (var i = 0; i < 40; i++)
        {
            var seed = Seeds.Value[random.Next(Seeds.Value.Length)];
            var content = seed[..random.Next(seed.Length)];
            if (content.Length > 0)
            {
                content[random.Next(content.Length)] = (byte)random.Next(256);
            }

            await File.WriteAllBytesAsync(folder.File($"fuzz-{i:00}.bin"), content);
        }

        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.AddCcda().AddHl7V2());
        using var provider = services.BuildServiceProvider();
        var adapter = provider.GetServices<IEmrSourceAdapter>().OfType<FileSystemSourceAdapter>().Single();
        var results = new List<SourceDocumentResult>();
        await foreach (var d in adapter.ReadAsync(new SourceRequest("fuzz", folder.Path)))
        {
            results.Add(d);
        }

        Assert.Equal(41, results.Count);
        Assert.Equal(12, results[0].Records.Count);
        Assert.All(results, r => Assert.True(r.Error is null || Enum.IsDefined(r.Error.Code)));
    }
}
