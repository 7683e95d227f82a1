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
    public void Match_Ds4pCore_FindsRule(string system, string code, string rule)
    {
        var core = SensitivityRuleSet.BuiltIn().Single(s => s.Id == "ds4p-core");

        Assert.Contains(core.Match(ClinicalCodes.Canonical(system, code)), r => r.Id == rule);
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
