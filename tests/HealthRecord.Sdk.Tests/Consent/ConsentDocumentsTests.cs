using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Consent;

public class ConsentDocumentsTests
{
    [Fact]
    public void Parse_BundleOfConsents_ReturnsEachConsent()
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (var name in new[] { "notOrg", "notThem" })
        {
            bundle.Entry.Add(new Bundle.EntryComponent { Resource = ConsentDocuments.Parse(File.ReadAllText(Corpus.Fixture($"consent/Consent-consent-example-{name}.json"))).Single() });
        }

        bundle.Entry.Add(new Bundle.EntryComponent { Resource = new Patient { Id = "x" } });

        var consents = ConsentDocuments.Parse(FhirJson.Serialize(bundle));

        Assert.Equal(["consent-example-notOrg", "consent-example-notThem"], consents.Select(c => c.Id));
    }

    [Fact]
    public void Parse_SingleValueWhereR4HasAList_IsReadAsAList()
    {
        const string json = """
            {"resourceType":"Consent","status":"active","provision":{"type":"permit","provision":{"type":"deny",
             "code":{"coding":[{"system":"http://loinc.org/","code":"42828-4"}]}}}}
            """;

        var consent = ConsentDocuments.Parse(json).Single();

        Assert.Equal("42828-4", consent.Provision!.Provision.Single().Code.Single().Coding.Single().Code);
    }

    [Theory]
    [InlineData("{ not json", HealthRecordErrorCode.MalformedContent)]
    [InlineData("""{"resourceType":"Patient","id":"p"}""", HealthRecordErrorCode.UnsupportedFormat)]
    [InlineData("""{"resourceType":"NoSuchThing"}""", HealthRecordErrorCode.InvalidResource)]
    public void Parse_BadInput_ThrowsTypedError(string json, HealthRecordErrorCode code)
    {
        var ex = Assert.Throws<SourceReadException>(() => ConsentDocuments.Parse(json, "input.json"));

        Assert.Equal(code, ex.Code);
    }

    [Theory]
    [InlineData("Organization/54", "Organization/54", null)]
    [InlineData("urn:uuid:0b0b0b0b-0000-0000-0000-000000000000", "urn:uuid:0b0b0b0b-0000-0000-0000-000000000000", null)]
    [InlineData("urn:ietf:rfc:3986|2.16.840.1.113883.20.5", null, "2.16.840.1.113883.20.5")]
    [InlineData("http://www.acme.org/practitioners|5555", null, "5555")]
    public void ConsentRecipientParse_ReferenceOrIdentifier(string text, string? reference, string? identifier)
    {
        var r = ConsentRecipient.Parse(text);

        Assert.Equal(reference, r.Reference);
        Assert.Equal(identifier, r.Identifiers.SingleOrDefault()?.Value);
    }
}
