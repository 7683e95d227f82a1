using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace HealthRecord.Sdk.Tests.Consent;

/// <summary>Builds small EHR bundles (urn:uuid fullUrls and references, like EhrBundleBuilder) and the services under test.</summary>
internal static class TestEhr
{
    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10-cm";
    public const string Loinc = "http://loinc.org";

    public static readonly DateTimeOffset Now = new(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static string Id(string name) => EhrIds.From("test", name);

    public static string Urn(string name) => "urn:uuid:" + Id(name);

    public static Patient Patient(string name = "patient") => new()
    {
        Id = Id(name),
        Name = [new HumanName { Family = "Testperson", Given = ["Pat"] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1970-01-01",
    };

    public static Organization Organization(string name, string? identifier = null) => new()
    {
        Id = Id(name),
        Name = name,
        Identifier = identifier is null ? [] : [new Identifier("urn:test:org", identifier)],
    };

    public static Practitioner Practitioner(string name) => new() { Id = Id(name), Name = [new HumanName { Family = name }] };

    public static PractitionerRole Role(string name, string practitioner, string organization) => new()
    {
        Id = Id(name),
        Practitioner = new ResourceReference(Urn(practitioner)),
        Organization = new ResourceReference(Urn(organization)),
    };

    public static Condition Condition(string name, string system, string code, string display, string onset = "2020-03-01") => new()
    {
        Id = Id(name),
        Subject = new ResourceReference(Urn("patient")),
        Code = new CodeableConcept(system, code, display, display),
        Onset = new FhirDateTime(onset),
        Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{display}</div>" },
    };

    public static Observation Observation(string name, string system, string code, string display, string date = "2021-05-01") => new()
    {
        Id = Id(name),
        Status = ObservationStatus.Final,
        Subject = new ResourceReference(Urn("patient")),
        Code = new CodeableConcept(system, code, display, display),
        Effective = new FhirDateTime(date),
        Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
    };

    public static Bundle Bundle(params Resource[] resources)
    {
        var bundle = new Bundle { Id = Id("bundle"), Type = Hl7.Fhir.Model.Bundle.BundleType.Collection };
        foreach (var r in resources)
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + r.Id, Resource = r });
        }

        return bundle;
    }

    public static FhirConsent MakeConsent(string name, FhirConsent.provisionComponent provision, string dateTime = "2020-01-01", string? policy = null) => new()
    {
        Id = name,
        Status = FhirConsent.ConsentState.Active,
        Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
        Category = [new CodeableConcept("http://loinc.org", "59284-0")],
        Patient = new ResourceReference(Urn("patient")),
        DateTime = dateTime,
        PolicyRule = policy is null ? null : new CodeableConcept(SecurityLabelSystems.ActCode, policy),
        Provision = provision,
    };

    public static FhirConsent.provisionComponent Provision(FhirConsent.ConsentProvisionType? type, params FhirConsent.provisionComponent[] children)
    {
        var p = new FhirConsent.provisionComponent { Type = type };
        p.Provision.AddRange(children);
        return p;
    }

    public static FhirConsent.provisionComponent WithLabel(this FhirConsent.provisionComponent p, string code)
    {
        p.SecurityLabel.Add(new Coding(SecurityLabelSystems.ActCode, code));
        return p;
    }

    public static FhirConsent.provisionComponent WithPurpose(this FhirConsent.provisionComponent p, string code)
    {
        p.Purpose.Add(AccessRequest.Purpose(code));
        return p;
    }

    public static FhirConsent.provisionComponent WithActor(this FhirConsent.provisionComponent p, string reference, string role = "IRCP")
    {
        p.Actor.Add(new FhirConsent.provisionActorComponent
        {
            Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", role),
            Reference = new ResourceReference(reference),
        });
        return p;
    }

    public static ServiceProvider Services(FakeTimeProvider? time = null, Action<ConsentOptions>? consent = null, Action<SecurityLabelingOptions>? labeling = null, params IConsentRule[] rules)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<TimeProvider>(time ?? new FakeTimeProvider(Now));
        foreach (var rule in rules)
        {
            services.AddSingleton(rule);
        }

        services.AddHealthRecord(hr =>
        {
            if (consent is not null)
            {
                hr.ConfigureConsent(consent);
            }

            if (labeling is not null)
            {
                hr.ConfigureSecurityLabeling(labeling);
            }
        });
        return services.BuildServiceProvider();
    }

    public static ShareRequest Request(string recipient, string purpose = "TREAT", params FhirConsent[] consents) => new()
    {
        Recipient = ConsentRecipient.Parse(recipient),
        PurposeOfUse = [AccessRequest.Purpose(purpose)],
        Consents = consents,
    };

    public static string Json(Resource r) => FhirJson.Serialize(r);
}
