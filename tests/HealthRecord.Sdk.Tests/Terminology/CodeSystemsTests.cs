using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Terminology;

public class CodeSystemsTests
{
    [Theory]
    [InlineData("urn:oid:2.16.840.1.113883.6.96", CodeSystems.Snomed)]
    [InlineData("2.16.840.1.113883.6.96", CodeSystems.Snomed)]
    [InlineData("urn: oid: 2.16.840.1.113883.6.88", CodeSystems.RxNorm)]
    [InlineData("http://snomed.info/sct/731000124108/version/20230301", CodeSystems.Snomed)]
    [InlineData("http://www.snomed.org", CodeSystems.Snomed)]
    [InlineData("http://terminology.hl7.org/CodeSystem/MVX", CodeSystems.Mvx)]
    [InlineData("urn:oid:2.16.840.1.113883.12.227", CodeSystems.Mvx)]
    [InlineData("MVX", CodeSystems.Mvx)]
    [InlineData("http://hl7.org/fhir/sid/mvx", CodeSystems.Mvx)]
    [InlineData("urn:oid:2.16.840.1.113883.3.26.1.1", CodeSystems.NciThesaurus)]
    [InlineData("http://LOINC.org/", CodeSystems.Loinc)]
    [InlineData("urn:oid:2.16.840.1.113883.12.292", CodeSystems.Cvx)]
    [InlineData("2.16.840.1.113883.6.90", CodeSystems.Icd10Cm)]
    [InlineData("urn:oid:2.16.840.1.113883.6.69", CodeSystems.Ndc)]
    [InlineData("urn:oid:2.16.840.1.113883.4.6", CodeSystems.Npi)]
    [InlineData("1.2.3.4", "urn:oid:1.2.3.4")]
    [InlineData("http://example.org/codes/", "http://example.org/codes")]
    public void Normalize_KnownSpellings_GiveTheCanonicalUri(string system, string expected) =>
        Assert.Equal(expected, CodeSystems.Normalize(system));

    [Theory]
    [InlineData("SNOMED-CT", CodeSystems.Snomed)]
    [InlineData(" SNOMED -CT", CodeSystems.Snomed)]
    [InlineData("CPT-4", CodeSystems.Cpt)]
    [InlineData("HCPCS", CodeSystems.Hcpcs)]
    [InlineData("NCI Thesaurus", CodeSystems.NciThesaurus)]
    [InlineData("ICD-9-CM", CodeSystems.Icd9Cm)]
    [InlineData("Social History", null)]
    [InlineData(null, null)]
    public void FromName_CodeSystemNames_GiveTheUriOrNull(string? name, string? expected) => Assert.Equal(expected, CodeSystems.FromName(name));

    [Fact]
    public void KeyOf_Icd10WithAndWithoutDot_AreTheSameCode() =>
        Assert.Equal(CodeSystems.KeyOf(new Coding("http://hl7.org/fhir/sid/icd-10-cm", "E11.9")), CodeSystems.KeyOf(new Coding("2.16.840.1.113883.6.90", "e119")));

    [Fact]
    public void KeyOf_NoSystemOrNoCode_IsNull()
    {
        Assert.Null(CodeSystems.KeyOf(new Coding(null, "123")));
        Assert.Null(CodeSystems.KeyOf(new Coding(CodeSystems.Loinc, " ")));
    }

    [Fact]
    public void Normalize_Text_IgnoresCasePunctuationAndWordOrder() =>
        Assert.Equal(ClinicalText.Normalize("Hypertension, essential"), ClinicalText.Normalize("ESSENTIAL  hypertension"));
}
