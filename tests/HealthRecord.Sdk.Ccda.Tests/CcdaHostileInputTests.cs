using System.Text;
using CsCheck;
using HealthRecord.Sdk.Ccda;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Ccda.Tests;

public class CcdaHostileInputTests
{
    private static SourceReadException Rejects(string xml, CcdaOptions? options = null) =>
        Assert.Throws<SourceReadException>(() => new CcdaConverter(options).Convert(Encoding.UTF8.GetBytes(xml), "hostile.xml"));

    [Fact]
    public void Convert_ExternalEntity_IsRefusedAsHostile()
    {
        var secret = Path.GetTempFileName();
        File.WriteAllText(secret, "TOP-SECRET");
        try
        {
            var xml = $"""
                <?xml version="1.0"?>
                <!DOCTYPE ClinicalDocument [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>
                <ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>
                """;

            var ex = Rejects(xml);

            Assert.Equal(HealthRecordErrorCode.HostileContent, ex.Code);
            Assert.DoesNotContain("TOP-SECRET", ex.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void Convert_BillionLaughs_IsRefusedAsHostile()
    {
        var entities = new StringBuilder("<!ENTITY lol \"lol\">");
        for (var i = 1; i <= 9; i++)
        {
            entities.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))};", 10))}\">");
        }

        var xml = $"<?xml version=\"1.0\"?><!DOCTYPE lolz [{entities}]><ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&lol9;</title></ClinicalDocument>";

        Assert.Equal(HealthRecordErrorCode.HostileContent, Rejects(xml).Code);
    }

    [Fact]
    public void Convert_ExternalDtd_IsRefusedAsHostile()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE ClinicalDocument SYSTEM \"http://attacker.invalid/cda.dtd\"><ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>";

        Assert.Equal(HealthRecordErrorCode.HostileContent, Rejects(xml).Code);
    }

    [Fact]
    public void Convert_HugeBase64Attachment_ExceedsTheTextLimit()
    {
        var base64 = new string('A', 2 * 1024 * 1024);
        var xml = MiniCda.Document("").Replace("<component><structuredBody></structuredBody></component>",
            $"<component><nonXMLBody><text mediaType=\"application/pdf\" representation=\"B64\">{base64}</text></nonXMLBody></component>", StringComparison.Ordinal);

        var ex = Rejects(xml, new CcdaOptions { MaxTextLength = 1024 * 1024 });

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
        Assert.Contains("MaxTextLength", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_DocumentOverCharacterLimit_ExceedsTheLimit()
    {
        var xml = MiniCda.Document(MiniCda.Section("2.16.840.1.113883.10.20.22.2.5.1", "11450-4", new string('x', 20_000), ""));

        var ex = Rejects(xml, new CcdaOptions { MaxCharactersInDocument = 10_000 });

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public void Convert_DeepNesting_ExceedsTheDepthLimit()
    {
        var xml = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">" + string.Concat(Enumerable.Repeat("<x>", 200)) + string.Concat(Enumerable.Repeat("</x>", 200)) + "</ClinicalDocument>";

        var ex = Rejects(xml);

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
        Assert.Contains("MaxDepth", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_TooManyAttributes_ExceedsTheAttributeLimit()
    {
        var attributes = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"a{i}=\"v\""));
        var ex = Rejects($"<ClinicalDocument xmlns=\"urn:hl7-org:v3\" {attributes}/>");

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_HostileDocument_ThrowsAndYieldsNothing()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY e \"e\">]><ClinicalDocument xmlns=\"urn:hl7-org:v3\">&e;</ClinicalDocument>";
        var reader = new CcdaDocumentReader();
        var records = new List<SourceRecord>();

        var ex = await Assert.ThrowsAsync<SourceReadException>(async () =>
        {
            await foreach (var record in reader.ReadAsync(SourceDocument.FromBytes("s", "hostile.xml", Encoding.UTF8.GetBytes(xml))))
            {
                records.Add(record);
            }
        });

        Assert.Equal(HealthRecordErrorCode.HostileContent, ex.Code);
        Assert.Empty(records);
    }

    [Fact]
    public void Convert_CorruptedFixture_FailsOnlyWithSourceReadException()
    {
        var original = File.ReadAllBytes(Corpus.Fixture("ccda/ONC_Afoundria_CCD_Jones_Myra.xml"));
        var converter = new CcdaConverter();
        Gen.Select(Gen.Int[0, original.Length - 1], Gen.Int[0, 8], Gen.Byte)
            .Sample((position, length, value) =>
            {
                var mutated = original.ToArray();
                for (var i = position; i < Math.Min(mutated.Length, position + length); i++)
                {
                    mutated[i] = value;
                }

                try
                {
                    var result = converter.Convert(mutated, "mutated.xml");
                    Assert.NotEmpty(result.Resources);
                }
                catch (SourceReadException)
                {
                    // A typed error is an acceptable outcome for damaged input; any other exception fails the property.
                }
            }, iter: 150);
    }
}
