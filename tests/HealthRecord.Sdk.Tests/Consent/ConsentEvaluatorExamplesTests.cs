using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using FhirConsent = Hl7.Fhir.Model.Consent;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Consent;

/// <summary>
/// The FHIR R4 consent examples (committed fixtures, CC0), evaluated for a record built for them: a blood pressure
/// of patient f001 measured by Organization/f001. Expected outcomes follow the semantics in docs/consent.md, which
/// also lists where an example's narrative says otherwise than its coded content.
/// </summary>
public class ConsentEvaluatorExamplesTests
{
    private static Bundle Ehr()
    {
        var patient = FhirJson.Parse<Patient>(File.ReadAllText(Corpus.Fixture("consent/Patient-f001.json")));
        var obs = new Observation
        {
            Id = "obs",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "85354-9", "Blood pressure"),
            Subject = new ResourceReference("Patient/f001"),
            Performer = [new ResourceReference("Organization/f001")],
            Effective = new FhirDateTime("2015-06-01"),
        };
        var bundle = new Bundle { Id = "examples", Type = Bundle.BundleType.Collection };
        foreach (var r in new Resource[] { patient, new Organization { Id = "f001", Name = "Good Health" }, new Organization { Id = "other" }, new Practitioner { Id = "f204" }, obs })
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"urn:uuid:{r.TypeName.ToLowerInvariant()}-{r.Id}", Resource = r });
        }

        return bundle;
    }

    [Theory]
    [InlineData("basic", "2015-06-01", "Organization/other", "TREAT", "Permit@provision")]
    [InlineData("basic", "2016-06-01", "Organization/other", "TREAT", "Deny@default")]
    [InlineData("notTime", "2015-01-15", "Organization/other", "TREAT", "Permit@provision")]
    [InlineData("notTime", "2015-06-01", "Organization/other", "TREAT", "Deny@default")]
    [InlineData("notOrg", "2015-06-01", "Organization/f001", "TREAT", "Deny@provision")]
    [InlineData("notOrg", "2015-06-01", "Organization/other", "TREAT", "Deny@default")]
    [InlineData("notThem", "2015-06-01", "Practitioner/f204", "TREAT", "Permit@provision")]
    [InlineData("notThem", "2015-06-01", "Organization/other", "TREAT", "Deny@default")]
    [InlineData("Out", "2015-06-01", "Organization/other", "TREAT", "Deny@provision")]
    [InlineData("Emergency", "2015-06-01", "Organization/other", "ETREAT", "Deny@provision.provision[0]")]
    [InlineData("Emergency", "2015-06-01", "Organization/other", "TREAT", "Deny@default")]
    [InlineData("grantor", "2015-06-01", "Patient/example", "TREAT", "Deny@provision")]
    [InlineData("grantor", "2015-06-01", "Organization/other", "TREAT", "Deny@default")]
    [InlineData("pkb", "2016-06-01", "Organization/f001", "TREAT", "Deny@default")]
    [InlineData("signature", "2016-06-01", "Practitioner/13", "TREAT", "Deny@default")]
    [InlineData("smartonfhir", "2016-06-23T07:10:00Z", "Organization/other", "TREAT", "Deny@default")]
    public async Task EvaluateAsync_FhirR4ConsentExample_DecidesAsDocumented(string example, string now, string recipient, string purpose, string expected)
    {
        var consent = ConsentDocuments.Parse(File.ReadAllText(Corpus.Fixture($"consent/Consent-consent-example-{example}.json"))).Single();
        var time = new FakeTimeProvider(DateTimeOffset.Parse(now.Length == 10 ? now + "T12:00:00Z" : now, System.Globalization.CultureInfo.InvariantCulture));
        using var sp = TestEhr.Services(time);
        var request = new AccessRequest { Recipient = new ConsentRecipient { Reference = recipient }, PurposeOfUse = [AccessRequest.Purpose(purpose)] };

        var evaluation = await sp.GetRequiredService<IConsentEvaluator>().EvaluateAsync(Ehr(), [consent], request);

        var d = evaluation.Decisions.Single(x => x.Record == "Observation/obs");
        Assert.Equal(expected, $"{d.Decision}@{d.Decisive.ProvisionPath ?? d.Decisive.Authority}");
        if (example is "pkb" or "signature" or "smartonfhir")
        {
            Assert.Equal("patient", Assert.Single(evaluation.Consents).Attribute); // these examples are about other patients
        }
    }
}
