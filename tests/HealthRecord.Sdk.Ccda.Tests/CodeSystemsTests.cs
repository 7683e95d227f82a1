using HealthRecord.Sdk.Ccda;

namespace HealthRecord.Sdk.Ccda.Tests;

public class CodeSystemsTests
{
    [Theory]
    [InlineData("2.16.840.1.113883.6.96", "http://snomed.info/sct")]
    [InlineData("2.16.840.1.113883.6.1", "http://loinc.org")]
    [InlineData("2.16.840.1.113883.6.88", "http://www.nlm.nih.gov/research/umls/rxnorm")]
    [InlineData("2.16.840.1.113883.6.90", "http://hl7.org/fhir/sid/icd-10-cm")]
    [InlineData("2.16.840.1.113883.6.103", "http://hl7.org/fhir/sid/icd-9-cm")]
    [InlineData("2.16.840.1.113883.12.292", "http://hl7.org/fhir/sid/cvx")]
    [InlineData("2.16.840.1.113883.6.69", "http://hl7.org/fhir/sid/ndc")]
    [InlineData("2.16.840.1.113883.6.12", "http://www.ama-assn.org/go/cpt")]
    [InlineData("2.16.840.1.113883.5.83", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation")]
    [InlineData(" 2.16.840.1.113883.6.96 ", "http://snomed.info/sct")]
    [InlineData("1.2.3.4.5", "urn:oid:1.2.3.4.5")]
    [InlineData("http://example.org/cs", "http://example.org/cs")]
    public void ToUri_KnownAndUnknownOids(string oid, string expected) => Assert.Equal(expected, CodeSystems.ToUri(oid));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("SNOMED CT")]
    [InlineData("1..2")]
    [InlineData("2.16.840.")]
    public void ToUri_NotAnOid_IsNull(string? oid) => Assert.Null(CodeSystems.ToUri(oid));

    [Theory]
    [InlineData("2.16.840.1.113883.4.1", "http://hl7.org/fhir/sid/us-ssn")]
    [InlineData("2.16.840.1.113883.4.6", "http://hl7.org/fhir/sid/us-npi")]
    [InlineData("1.3.6.1.4.1.22812", "urn:oid:1.3.6.1.4.1.22812")]
    [InlineData("BDD42A71-F2F5-4D6E-8A22-2D85D9DA5D4E", "urn:uuid:bdd42a71-f2f5-4d6e-8a22-2d85d9da5d4e")]
    public void IdentifierSystem_MapsRoots(string root, string expected) => Assert.Equal(expected, CodeSystems.IdentifierSystem(root));

    [Fact]
    public void IdentifierSystem_VendorGarbage_IsNull() => Assert.Null(CodeSystems.IdentifierSystem("authorsOrganizationRoot"));
}
