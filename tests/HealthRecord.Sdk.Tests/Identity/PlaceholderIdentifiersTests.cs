using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Identity;
using Hl7.Fhir.Model;
using static HealthRecord.Sdk.Tests.Identity.PatientBuilder;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Identity;

public class PlaceholderIdentifiersTests
{
    private const string Ssn = "http://hl7.org/fhir/sid/us-ssn";

    [Theory]
    [InlineData(Ssn, "UNK")]
    [InlineData(Ssn, "Unknown")]
    [InlineData(Ssn, "000-00-0000")]
    [InlineData(Ssn, "999-99-9999")]
    [InlineData(Ssn, "123-45-6789")]
    [InlineData(Ssn, "078-05-1120")]
    [InlineData(Ssn, "666-12-3456")]
    [InlineData(Ssn, "123-00-4567")]
    [InlineData(Ssn, "123-45-0000")]
    [InlineData(Ssn, "987-65-4321")]
    [InlineData(Ssn, "00000-623")] // ATG's Myra Jones
    [InlineData(Ssn, "123-101-5230")] // NIST's Myra and Isabella Jones both carry it: ten digits
    [InlineData("urn:oid:1.2.3", "N/A")]
    [InlineData("urn:oid:1.2.3", "0000000")]
    [InlineData("http://hl7.org/fhir/sid/us-npi", "1")]
    [InlineData("urn:ietf:rfc:3986", "urn:oid:2.16.840.1.113883.4.1")] // a C-CDA SSN id with its number left out
    [InlineData("urn:oid:1.2.3", "")]
    public void IsPlaceholder_NoIdentity_True(string system, string value) =>
        Assert.True(PlaceholderValues.IsPlaceholder(new Identifier(system, value)));

    [Theory]
    [InlineData(Ssn, "212-45-6789")]
    [InlineData(Ssn, "900-12-3456")] // an ITIN: the person's own number
    [InlineData(Ssn, "9030076")] // FEBRL's seven-digit numbers
    [InlineData(Ssn, "6789")] // the last four
    [InlineData("urn:oid:2.16.840.1.113883.3.3619.2", "44")]
    [InlineData("urn:ietf:rfc:3986", "urn:uuid:ca0d3db2-529c-4229-af63-986596a2cdee")]
    public void IsPlaceholder_RealValue_False(string system, string value) =>
        Assert.False(PlaceholderValues.IsPlaceholder(new Identifier(system, value)));

    [Fact]
    public void IsPlaceholder_DataAbsentReason_True()
    {
        var identifier = new Identifier { System = Ssn, ValueElement = new FhirString() };
        identifier.ValueElement.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/data-absent-reason", new Code("asked-declined")));

        Assert.True(PlaceholderValues.IsPlaceholder(identifier));
    }

    [Fact]
    public void RemoveFrom_GoldenPatient_KeepsOnlyRealIdentifiers()
    {
        var patient = new Patient
        {
            Identifier = [new Identifier(Ssn, "UNK"), new Identifier(Ssn, "212-45-6789"), new Identifier("urn:oid:1.2.3", "000000")],
        };

        Assert.Equal(2, PlaceholderValues.RemovePlaceholderIdentifiers(patient));
        Assert.Equal("212-45-6789", Assert.Single(patient.Identifier).Value);
    }

    [Fact]
    public async Task LinkAsync_SharedPlaceholderSsn_IsNoIdentityEvidence()
    {
        // Twins whose records both say SSN "000-00-0000": an equal placeholder must not lift the twin safeguard.
        PatientCandidate[] twins =
        [
            Candidate("a", "1", "Anna", "Berg", "2001-06-01", AdministrativeGender.Female, "5 Elm St", "Salem", "OR", "97301", ssn: "000-00-0000"),
            Candidate("b", "1", "Elsa", "Berg", "2001-06-01", AdministrativeGender.Female, "5 Elm St", "Salem", "OR", "97301", ssn: "000-00-0000"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(twins);

        Assert.Equal(2, result.Persons.Count);
        var link = Assert.Single(result.Links);
        Assert.Equal(LinkDecision.Possible, link.Decision);
        Assert.Contains(link.Evidence, e => e.Field == MatchField.SocialSecurityNumber && e.Level == "missing");
    }
}
