using CsCheck;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using static HealthRecord.Sdk.Tests.Consent.TestEhr;
using FhirConsent = Hl7.Fhir.Model.Consent;
using PT = Hl7.Fhir.Model.Consent.ConsentProvisionType;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Consent;

/// <summary>Properties of <see cref="EhrSharing"/> over generated EHRs and generated consents.</summary>
public class EhrSharingPropertyTests
{
    private static readonly (string System, string Code, string Display)[] CodePool =
    [
        (Icd10, "F11.20", "Opioid dependence"), (Icd10, "B20", "HIV disease"), (Icd10, "J45.909", "Asthma"),
        (Loinc, "20447-9", "HIV 1 RNA viral load"), (Loinc, "85354-9", "Blood pressure"), (Icd10, "F32.9", "Depressive episode"),
        (Icd10, "E11.9", "Type 2 diabetes"),
    ];

    /// <summary>One generated record: its kind, its code, the earlier record it refers to (if any).</summary>
    public sealed record RecordSpec(int Kind, int Code, int RefersTo);

    /// <summary>A generated consent: root type, then one or two children restricted by one attribute each.</summary>
    public sealed record ConsentSpec(bool RootPermit, int ChildAttribute, int ChildTarget, bool ChildDeny, int SecondAttribute);

    public sealed record Case(RecordSpec[] Records, ConsentSpec Consent, int Seed);

    private static readonly Gen<Case> Cases =
        Gen.Select(
            Gen.Select(Gen.Int[0, 4], Gen.Int[0, CodePool.Length - 1], Gen.Int[-1, 11], (k, c, r) => new RecordSpec(k, c, r)).Array[2, 12],
            Gen.Select(Gen.Bool, Gen.Int[0, 4], Gen.Int[0, 11], Gen.Bool, Gen.Int[-1, 4], (p, a, t, d, s) => new ConsentSpec(p, a, t, d, s)),
            Gen.Int,
            (r, c, s) => new Case(r, c, s));

    private static string Token(int i) => $"zq{i}token";

    private static Bundle Build(Case c)
    {
        var resources = new List<Resource> { Patient() };
        for (var i = 0; i < c.Records.Length; i++)
        {
            var spec = c.Records[i];
            var (system, code, display) = CodePool[spec.Code];
            var concept = new CodeableConcept(system, code, display, Token(i));
            var target = spec.RefersTo >= 0 && spec.RefersTo < i ? new ResourceReference(Urn($"r{spec.RefersTo}")) { Display = Token(spec.RefersTo) } : null;
            DomainResource r = spec.Kind switch
            {
                0 => new Condition { Code = concept, Onset = new FhirDateTime("2020-01-01"), Evidence = target is null ? [] : [new Condition.EvidenceComponent { Detail = [target] }] },
                1 => new Observation { Status = ObservationStatus.Final, Code = concept, Effective = new FhirDateTime("2021-01-01"), DerivedFrom = target is null ? [] : [target] },
                2 => new MedicationRequest { Status = MedicationRequest.MedicationrequestStatus.Active, Intent = MedicationRequest.MedicationRequestIntent.Order, Medication = concept, ReasonReference = target is null ? [] : [target] },
                3 => new DiagnosticReport { Status = DiagnosticReport.DiagnosticReportStatus.Final, Code = concept, Result = target is null ? [] : [target] },
                _ => new Encounter { Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), ReasonCode = [concept], Diagnosis = target is null ? [] : [new Encounter.DiagnosisComponent { Condition = target }] },
            };
            r.Id = Id($"r{i}");
            r.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{Token(i)}{(target is null ? "" : " because of " + Token(spec.RefersTo))}</div>" };
            r.SetValue("subject", new ResourceReference(Urn("patient")));
            resources.Add(r);
            resources.Add(new Provenance { Id = Id($"p{i}"), Recorded = Now, Target = [new ResourceReference(Urn($"r{i}"))], Agent = [new Provenance.AgentComponent { Who = new ResourceReference { Display = "source" } }] });
        }

