using System.Text;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Sources;
using HealthRecord.Sdk.Sources;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Hl7V2.Tests.Sources;

public class Hl7V2DocumentReaderTests
{
    private readonly Hl7V2DocumentReader _reader = new();

    private static async Task<List<SourceRecord>> ReadAll(Hl7V2DocumentReader reader, SourceDocument document)
    {
        var list = new List<SourceRecord>();
        await foreach (var record in reader.ReadAsync(document))
        {
            list.Add(record);
        }

        return list;
    }

    [Theory]
    [InlineData("MSH|^~\\&|A", true)]
    [InlineData("\uFEFFMSH|^~\\&|A", true)]
    [InlineData("\u000bMSH|^~\\&|A", true)]
    [InlineData("FHS|^~\\&|A", true)]
    [InlineData("BHS|^~\\&|A", true)]
    [InlineData("\r\nMSH|^~\\&|A", true)]
    [InlineData("MSHX^~\\&|A", false)]
    [InlineData("{\"resourceType\":\"Patient\"}", false)]
    [InlineData("<ClinicalDocument/>", false)]
    [InlineData("PID|1", false)]
    [InlineData("MS", false)]
    public void CanRead_Head_DetectsEr7(string head, bool expected)
    {
        Assert.Equal(expected, _reader.CanRead(Encoding.UTF8.GetBytes(head)));
    }

    [Fact]
    public void CanRead_EveryFixture_IsAccepted()
    {
        foreach (var file in Fixtures.AllMessageFiles())
        {
            var bytes = Fixtures.Bytes(file);
            Assert.True(_reader.CanRead(bytes.AsSpan(0, Math.Min(4096, bytes.Length))), file);
        }
    }

    [Fact]
    public async Task ReadAsync_OruFile_GivesRecordsWithLocationsAndDocumentId()
    {
        var document = SourceDocument.FromFile("lab", Fixtures.Path("fhir-converter/LAB-ORU-1.hl7"), "LAB-ORU-1.hl7");

        var records = await ReadAll(_reader, document);

        Assert.Equal(1, records.Count(r => r.ResourceType == "Patient"));
        Assert.Equal(10, records.Count(r => r.ResourceType == "Observation"));
        Assert.All(records, r =>
        {
            Assert.Equal("lab", r.SourceName);
            Assert.Equal("LAB-ORU-1.hl7", r.DocumentId);
            Assert.NotNull(r.Resource);
            Assert.StartsWith("LAB-ORU-1.hl7#message[1]", r.Location, StringComparison.Ordinal);
        });
        Assert.Contains(records, r => r.ResourceType == "Observation" && r.Location.Contains("/OBX[", StringComparison.Ordinal));
        Assert.Contains(records, r => r.ResourceType == "Patient" && r.Warnings.Any(w => w.Contains("PID-10", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ReadAsync_SameMessageTwice_EmitsEachRecordOnce()
    {
        var text = File.ReadAllText(Fixtures.Path("fhir-converter/MDM-T02-01.hl7"));
        var twice = text + "\n" + text;
        var document = SourceDocument.FromBytes("docs", "twice.hl7", Encoding.UTF8.GetBytes(twice.TrimStart('\uFEFF')));

        var records = await ReadAll(_reader, document);

        var keys = records.Select(r => r.SourceReference).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Single(records, r => r.ResourceType == "DocumentReference");
        Assert.Single(records, r => r.ResourceType == "Patient");
        Assert.Contains(records, r => r.ResourceType == "Practitioner");
    }

    [Theory]
    [InlineData("MSH|^~\\&|A|B|||2024\rPID|1\r", HealthRecordErrorCode.MalformedContent, "MSH-9")]
    [InlineData("MSH|^~|A\r", HealthRecordErrorCode.MalformedContent, "MSH-2")]
    [InlineData("MSH|^~\\&|A|B|||2024||ADT^A01|1|P|2.5\rPID|1\r\u0001\u0002\u0003garbage\r", HealthRecordErrorCode.MalformedContent, "line 3")]
    public async Task ReadAsync_BadInput_IsSourceReadExceptionNamingWhere(string text, HealthRecordErrorCode code, string where)
    {
        var document = SourceDocument.FromBytes("feed", "bad.hl7", Encoding.UTF8.GetBytes(text));

        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAll(_reader, document));

        Assert.Equal(code, ex.Code);
        Assert.Contains(where, ex.Location, StringComparison.Ordinal);
        Assert.Contains("bad.hl7", ex.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_DocumentOverLimit_IsLimitExceeded()
    {
        var reader = new Hl7V2DocumentReader(Microsoft.Extensions.Options.Options.Create(new HealthRecordOptions { MaxDocumentBytes = 100 }));
        var document = SourceDocument.FromBytes("feed", "big.hl7", Encoding.UTF8.GetBytes("MSH|^~\\&|A|B|||2024||ADT^A01|1|P|2.5\rPID|1||" + new string('9', 500) + "\r"));

        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAll(reader, document));

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_SameInput_GivesSameIds()
    {
        var first = await ReadAll(_reader, SourceDocument.FromFile("a", Fixtures.Path("fhir-converter/VXU.hl7"), "VXU.hl7"));
        var second = await ReadAll(_reader, SourceDocument.FromFile("a", Fixtures.Path("fhir-converter/VXU.hl7"), "VXU.hl7"));

        Assert.Equal(first.Select(r => r.SourceReference), second.Select(r => r.SourceReference));
        Assert.Equal(3, first.Count(r => r.Resource is Immunization));
    }

    [Theory]
    [InlineData("fhir-converter/ADT-A01-02.hl7")]
    [InlineData("fhir-converter/ORM-O01-03.hl7")]
    [InlineData("fhir-converter/VXU-V04-01.hl7")]
    public async Task Read_ParsedMessage_GivesTheRecordsReadAsyncGivesFromItsBytes(string file)
    {
        var bytes = Fixtures.Bytes(file);
        var fromBytes = await ReadAll(_reader, SourceDocument.FromBytes("feed", "mllp/k", bytes));
        var message = Assert.Single(HealthRecord.Sdk.Hl7V2.Parsing.Hl7V2Parser.Parse(bytes).Messages);

        var fromParsed = _reader.Read("feed", "mllp/k", message);

        Assert.NotEmpty(fromParsed);
        Assert.Equal(
            fromBytes.Select(r => (r.SourceName, r.ResourceType, r.ResourceId, r.Location, Fhir.FhirJson.Serialize(r.Resource!), string.Join('|', r.Warnings))),
            fromParsed.Select(r => (r.SourceName, r.ResourceType, r.ResourceId, r.Location, Fhir.FhirJson.Serialize(r.Resource!), string.Join('|', r.Warnings))));
    }
}
