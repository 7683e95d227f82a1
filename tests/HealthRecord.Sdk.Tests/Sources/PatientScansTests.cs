using System.Text;
using CsCheck;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Sources;

/// <summary>The Patient scan of a population run's first pass (<see cref="PatientScans"/>, FHIR JSON's <see cref="IPatientScanningReader"/>).</summary>
public class PatientScansTests
{
    // Element validation on, so element-level problems become the records' warnings (the scan must give the same).
    private readonly FhirJsonDocumentReader _reader = new(Microsoft.Extensions.Options.Options.Create(new HealthRecordOptions { ValidateFhirElements = true }));

    private const string Bundle = """
        {"resourceType":"Bundle","type":"searchset","entry":[
          {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Ash","given":["Ada"]}],"birthDate":"1980-02-03"}},
          {"fullUrl":"urn:uuid:o1","resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:p1"},"bogus":1}},
          {"resource":{"resourceType":"OperationOutcome","id":"oo"},"search":{"mode":"outcome"}},
          {"request":{"method":"DELETE","url":"Patient/gone"}},
          42,
          {"fullUrl":"urn:uuid:none"},
          {"resource":{"resourceType":"Pati\u0065nt","id":"p2","gender":"female","favouriteColour":"blue"}},
          {"resource":{"resourceType":"Patient","id":"p3","gender":"not-a-gender"}},
          {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"}}},
          {"resource":{"id":"nothing"}}
        ]}
        """;

    private const string Ndjson = "{\"resourceType\":\"Patient\",\"id\":\"a\",\"birthDate\":\"1970-01-01\"}\n"
        + "{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}\n"
        + "\n"
        + "{\"resourceType\": \"Patient\", \"id\": \n"
        + "{\"id\":\"b\",\"meta\":{\"versionId\":\"1\"},\"resourceType\":\"Patient\",\"extra\":[1,2]}\n"
        + "[1,2,3]\n";