        return Bundle([.. resources]);
    }

    private static FhirConsent.provisionComponent Child(int attribute, int target, bool deny)
    {
        var p = Provision(deny ? PT.Deny : PT.Permit);
        switch (attribute)
        {
            case 0: p.WithLabel("ETH"); break;
            case 1: p.WithLabel("HIV"); break;
            case 2: p.Class.Add(new Coding("http://hl7.org/fhir/resource-types", "Observation")); break;
            case 3: p.Code.Add(new CodeableConcept(Icd10, "F32.9")); break;
            default: p.Data.Add(new FhirConsent.provisionDataComponent { Meaning = FhirConsent.ConsentDataMeaning.Instance, Reference = new ResourceReference(Urn($"r{target}")) }); break;
        }

        return p;
    }

    private static FhirConsent ConsentOf(ConsentSpec s)
    {
        var root = Provision(s.RootPermit ? PT.Permit : PT.Deny, Child(s.ChildAttribute, s.ChildTarget, s.ChildDeny));
        if (s.SecondAttribute >= 0)
        {
            root.Provision.Add(Child(s.SecondAttribute, s.ChildTarget + 1, !s.ChildDeny));
        }

        return MakeConsent("generated", root);
    }

    private static async Task<ShareResult> Share(ServiceProvider sp, Bundle ehr, Case c) =>
        await sp.GetRequiredService<IEhrSharing>().ShareAsync(ehr, Request(Urn("clinic"), "TREAT", ConsentOf(c.Consent)));

    [Fact]
    public async Task ShareAsync_GeneratedEhrsAndConsents_NoDeniedRecordOrTraceOfItIsDisclosed()
    {
        using var sp = Services();
        var deniedSeen = 0;
        var permittedSeen = 0;
        await Cases.SampleAsync(
            async c =>
            {
                var ehr = Build(c);
                var result = await Share(sp, ehr, c);
                var json = FhirJson.Serialize(result.Disclosure);
                Interlocked.Add(ref deniedSeen, result.Withheld.Count);
                Interlocked.Add(ref permittedSeen, result.Disclosure.Entry.Count);
                for (var i = 0; i < c.Records.Length; i++)
                {
                    var decision = result.Decisions.Single(d => d.Record.EndsWith(Id($"r{i}"), StringComparison.Ordinal));
                    if (decision.Decision == ConsentDecision.Deny)
                    {
                        Assert.DoesNotContain(Id($"r{i}"), json, StringComparison.Ordinal);
                        Assert.DoesNotContain(Token(i), json, StringComparison.Ordinal);
                    }
                }
            },
            iter: 60,
            threads: 1);
        Assert.True(deniedSeen > 0 && permittedSeen > 0, "the generator produces both denials and disclosures");
    }

    [Fact]
    public async Task ShareAsync_GeneratedEhrsAndConsents_PermittedRecordsAppearUnchangedButForRemovedTraces()
    {
        using var sp = Services();
        await Cases.SampleAsync(
            async c =>
            {
                var ehr = Build(c);
                var result = await Share(sp, ehr, c);
                var denied = result.Withheld.ToHashSet();
                foreach (var entry in ehr.Entry.Where(e => e.Resource is not Provenance))
                {
                    var original = entry.Resource!;
                    var key = $"{original.TypeName}/{original.Id}";
                    var shared = result.Disclosure.Entry.Select(e => e.Resource!).FirstOrDefault(r => r.Id == original.Id);
                    if (denied.Contains(key))
                    {
                        Assert.Null(shared);
                        continue;
                    }

                    Assert.NotNull(shared);
                    var refersToDenied = ResourceReferences.Enumerate(original).Any(r => denied.Any(d => r.Reference.Reference == "urn:uuid:" + d.Split('/')[1]));
                    var expected = (Resource)original.DeepCopy();
                    var actual = (Resource)shared.DeepCopy();
                    expected.Meta = null;
                    actual.Meta = null; // labels are recomputed over the disclosure
                    if (!refersToDenied)
                    {
                        Assert.Equal(FhirJson.Serialize(expected), FhirJson.Serialize(actual));
                    }
                    else
                    {
                        Assert.Null(((DomainResource)actual).Text);
                        Assert.Equal(
                            ResourceReferences.Enumerate(expected).Select(r => r.Reference.Reference).Where(r => !denied.Any(d => r == "urn:uuid:" + d.Split('/')[1])).Order(),
                            ResourceReferences.Enumerate(actual).Select(r => r.Reference.Reference).Order());
                    }
                }
            },
            iter: 60,
            threads: 1);
    }

    [Fact]
    public async Task ShareAsync_GeneratedEhrs_DecisionsDoNotDependOnRecordOrder()
    {
        using var sp = Services();
        await Cases.SampleAsync(
            async c =>
            {
                var ehr = Build(c);
                var shuffled = (Bundle)ehr.DeepCopy();
                var random = new Random(c.Seed);
                shuffled.Entry = [.. shuffled.Entry.OrderBy(_ => random.Next())];

                var a = await Share(sp, ehr, c);
                var b = await Share(sp, shuffled, c);

                static Dictionary<string, string> Summary(ShareResult r) =>
                    r.Decisions.ToDictionary(d => d.Record, d => $"{d.Decision} {d.Decisive.Authority} {d.Decisive.ProvisionPath} {d.Decisive.Attribute}");
                Assert.Equal(Summary(a).OrderBy(kv => kv.Key), Summary(b).OrderBy(kv => kv.Key));
                Assert.Equal(
                    a.Disclosure.Entry.Select(e => FhirJson.Serialize(e.Resource!)).Order(),
                    b.Disclosure.Entry.Select(e => FhirJson.Serialize(e.Resource!)).Order());
                Assert.Equal(a.Disclosure.Id, b.Disclosure.Id);
            },
            iter: 40,
            threads: 1);
    }
}
