using System.Text;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Sources;

public class FhirJsonDocumentReaderTests
{
    private readonly FhirJsonDocumentReader _reader = new();

    private async Task<List<SourceRecord>> ReadAsync(string content, string name = "doc.json")
    {
        var records = new List<SourceRecord>();
        await foreach (var r in _reader.ReadAsync(SourceDocument.FromBytes("src", name, Encoding.UTF8.GetBytes(content))))
        {
            records.Add(r);
        }

        return records;
    }

    [Fact]
    public async Task ReadAsync_TransactionBundle_YieldsEntriesWithFullUrls()
    {
        var records = await ReadAsync(await File.ReadAllTextAsync(TestHost.SampleSources[0].Path));

        Assert.Equal(215, records.Count);
        Assert.All(records, r => Assert.NotNull(r.Resource));
        var patient = Assert.Single(records, r => r.ResourceType == "Patient");
        Assert.StartsWith("urn:uuid:", patient.FullUrl, StringComparison.Ordinal);
        Assert.Equal("src", patient.SourceName);
        Assert.Equal("doc.json#entry[0]", patient.Location);
    }

    [Fact]
    public async Task ReadAsync_Ndjson_YieldsOneRecordPerLine()
    {
        var path = Path.Combine(TestHost.SampleSources[2].Path, "Observation.ndjson");
        var records = await ReadAsync(await File.ReadAllTextAsync(path), "Observation.ndjson");

        Assert.Equal(File.ReadAllLines(path).Length, records.Count);
        Assert.All(records, r => Assert.Equal("Observation", r.ResourceType));
        Assert.Equal("Observation.ndjson line 3", records[2].Location);
    }

    [Fact]
    public async Task ReadAsync_NdjsonWithoutExtension_IsDetectedFromContent()
    {
        var records = await ReadAsync("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Patient\",\"id\":\"b\"}\n", "export.json");

        Assert.Equal(["a", "b"], records.Select(r => r.ResourceId));
    }

    [Fact]
    public async Task ReadAsync_NdjsonMalformedLine_RejectsThatLineOnly()
    {
        var records = await ReadAsync("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\": \"Patient\", \"id\": \n{\"resourceType\":\"Patient\",\"id\":\"c\"}\n", "x.ndjson");

        Assert.Equal(3, records.Count);
        Assert.Null(records[1].Resource);
        Assert.Equal(HealthRecordErrorCode.MalformedContent, records[1].Rejection!.Code);
        Assert.Equal("x.ndjson line 2", records[1].Location);
        Assert.NotNull(records[2].Resource);
    }

    [Fact]
    public async Task ReadAsync_SingleResource_YieldsIt()
    {
        var records = await ReadAsync("{\"resourceType\":\"Condition\",\"id\":\"c1\",\"subject\":{\"reference\":\"Patient/p\"},\"code\":{\"text\":\"Asthma\"}}");

        var record = Assert.Single(records);
        Assert.Equal("Condition/c1", record.SourceReference);
        Assert.IsType<Condition>(record.Resource);
    }

