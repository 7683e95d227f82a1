using HealthRecord.Sdk.FhirServer.Rest;

namespace HealthRecord.Sdk.FhirServer.Tests.Rest;

public class FhirSourceLocationTests
{
    [Theory]
    [InlineData("https://host/fhir?patient=123", "https://host/fhir", "Patient", "123", null)]
    [InlineData("https://host/fhir/?patient=Patient/123", "https://host/fhir", "Patient", "123", null)]
    [InlineData("https://host/fhir/Patient/123", "https://host/fhir", "Patient", "123", null)]
    [InlineData("https://host/fhir/$export", "https://host/fhir", "SystemExport", null, null)]
    [InlineData("https://host/r4/Patient/$export?_type=Patient,Condition", "https://host/r4", "PatientExport", null, null)]
    [InlineData("http://127.0.0.1:8080/fhir/Group/g-1/$export", "http://127.0.0.1:8080/fhir", "GroupExport", null, "g-1")]
    public void TryParse_SupportedForms_GiveBaseAndKind(string location, string expectedBase, string kind, string? patient, string? group)
    {
        Assert.True(FhirSourceLocation.TryParse(location, out var parsed, out _));

        Assert.Equal(expectedBase, parsed!.BaseAddress.AbsoluteUri.TrimEnd('/'));
        Assert.Equal(Enum.Parse<FhirReadKind>(kind), parsed.Kind);
        Assert.Equal(patient, parsed.PatientId);
        Assert.Equal(group, parsed.GroupId);
    }

    [Fact]
    public void TryParse_TypesAndSince_AreRead()
    {
        Assert.True(FhirSourceLocation.TryParse("https://host/fhir/$export?_type=Patient,Observation&_since=2024-05-01T00:00:00Z", out var parsed, out _));

        Assert.Equal(["Patient", "Observation"], parsed!.Types);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.Zero), parsed.Since);
    }

    [Theory]
    [InlineData("https://host/fhir")]
    [InlineData("https://host/fhir?patient=1&_since=yesterday")]
    [InlineData("/local/path")]
    public void TryParse_Unusable_SaysWhy(string location)
    {
        Assert.False(FhirSourceLocation.TryParse(location, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
