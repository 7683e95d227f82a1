using System.Text;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Sources;

public class FhirXmlDocumentReaderTests
{
    private readonly FhirXmlDocumentReader _reader = new();

    private async Task<List<SourceRecord>> ReadAsync(string content)
    {
        var records = new List<SourceRecord>();
        await foreach (var r in _reader.ReadAsync(SourceDocument.FromBytes("src", "doc.xml", Encoding.UTF8.GetBytes(content))))
        {
            records.Add(r);
        }

        return records;
    }

    [Fact]
    public async Task ReadAsync_Bundle_YieldsEntries()
    {
        var records = await ReadAsync("""
            <Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
              <entry><fullUrl value="urn:uuid:11111111-1111-1111-1111-111111111111"/><resource><Patient><gender value="female"/></Patient></resource></entry>
              <entry><resource><Observation><id value="o1"/><status value="final"/><code><text value="x"/></code><subject><reference value="urn:uuid:11111111-1111-1111-1111-111111111111"/></subject></Observation></resource></entry>
            </Bundle>
            """);

        Assert.Equal(["Patient/11111111-1111-1111-1111-111111111111", "Observation/o1"], records.Select(r => r.SourceReference));
        Assert.Equal("doc.xml#entry[1]", records[1].Location);
    }

    [Fact]
    public async Task ReadAsync_DoctypeWithEntities_IsRefusedAsHostile()
    {
        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAsync("""
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <Patient xmlns="http://hl7.org/fhir"><name><family value="&lol2;"/></name></Patient>
            """));

        Assert.Equal(HealthRecordErrorCode.HostileContent, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_MalformedXml_ThrowsWithLine()
    {
        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAsync("<Patient xmlns=\"http://hl7.org/fhir\">\n<gender value=\"male\">\n</Patient>"));

        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
        Assert.Contains("line", ex.Location, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<Patient xmlns=\"http://hl7.org/fhir\"/>", true)]
    [InlineData("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>", false)]
    [InlineData("{\"resourceType\":\"Patient\"}", false)]
    public void CanRead_SniffsFhirXml(string head, bool expected) =>
        Assert.Equal(expected, _reader.CanRead(Encoding.UTF8.GetBytes(head)));

    [CorpusFact]
    public async Task ReadAsync_V2ToFhirReferenceBundle_ReadsEveryEntry()
    {
        var path = Corpus.PathOf("fhir-bundles/v2-to-fhir/FHIR_bundle.hl7_MDM_T02.xml");
        var records = await ReadAsync(await File.ReadAllTextAsync(path));

        Assert.Contains(records, r => r.Resource is Patient);
        Assert.Contains(records, r => r.Resource is DocumentReference);
        Assert.All(records, r => Assert.NotNull(r.Resource));
    }
}