    [Fact]
    public async Task ReadAsync_MalformedJson_ThrowsWithLocation()
    {
        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAsync("{\n  \"resourceType\": \"Bundle\",\n  \"entry\": [ {\"resource\": }\n"));

        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
        Assert.Equal("src", ex.SourceName);
        Assert.Contains("line 3", ex.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_EmptyDocument_ThrowsMalformed()
    {
        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAsync("   \n"));
        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_JsonThatIsNotFhir_ThrowsUnsupportedFormat()
    {
        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAsync("{\"name\": \"not fhir\"}"));
        Assert.Equal(HealthRecordErrorCode.UnsupportedFormat, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_UnknownResourceType_IsRejectedAsOtherFhirVersion()
    {
        // MedicationOrder is DSTU2; R4 has MedicationRequest.
        var records = await ReadAsync("""
            {"resourceType":"Bundle","type":"collection","entry":[
              {"resource":{"resourceType":"MedicationOrder","id":"m1"}},
              {"resource":{"resourceType":"Patient","id":"p1"}}]}
            """);

        Assert.Equal(2, records.Count);
        Assert.Equal(HealthRecordErrorCode.UnsupportedFhirVersion, records[0].Rejection!.Code);
        Assert.Contains("MedicationOrder", records[0].Rejection!.Reason, StringComparison.Ordinal);
        Assert.NotNull(records[1].Resource);
    }

    [Fact]
    public async Task ReadAsync_BundleDeclaringAnotherFhirVersion_Throws()
    {
        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAsync("{\"resourceType\":\"Bundle\",\"meta\":{\"fhirVersion\":\"3.0.2\"},\"type\":\"collection\"}"));
        Assert.Equal(HealthRecordErrorCode.UnsupportedFhirVersion, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_ElementErrorsWithElementValidation_KeepRecordAndWarn()
    {
        var reader = new FhirJsonDocumentReader(Microsoft.Extensions.Options.Options.Create(new HealthRecordOptions { ValidateFhirElements = true }));
        var records = new List<SourceRecord>();
        await foreach (var r in reader.ReadAsync(SourceDocument.FromBytes("src", "p.json", Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"id\":\"p\",\"gender\":\"male\",\"favouriteColour\":\"blue\"}"))))
        {
            records.Add(r);
        }

        var record = Assert.Single(records);
        Assert.NotNull(record.Resource);
        Assert.Contains(record.Warnings, w => w.Contains("favouriteColour", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAsync_ValueOfTheWrongJsonType_DropsThatValueAndWarns(bool validateElements)
    {
        // Firely keeps a number or boolean in a string-typed element; its getter would throw at the first stage reading it.
        var reader = new FhirJsonDocumentReader(Microsoft.Extensions.Options.Options.Create(new HealthRecordOptions { ValidateFhirElements = validateElements }));
        const string json = "{\"resourceType\":\"Condition\",\"id\":\"c\",\"subject\":{\"reference\":\"Patient/p\"},\"code\":{\"text\":\"Asthma\",\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":195967001}]},\"onsetDateTime\":2020,\"recordedDate\":true}";
        var records = new List<SourceRecord>();
        await foreach (var r in reader.ReadAsync(SourceDocument.FromBytes("src", "c.json", Encoding.UTF8.GetBytes(json))))
        {
            records.Add(r);
        }

        var record = Assert.Single(records);
        var condition = Assert.IsType<Condition>(record.Resource);
        Assert.Null((condition.Onset as FhirDateTime)?.Value);
        Assert.Null(condition.RecordedDate);
        Assert.Null(condition.Code!.Coding[0].Code);
        Assert.Equal("Asthma", condition.Code!.Text);
        Assert.Contains(record.Warnings, w => w.StartsWith("Condition.onset: a JSON number where a dateTime belongs", StringComparison.Ordinal));
        Assert.Contains(record.Warnings, w => w.StartsWith("Condition.recordedDate: a JSON boolean", StringComparison.Ordinal));
        Assert.Contains(record.Warnings, w => w.StartsWith("Condition.code.coding.code: a JSON number", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AggregateAsync_RecordWithAValueOfTheWrongJsonType_IsAggregatedWithoutIt()
    {
        using var folder = TestHost.TempFolder();
        var path = Path.Combine(folder.Path, "bundle.json");
        await File.WriteAllTextAsync(path, """
            {"resourceType":"Bundle","type":"collection","entry":[
            {"resource":{"resourceType":"Patient","id":"p","name":[{"family":"Doe","given":["Jane"]}],"birthDate":"1970-01-01","gender":"female"}},
            {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]},"onsetDateTime":2020}},
            {"resource":{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"onsetDateTime":"2020-01-01"}}
            ]}
            """);

        var result = await TestHost.AggregateAsync([("a", path)]);

        var ehr = Assert.Single(result.Ehrs);
        Assert.Equal(2, ehr.CountByType()["Condition"]);
        Assert.Contains(result.Issues, i => i.Message.Contains("Condition.onset: a JSON number", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadAsync_ElementErrorsByDefault_KeepRecord()
    {
        var records = await ReadAsync("{\"resourceType\":\"Patient\",\"id\":\"p\",\"gender\":\"male\",\"favouriteColour\":\"blue\"}");

        var record = Assert.Single(records);
        Assert.Equal(AdministrativeGender.Male, ((Patient)record.Resource!).Gender);
    }

    [Fact]
    public async Task ReadAsync_ResourceWithoutId_GetsIdFromFullUrlOrContent()
    {
        const string bundle = """
            {"resourceType":"Bundle","type":"collection","entry":[
              {"fullUrl":"urn:uuid:7a1b","resource":{"resourceType":"Patient"}},
              {"resource":{"resourceType":"Patient","gender":"female"}}]}
            """;
        var first = await ReadAsync(bundle);
        var second = await ReadAsync(bundle);

        Assert.Equal("7a1b", first[0].ResourceId);
        Assert.StartsWith("h", first[1].ResourceId, StringComparison.Ordinal);
        Assert.Equal(first[1].ResourceId, second[1].ResourceId);
    }

    [Fact]
    public async Task ReadAsync_DocumentOverTheLimit_ThrowsLimitExceeded()
    {
        var reader = new FhirJsonDocumentReader(Microsoft.Extensions.Options.Options.Create(new HealthRecordOptions { MaxDocumentBytes = 100 }));
        var doc = SourceDocument.FromBytes("src", "big.json", Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"id\":\"" + new string('x', 500) + "\"}"));

        var ex = await Assert.ThrowsAsync<SourceReadException>(async () =>
        {
            await foreach (var _ in reader.ReadAsync(doc))
            {
            }
        });
        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_HostileNesting_ThrowsMalformedNotStackOverflow()
    {
        var deep = "{\"resourceType\":\"Patient\",\"x\":" + string.Concat(Enumerable.Repeat("[", 100_000)) + string.Concat(Enumerable.Repeat("]", 100_000)) + "}";
        var ex = await Assert.ThrowsAsync<SourceReadException>(() => ReadAsync(deep));
        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Patient\"}", true)]
    [InlineData("\uFEFF  {\"resourceType\":\"Bundle\"}", true)]
    [InlineData("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>", false)]
    [InlineData("MSH|^~\\&|A", false)]
    [InlineData("{\"name\":1}", false)]
    public void CanRead_SniffsFhirJson(string head, bool expected) =>
        Assert.Equal(expected, _reader.CanRead(Encoding.UTF8.GetBytes(head)));

    [CorpusTheory]
    [MemberData(nameof(FhirExamples))]
    public async Task ReadAsync_FhirSpecExamples_ReadWithoutRejection(string file)
    {
        var records = await ReadAsync(await File.ReadAllTextAsync(file), Path.GetFileName(file));

        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.True(r.Resource is not null, $"{r.Location}: {r.Rejection?.Reason}"));
    }

    public static TheoryData<string> FhirExamples()
    {
        var data = new TheoryData<string>();
        if (Corpus.IsAvailable)
        {
            foreach (var f in Directory.EnumerateFiles(Corpus.PathOf("fhir-examples"), "*.json").Order(StringComparer.Ordinal))
            {
                data.Add(f);
            }
        }
        else
        {
            data.Add("(corpus not available)");
        }

        return data;
    }
}
