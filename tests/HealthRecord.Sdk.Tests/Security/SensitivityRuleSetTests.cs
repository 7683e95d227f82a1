using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Security;

namespace HealthRecord.Sdk.Tests.Security;

public class SensitivityRuleSetTests
{
    [Fact]
    public void BuiltIn_Loads_WithOriginLicenceAndCodes()
    {
        var sets = SensitivityRuleSet.BuiltIn();

        var core = sets.Single(s => s.Id == "ds4p-core");
        Assert.Equal("Apache-2.0", core.Licence);
        Assert.False(string.IsNullOrWhiteSpace(core.Origin));
        var asu = sets.Single(s => s.Id == "asu-shares");
        Assert.Contains("asushares/cds", asu.Origin, StringComparison.Ordinal);
        Assert.True(asu.Rules.Sum(r => r.Codes.Count) > 2000);
    }

    [Theory]
    [InlineData("http://hl7.org/fhir/sid/icd-10-cm", "F11.20", "opioid-use-disorder")]
    [InlineData("http://hl7.org/fhir/sid/icd-10-cm", "B20", "hiv")]
    [InlineData("http://loinc.org/", "20447-9", "hiv")]
    [InlineData("http://hl7.org/fhir/sid/icd-10-cm", "F32.9", "mental-health")]
    [InlineData("http://www.nlm.nih.gov/research/umls/rxnorm", "1819", "opioid-use-disorder")]
    [InlineData("http://snomed.info/sct", "370143000", "mental-health")]
    [InlineData("urn:oid:2.16.840.1.113883.6.96", "19169002", "sexual-and-reproductive-health")]
    [InlineData("http://hl7.org/fhir/sid/icd-10-cm", "F03.90", "mental-health")]
    [InlineData("http://hl7.org/fhir/sid/icd-10-cm", "F84.0", "mental-health")]
    [InlineData("urn:oid:2.16.840.1.113883.6.103", "300.7", "mental-health")]
    [InlineData("http://hl7.org/fhir/sid/icd-9-cm", "042", "hiv")]
    public void Match_Ds4pCore_FindsRule(string system, string code, string rule)
    {
        var core = SensitivityRuleSet.BuiltIn().Single(s => s.Id == "ds4p-core");

        Assert.Contains(core.Match(ClinicalCodes.Canonical(system, code)), r => r.Id == rule);
    }

    [Fact]
    public void Match_MappedConcept_MatchesTheRulesOfItsTargetOnce()
    {
        var set = SensitivityRuleSet.Parse(
            """{"id":"m","version":"1","rules":[{"id":"psy","labels":[{"code":"PSY"}],"codes":["$ICD10#F32*","$SNOMED#35489007"]}],"maps":[{"from":"$SNOMED#35489007","to":"$ICD10#F32.A"},{"from":"$SNOMED#370143000","to":"$ICD10#F32.9","display":"Major depressive disorder","source":"test"}]}""",
            "m");

        Assert.Equal("psy", Assert.Single(set.Match(ClinicalCodes.Canonical("http://snomed.info/sct", "370143000"))).Id);
        Assert.Single(set.Match(ClinicalCodes.Canonical("http://snomed.info/sct", "35489007"))); // direct and mapped: one rule
        Assert.Empty(set.Match(ClinicalCodes.Canonical("http://snomed.info/sct", "195967001")));
        Assert.Equal(2, set.Mappings.Count);
    }

    [Fact]
    public void BuiltIn_Core_EveryMappingTargetsARuleAndSaysWhereItCameFrom()
    {
        var core = SensitivityRuleSet.Core;

        Assert.True(core.Mappings.Count >= 40);
        Assert.All(core.Mappings, m =>
        {
            Assert.Equal(ClinicalCodes.Snomed, m.From.System);
            Assert.Equal(ClinicalCodes.Icd10Cm, m.To.System);
            Assert.False(string.IsNullOrWhiteSpace(m.Source));
            Assert.NotEmpty(core.Match(m.To));
        });
    }

    [Theory]
    [InlineData("""{"id":"x","rules":[],"maps":{}}""")]
    [InlineData("""{"id":"x","rules":[],"maps":[{"from":"$SNOMED#1"}]}""")]
    public void Parse_BadMaps_ThrowsTypedError(string json)
    {
        var ex = Assert.Throws<SourceReadException>(() => SensitivityRuleSet.Parse(json, "bad"));
        Assert.Equal(HealthRecordErrorCode.InvalidResource, ex.Code);
    }

    [Fact]
    public void Match_OrdinaryCode_FindsNothing()
    {
        var core = SensitivityRuleSet.BuiltIn().Single(s => s.Id == "ds4p-core");

        Assert.Empty(core.Match(ClinicalCodes.Canonical("http://hl7.org/fhir/sid/icd-10-cm", "J45.909")));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("42")]
    [InlineData("""[{"id":"x","labels":[]}]""")]
    [InlineData("""[{"id":"x","labels":[{"code":"PSY"}],"codes":["nohash"]}]""")]
    public void Parse_BadInput_ThrowsTypedError(string json)
    {
        var ex = Assert.Throws<SourceReadException>(() => SensitivityRuleSet.Parse(json, "bad"));
        Assert.Contains(ex.Code, new[] { HealthRecordErrorCode.MalformedContent, HealthRecordErrorCode.InvalidResource });
    }

    [Fact]
    public void Parse_NoVersion_VersionFollowsContent()
    {
        var a = SensitivityRuleSet.Parse("""[{"id":"x","labels":[{"code":"PSY"}],"codes":["$ICD10#F20*"]}]""", "a");
        var b = SensitivityRuleSet.Parse("""[{"id":"x","labels":[{"code":"PSY"}],"codes":["$ICD10#F21*"]}]""", "a");

        Assert.NotEqual(a.Version, b.Version);
        Assert.Single(a.Match(ClinicalCodes.Canonical("http://hl7.org/fhir/sid/icd-10-cm", "F20.9")));
    }
}
