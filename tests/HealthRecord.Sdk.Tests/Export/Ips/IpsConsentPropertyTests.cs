#nullable disable warnings
using System.Text;
using CsCheck;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Export.Ips;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using static HealthRecord.Sdk.Tests.Consent.TestEhr;
using FhirConsent = Hl7.Fhir.Model.Consent;
using PT = Hl7.Fhir.Model.Consent.ConsentProvisionType;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Export.Ips;

/// <summary>
/// Consent comes first: over generated EHRs and generated consents that deny mental-health records, the IPS (its JSON
/// bytes and its HTML rendering) holds no code, display, text or id of a withheld record.
/// </summary>
public class IpsConsentPropertyTests
{
    private static readonly (string Code, string Display)[] MentalHealth =
    [
        ("F32.9", "Major depressive disorder single episode"), ("F41.1", "Generalized anxiety disorder"), ("F20.9", "Schizophrenia unspecified"),
    ];

    private static readonly (string Code, string Display)[] Other =
    [
        ("J45.909", "Asthma uncomplicated"), ("E11.9", "Type 2 diabetes mellitus"), ("I10", "Essential hypertension"),
    ];

    /// <summary>One generated record: kind (0 condition, 1 medication, 2 lab result), whether mental health, pool index, the earlier record it refers to.</summary>
    public sealed record RecordSpec(int Kind, bool Mental, int Code, int RefersTo);

    /// <summary>A consent that denies mental health: how (0 label PSY, 1 the codes, 2 label PSY for this purpose and recipient), plus an optional extra denial of lab results.</summary>
    public sealed record ConsentSpec(int Form, bool AlsoDenyResults);

    public sealed record Case(RecordSpec[] Records, ConsentSpec Consent);

    private static readonly Gen<Case> Cases = Gen.Select(
        Gen.Select(Gen.Int[0, 2], Gen.Bool, Gen.Int[0, 2], Gen.Int[-1, 9], (k, m, c, r) => new RecordSpec(k, m, c, r)).Array[1, 10],
        Gen.Select(Gen.Int[0, 2], Gen.Bool, (f, d) => new ConsentSpec(f, d)),
        (r, c) => new Case(r, c));

    private static string Token(int i) => $"zq{i}secret";

    private static Bundle Build(Case c)
    {
        var resources = new List<Resource> { Patient() };
        for (var i = 0; i < c.Records.Length; i++)
        {
            var spec = c.Records[i];
            var (code, display) = spec.Mental ? MentalHealth[spec.Code] : Other[spec.Code];
            var concept = new CodeableConcept(Icd10, code, display, $"{display} {Token(i)}");
            var target = spec.RefersTo >= 0 && spec.RefersTo < i ? new ResourceReference(Urn($"r{spec.RefersTo}")) { Display = Token(spec.RefersTo) } : null;
            DomainResource r = spec.Kind switch
            {
                0 => new Condition
                {
                    ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                    Code = concept,
                    Subject = new ResourceReference(Urn("patient")),
                    Onset = new FhirDateTime("2020-01-01"),
                    Evidence = target is null ? [] : [new Condition.EvidenceComponent { Detail = [target] }],
                },
                1 => new MedicationRequest
                {
                    Status = MedicationRequest.MedicationrequestStatus.Active,
                    Intent = MedicationRequest.MedicationRequestIntent.Order,
                    Subject = new ResourceReference(Urn("patient")),
                    Medication = new CodeableConcept("http://www.nlm.nih.gov/research/umls/rxnorm", "31" + i, $"drug {Token(i)}"),
                    ReasonCode = [concept],
                    ReasonReference = target is null ? [] : [target],
                },
                _ => new Observation
                {
                    Status = ObservationStatus.Final,
                    Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
                    Code = concept,
                    Subject = new ResourceReference(Urn("patient")),
                    Effective = new FhirDateTime("2021-01-01"),
                    DerivedFrom = target is null ? [] : [target],
                },
            };
            r.Id = Id($"r{i}");
            r.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{Token(i)}{(target is null ? "" : " because of " + Token(spec.RefersTo))}</div>" };
            resources.Add(r);
        }

        return Bundle([.. resources]);
    }

