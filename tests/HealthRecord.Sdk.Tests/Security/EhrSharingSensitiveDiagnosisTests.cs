using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using static HealthRecord.Sdk.Tests.Consent.TestEhr;
using PT = Hl7.Fhir.Model.Consent.ConsentProvisionType;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Security;

/// <summary>End to end through <see cref="IEhrSharing"/>: diagnoses coded only in SNOMED CT (or ICD-9-CM) are withheld under a consent that denies their category.</summary>
public class EhrSharingSensitiveDiagnosisTests
{
    [Theory]
    [InlineData("PSY")]
    [InlineData("MH")]
    public async Task ShareAsync_ConsentDenyingMentalHealth_DoesNotDiscloseSnomedMajorDepressiveDisorder(string denied)
    {
        var depression = Condition("mdd", ClinicalCodes.Snomed, "370143000", "Major depressive disorder");
        var asthma = Condition("asthma", ClinicalCodes.Snomed, "195967001", "Asthma");
        var ehr = Bundle(Patient(), depression, asthma);
        using var sp = Services();
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel(denied)));

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(ehr, Request(Urn("clinic"), "TREAT", consent));

        Assert.Contains($"Condition/{Id("mdd")}", result.Withheld);
        var json = FhirJson.Serialize(result.Disclosure);
        Assert.DoesNotContain("370143000", json, StringComparison.Ordinal);
        Assert.DoesNotContain("depressive", json, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(result.Disclosure.Entry, e => e.Resource?.Id == Id("asthma"));
    }

    [Theory]
    [InlineData(ClinicalCodes.Snomed, "19169002", "Miscarriage in first trimester", "SEX")]
    [InlineData(ClinicalCodes.Snomed, "52448006", "Dementia", "PSY")]
    [InlineData(ClinicalCodes.Icd9Cm, "300.7", "Hypochondriasis", "PSY")]
    [InlineData(ClinicalCodes.Snomed, "86406008", "Human immunodeficiency virus infection", "HIV")]
    [InlineData(ClinicalCodes.Snomed, "41040004", "Complete trisomy 21 syndrome", "GDIS")]
    public async Task ShareAsync_ConsentDenyingCategory_WithholdsDiagnosisCodedOutsideIcd10Cm(string system, string code, string display, string denied)
    {
        var ehr = Bundle(Patient(), Condition("dx", system, code, display));
        using var sp = Services();
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel(denied)));

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(ehr, Request(Urn("clinic"), "TREAT", consent));

        Assert.Contains($"Condition/{Id("dx")}", result.Withheld);
        Assert.DoesNotContain(code, FhirJson.Serialize(result.Disclosure), StringComparison.Ordinal);
    }
}
