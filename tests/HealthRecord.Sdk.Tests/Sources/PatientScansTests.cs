using System.Text;
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

    private static string Describe(SourceRecord r) =>
        $"{r.SourceName}|{r.ResourceType}|{r.ResourceId}|{r.Location}|{r.FullUrl}|{r.DocumentId}|{r.Rejection?.Code}|{r.Rejection?.Reason}|{string.Join(";", r.Warnings)}|{(r.Resource is null ? "" : FhirJson.Serialize(r.Resource))}";

    private sealed class FullReadOnly(ISourceDocumentReader inner) : ISourceDocumentReader
    {
        public string Format => inner.Format;

        public bool CanRead(ReadOnlySpan<byte> head) => inner.CanRead(head);

        public IAsyncEnumerable<SourceRecord> ReadAsync(SourceDocument document, CancellationToken cancellationToken = default) => inner.ReadAsync(document, cancellationToken);
    }
}