    private static FhirConsent ConsentOf(ConsentSpec s)
    {
        var deny = Provision(PT.Deny);
        switch (s.Form)
        {
            case 0:
                deny.WithLabel("PSY");
                break;
            case 1:
                foreach (var (code, _) in MentalHealth)
                {
                    deny.Code.Add(new CodeableConcept(Icd10, code));
                }

                break;
            default:
                deny.WithLabel("PSY").WithPurpose("TREAT").WithActor(Urn("clinic"));
                break;
        }

        var root = Provision(PT.Permit, deny);
        if (s.AlsoDenyResults)
        {
            var results = Provision(PT.Deny);
            results.Class.Add(new Coding("http://hl7.org/fhir/resource-types", "Observation"));
            root.Provision.Add(results);
        }

        return MakeConsent("generated", root);
    }

    [Fact]
    public async Task BuildAsync_ConsentDenyingMentalHealth_NoWithheldCodeDisplayTextOrIdInTheDocument()
    {
        using var sp = Services();
        var builder = sp.GetRequiredService<IIpsDocumentBuilder>();
        var withheldSeen = 0;
        var mentalSeen = 0;
        await Cases.SampleAsync(
            async c =>
            {
                var ehr = Build(c);
                var ips = await builder.BuildAsync(ehr, new IpsRequest
                {
                    Recipient = ConsentRecipient.Parse(Urn("clinic")),
                    Consents = [ConsentOf(c.Consent)],
                    Date = Now,
                });
                var bytes = Encoding.UTF8.GetString(FhirJson.SerializeToUtf8(ips.Bundle)) + IpsHtml.Render(ips.Bundle);
                var withheld = ips.Share.Withheld.ToHashSet(StringComparer.Ordinal);
                Interlocked.Add(ref withheldSeen, withheld.Count);
                Assert.Empty(IpsChecks.Structure(ips.Bundle));
                for (var i = 0; i < c.Records.Length; i++)
                {
                    var spec = c.Records[i];
                    var reference = withheld.FirstOrDefault(w => w.EndsWith(Id($"r{i}"), StringComparison.Ordinal));
                    if (spec.Mental && spec.Kind != 1)
                    {
                        Interlocked.Increment(ref mentalSeen);
                        Assert.NotNull(reference); // consent denies every mental-health record
                    }

                    if (reference is null)
                    {
                        continue;
                    }

                    Assert.DoesNotContain(Id($"r{i}"), bytes, StringComparison.Ordinal);
                    Assert.DoesNotContain(Token(i), bytes, StringComparison.Ordinal);
                }

                // No mental-health code or display anywhere, whichever record carried it.
                if (c.Records.Any(r => r.Mental))
                {
                    foreach (var (code, display) in MentalHealth)
                    {
                        Assert.DoesNotContain(code, bytes, StringComparison.Ordinal);
                        Assert.DoesNotContain(display, bytes, StringComparison.OrdinalIgnoreCase);
                    }
                }
            },
            iter: 60,
            threads: 1);
        Assert.True(withheldSeen > 0 && mentalSeen > 0, "the generator produces mental-health records to withhold");
    }

    [Fact]
    public async Task BuildAsync_WithoutRecipient_TheSameRecordsAreInTheDocument()
    {
        // The property above can fail: without consent the mental-health record is in the IPS.
        using var sp = Services();
        var c = new Case([new RecordSpec(0, true, 0, -1), new RecordSpec(0, false, 1, -1)], new ConsentSpec(0, false));

        var ips = await sp.GetRequiredService<IIpsDocumentBuilder>().BuildAsync(Build(c), new IpsRequest { Date = Now });
        var consented = await sp.GetRequiredService<IIpsDocumentBuilder>().BuildAsync(Build(c), new IpsRequest { Date = Now, Recipient = ConsentRecipient.Parse(Urn("clinic")), Consents = [ConsentOf(c.Consent)] });

        Assert.Contains(MentalHealth[0].Display, FhirJson.Serialize(ips.Bundle), StringComparison.Ordinal);
        Assert.DoesNotContain(MentalHealth[0].Display, FhirJson.Serialize(consented.Bundle), StringComparison.Ordinal);
        Assert.Equal(2, ips.Sections[0].Entries);
        Assert.Equal(1, consented.Sections[0].Entries);
        Assert.Contains("Problems: 1 entry", consented.Composition.Text.Div, StringComparison.Ordinal);
    }
}
