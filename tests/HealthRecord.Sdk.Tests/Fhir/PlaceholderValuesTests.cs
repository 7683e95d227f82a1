using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Fhir;

public class PlaceholderValuesTests
{
    [Theory]
    [InlineData("http://hl7.org/fhir/sid/us-ssn", "UNK")]
    [InlineData("urn:oid:2.16.840.1.113883.4.1", "000-00-0000")]
    [InlineData("http://hl7.org/fhir/sid/us-ssn", "999-99-9999")]
    [InlineData("http://hl7.org/fhir/sid/us-ssn", "666-12-3456")]
    [InlineData("http://hl7.org/fhir/sid/us-ssn", "123-00-4567")]
    [InlineData("http://hl7.org/fhir/sid/us-ssn", "111111111")]
    [InlineData("urn:oid:1.2.3", "unknown")]
    [InlineData("urn:oid:1.2.3", " ")]
    public void IsPlaceholder_NoRealValue_IsTrue(string system, string value) =>
        Assert.True(PlaceholderValues.IsPlaceholder(new Identifier(system, value)));

    [Theory]
    [InlineData("http://hl7.org/fhir/sid/us-ssn", "999-43-2320", true)]   // Synthea's stand-in numbers stay
    [InlineData("http://hl7.org/fhir/sid/us-ssn", "234-56-7891", true)]
    [InlineData("http://hl7.org/fhir/sid/us-ssn", "123-45-6789", false)] // a published specimen number
    [InlineData("urn:oid:1.2.3", "MRN-0001", true)]
    public void IsPlaceholder_RealOrImpossibleSsn_FollowsTheSsaRules(string system, string value, bool real) =>
        Assert.Equal(!real, PlaceholderValues.IsPlaceholder(new Identifier(system, value)));

    [Fact]
    public void RemovePlaceholderIdentifiers_PatientWithUnkSsn_KeepsOnlyRealIdentifiers()
    {
        var p = new Patient { Identifier = [new Identifier("http://hl7.org/fhir/sid/us-ssn", "UNK"), new Identifier("urn:oid:1.2.3", "MRN-7")] };
        Assert.Equal(1, PlaceholderValues.RemovePlaceholderIdentifiers(p));
        Assert.Equal("MRN-7", Assert.Single(p.Identifier).Value);
    }
}