    [Theory]
    [InlineData(Bundle, "doc.json")]
    [InlineData(Ndjson, "Patient.ndjson")]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"only\",\"gender\":\"male\"}", "one.json")]
    [InlineData("{\"resourceType\":\"Observation\",\"id\":\"only\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}", "one.json")]
    public async Task ScanOrReadAsync_FhirJson_GivesThePatientsAndTheRecordCountOfAFullRead(string content, string name)
    {
        var document = SourceDocument.FromBytes("src", name, Encoding.UTF8.GetBytes(content));

        var full = await DocumentReaders.ReadAsync(_reader, document, CancellationToken.None);
        var scan = await PatientScans.ScanOrReadAsync(_reader, document, CancellationToken.None);

        Assert.Null(full.Error);
        Assert.Null(scan.Error);
        Assert.Equal(full.Records.Count, scan.ScannedRecords);
        Assert.Equal(full.Format, scan.Format);
        var patients = full.Records.Where(r => r.ResourceType == "Patient").ToList();
        Assert.Equal(patients.Select(Describe), scan.Records.Select(Describe));
    }

    [Fact]
    public async Task ScanOrReadAsync_FhirJsonBundle_FindsEscapedAndInvalidPatientsAndSkipsTheRest()
    {
        var scan = await PatientScans.ScanOrReadAsync(_reader, SourceDocument.FromBytes("src", "doc.json", Encoding.UTF8.GetBytes(Bundle)), CancellationToken.None);

        Assert.Equal(["p1", "p2", "p3"], scan.Records.Select(r => r.ResourceId));
        Assert.All(scan.Records, r => Assert.Equal("Patient", r.ResourceType));
        Assert.NotEmpty(scan.Records[1].Warnings);
        Assert.Equal(8, scan.ScannedRecords);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Bundle\",\"entry\":[", "doc.json")]
    [InlineData("{\"id\":\"x\"}", "doc.json")]
    [InlineData("{\"resourceType\":\"Bundle\",\"meta\":{\"fhirVersion\":\"1.0.2\"},\"entry\":[]}", "doc.json")]
    [InlineData("  ", "doc.json")]
    public async Task ScanOrReadAsync_DocumentAFullReadRefuses_FailsWithTheSameError(string content, string name)
    {
        var document = SourceDocument.FromBytes("src", name, Encoding.UTF8.GetBytes(content));

        var full = await DocumentReaders.ReadAsync(_reader, document, CancellationToken.None);
        var scan = await PatientScans.ScanOrReadAsync(_reader, document, CancellationToken.None);

        Assert.NotNull(full.Error);
        Assert.Equal(full.Error.Code, scan.Error?.Code);
        Assert.Equal(full.Error.Location, scan.Error?.Location);
        Assert.Empty(scan.Records);
    }

    [Fact]
    public async Task ScanOrReadAsync_ReaderThatCannotScan_ReadsInFull()
    {
        var document = SourceDocument.FromBytes("src", "doc.json", Encoding.UTF8.GetBytes(Bundle));

        var result = await PatientScans.ScanOrReadAsync(new FullReadOnly(_reader), document, CancellationToken.None);

        Assert.Null(result.ScannedRecords);
        Assert.Equal(8, result.Records.Count);
    }

    // Entries of every shape the scan's rules tell apart, and roots around them.
    private static readonly string[] EntryPieces =
    [
        "{\"fullUrl\":\"urn:uuid:p1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1980-02-03\"}}",
        "{\"resource\":{\"id\":\"p2\",\"meta\":{\"versionId\":\"1\"},\"resourceType\":\"Pati\\u0065nt\",\"gender\":\"female\",\"x\":[1,{\"a\":[]}]}}",
        "{\"resource\":{\"resourceType\":\"Patient\",\"gender\":\"not-a-gender\",\"multipleBirthInteger\":\"two\"}}",
        "{\"fullUrl\":\"urn:uuid:o1\",\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}}",
        "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"oo\"},\"search\":{\"mode\":\"outcome\"}}",
        "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"m\"},\"search\":{\"mode\":\"match\",\"score\":1}}",
        "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"s\"},\"search\":\"outcome\"}",
        "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"n\"},\"search\":{\"mode\":1}}",
        "{\"resource\":{\"resourceType\":\"Patient\",\"resourceType\":\"Observation\",\"id\":\"d\"}}",
        "{\"resource\":{\"resourceType\":\"Observation\"},\"resource\":{\"resourceType\":\"Patient\",\"id\":\"d2\"}}",
        "{\"request\":{\"method\":\"DELETE\",\"url\":\"Patient/gone\"}}",
        "{\"response\":{\"status\":\"200\"},\"resource\":\"Patient\"}",
        "{\"fullUrl\":\"urn:uuid:none\"}",
        "{\"resource\":{\"resourceType\":7}}",
        "{\"resource\":{\"id\":\"nothing\"}}",
        "{\"resource\":{\"resourceType\":\"NotAType\",\"id\":\"q\"}}",
        "42", "null", "[{\"resource\":{\"resourceType\":\"Patient\"}}]", "\"Patient\"",
    ];

    private const int DuplicatedResourceType = 8;

    private static readonly string[] Roots =
    [
        "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[ENTRIES]}",
        "{\"entry\":[ENTRIES],\"type\":\"searchset\",\"resourceType\":\"Bundle\"}",
        "{\"resourceType\":\"Bundle\",\"meta\":{\"lastUpdated\":\"2020-01-01T00:00:00Z\"},\"entry\":[ENTRIES]}",
        "{\"resourceType\":\"Bundle\",\"meta\":{\"fhirVersion\":\"4.0.1\"},\"entry\":[ENTRIES]}",
        "{\"resourceType\":\"Bundle\",\"meta\":{\"fhirVersion\":\"3.0.2\"},\"entry\":[ENTRIES]}",
        "{\"resourceType\":\"Bundle\",\"meta\":[],\"entry\":[ENTRIES]}",
        "{\"resourceType\":\"Bundle\",\"entry\":[ENTRIES],\"entry\":[]}",
        "{\"resourceType\":\"Bundle\",\"resourceType\":\"Bundle\",\"entry\":[ENTRIES]}",
        "{\"resourceType\":\"Bundle\",\"entry\":{\"resource\":[ENTRIES]}}",
        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"entry\":[ENTRIES]}",
        "{\"resourceType\":\"Patient\",\"id\":\"root\",\"entry\":[ENTRIES]}",
        "{\"entry\":[ENTRIES]}",
        "{\"resourceType\":\"Bundle\",\"entry\":[ENTRIES]}\n{\"resourceType\":\"Patient\",\"id\":\"next\"}",
        "{\"resourceType\":\"Bundle\",\"entry\":[ENTRIES]} x",
        "{\"resourceType\":\"Bundle\",\"entry\":[ENTRIES]",
        "\uFEFF{\"resourceType\":\"Bundle\",\"entry\":[ENTRIES]}",
        "  \r\n{\"resourceType\":\"Bundle\",\"entry\":[ENTRIES]}\n\n",
        "[{\"resourceType\":\"Bundle\",\"entry\":[ENTRIES]}]",
    ];

    [Fact]
    public async Task ScanPatientsAsync_GeneratedDocuments_QuickScanGivesWhatTheParsedScanAndAFullReadGive()
    {
        var quick = 0;
        var gen = Gen.Select(Gen.Int[0, Roots.Length - 1], Gen.Int[0, EntryPieces.Length - 1].Array[0, 8]);
        await gen.SampleAsync(
            async (root, entries) =>
            {
                var json = Roots[root].Replace("ENTRIES", string.Join(",", entries.Select(e => EntryPieces[e])), StringComparison.Ordinal);
                var document = SourceDocument.FromBytes("src", "doc.json", Encoding.UTF8.GetBytes(json));
                var content = Encoding.UTF8.GetBytes(json).AsMemory();

                var fast = _reader.ScanQuickly(document, content, CancellationToken.None);
                var scan = await PatientScans.ScanOrReadAsync(_reader, document, CancellationToken.None);
                var full = await DocumentReaders.ReadAsync(_reader, document, CancellationToken.None);

                Assert.Equal(full.Error?.Code, scan.Error?.Code);
                Assert.Equal(full.Error?.Location, scan.Error?.Location);
                // A resource naming two types is one case where they differ (before the quick scan too): the parsed scan's lookup
                // takes the last "resourceType", the FHIR deserializer of the full read the first.
                if (full.Error is null && !entries.Contains(DuplicatedResourceType))
                {
                    Assert.Equal(full.Records.Count, scan.ScannedRecords ?? scan.Records.Count);
                    Assert.Equal(full.Records.Where(r => r.ResourceType == "Patient").Select(Describe), scan.Records.Where(r => r.ResourceType == "Patient").Select(Describe));
                }

                if (fast is not null)
                {
                    Interlocked.Increment(ref quick);
                    var parsed = _reader.ScanParsed(document, content, FhirJsonDocumentReader.SkipBomAndWhitespace(content.Span), CancellationToken.None);
                    Assert.Equal(parsed.Records, fast.Records);
                    Assert.Equal(parsed.Patients.Select(Describe), fast.Patients.Select(Describe));
                }
            },
            iter: 400);

        Assert.True(quick > 40, $"only {quick} documents were scanned quickly");
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}},{\"resource\":{\"resourceType\":\"Observation\"}}]}", true)]
    [InlineData("{\"resourceType\":\"Observation\",\"status\":\"final\"}", true)]
    [InlineData("{\"resourceType\":\"Bundle\",\"entry\":[]}\n{\"resourceType\":\"Patient\"}", false)]
    [InlineData("{\"resourceType\":\"Bundle\",\"entry\":[", false)]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"p\"}", false)]
    public void ScanQuickly_OrdinaryDocument_ScansWithoutTheFallback(string json, bool quick)
    {
        var content = Encoding.UTF8.GetBytes(json);

        var scan = _reader.ScanQuickly(SourceDocument.FromBytes("src", "doc.json", content), content, CancellationToken.None);

        Assert.Equal(quick, scan is not null);
    }

    private static string Describe(SourceRecord r) =>
        $"{r.SourceName}|{r.ResourceType}|{r.ResourceId}|{r.Location}|{r.FullUrl}|{r.DocumentId}|{r.Rejection?.Code}|{r.Rejection?.Reason}|{string.Join(";", r.Warnings)}|{(r.Resource is null ? "" : FhirJson.Serialize(r.Resource))}";

    private sealed class FullReadOnly(ISourceDocumentReader inner) : ISourceDocumentReader
    {
        public string Format => inner.Format;

        public bool CanRead(ReadOnlySpan<byte> head) => inner.CanRead(head);

        public IAsyncEnumerable<SourceRecord> ReadAsync(SourceDocument document, CancellationToken cancellationToken = default) => inner.ReadAsync(document, cancellationToken);
    }
}
