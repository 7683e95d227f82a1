using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static HealthRecord.Sdk.Tests.Consent.TestEhr;
using FhirConsent = Hl7.Fhir.Model.Consent;
using PT = Hl7.Fhir.Model.Consent.ConsentProvisionType;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Consent;

public class EhrSharingTests
{
    /// <summary>
    /// An EHR where an opioid use disorder is referred to from everywhere a leak can hide: a medication's reason
    /// (with a display and a contained copy), an encounter diagnosis and narrative, a report, two composition
    /// sections, and Provenance targets and entities.
    /// </summary>
    internal static Bundle LeakyEhr()
    {
        var oud = Condition("oud", Icd10, "F11.20", "Opioid dependence");
        var asthma = Condition("asthma", Icd10, "J45.909", "Asthma");
        var copy = (Condition)oud.DeepCopy();
        copy.Id = "c1";
        copy.Text = null;
        var med = new MedicationRequest
        {
            Id = Id("med"),
            Status = MedicationRequest.MedicationrequestStatus.Active,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Subject = new ResourceReference(Urn("patient")),
            Medication = new CodeableConcept(ClinicalCodes.RxNorm, "197696", "product"),
            AuthoredOn = "2020-04-01",
            Contained = [copy],
            ReasonReference = [new ResourceReference(Urn("oud")) { Display = "Opioid dependence" }, new ResourceReference("#c1"), new ResourceReference(Urn("asthma"))],
        };
        var encounter = new Encounter
        {
            Id = Id("enc"),
            Status = Encounter.EncounterStatus.Finished,
            Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
            Subject = new ResourceReference(Urn("patient")),
            Period = new Period { Start = "2020-03-01" },
            Diagnosis =
            [
                new Encounter.DiagnosisComponent { Condition = new ResourceReference(Urn("oud")) },
                new Encounter.DiagnosisComponent { Condition = new ResourceReference(Urn("asthma")) },
            ],
            Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">Seen for opioid dependence and asthma</div>" },
        };
        var bp = Observation("bp", Loinc, "85354-9", "Blood pressure");
        var report = new DiagnosticReport
        {
            Id = Id("report"),
            Status = DiagnosticReport.DiagnosticReportStatus.Final,
            Code = new CodeableConcept(Loinc, "11502-2", "Laboratory report"),
            Subject = new ResourceReference(Urn("patient")),
            Result = [new ResourceReference(Urn("bp")), new ResourceReference(Urn("oud"))],
        };
        var composition = new Composition
        {
            Id = Id("composition"),
            Status = CompositionStatus.Final,
            Type = new CodeableConcept(Loinc, "60591-5", "Patient summary"),
            Date = "2021-01-01",
            Title = "Summary",
            Subject = new ResourceReference(Urn("patient")),
            Author = [new ResourceReference(Urn("clinic"))],
            Section =
            [
                new Composition.SectionComponent
                {
                    Title = "Problems",
                    Entry = [new ResourceReference(Urn("oud")), new ResourceReference(Urn("asthma"))],
                    Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">Opioid dependence; Asthma</div>" },
                },
                new Composition.SectionComponent { Title = "Substance use", Entry = [new ResourceReference(Urn("oud"))] },
            ],
        };
        var provOud = new Provenance { Id = Id("prov-oud"), Recorded = Now, Target = [new ResourceReference(Urn("oud"))], Agent = [new Provenance.AgentComponent { Who = new ResourceReference(Urn("clinic")) }] };
        var provAsthma = new Provenance
        {
            Id = Id("prov-asthma"),
            Recorded = Now,
            Target = [new ResourceReference(Urn("asthma"))],
            Agent = [new Provenance.AgentComponent { Who = new ResourceReference(Urn("clinic")) }],
            Entity = [new Provenance.EntityComponent { Role = Provenance.ProvenanceEntityRole.Derivation, What = new ResourceReference(Urn("oud")) }],
        };
        return Bundle(Patient(), Organization("clinic", "clinic-1"), oud, asthma, med, encounter, bp, report, composition, provOud, provAsthma);
    }

    private static FhirConsent DenyInstance(string name)
    {
        var deny = Provision(PT.Deny);
        deny.Data.Add(new FhirConsent.provisionDataComponent { Meaning = FhirConsent.ConsentDataMeaning.Instance, Reference = new ResourceReference(Urn(name)) });
        return MakeConsent("c", Provision(PT.Permit, deny));
    }

    private static Resource? Find(Bundle b, string name) => b.Entry.Select(e => e.Resource).FirstOrDefault(r => r?.Id == Id(name));

    private static void AssertNoTrace(Bundle disclosure, params string[] traces)
    {
        var json = FhirJson.Serialize(disclosure);
        foreach (var t in traces)
        {
            Assert.DoesNotContain(t, json, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task ShareAsync_DeniedInstance_LeavesNoTraceInPermittedRecords()
    {
        using var sp = Services();
        var ehr = LeakyEhr();
        var before = FhirJson.Serialize(ehr);

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(ehr, Request(Urn("clinic"), "TREAT", DenyInstance("oud")));

        var d = result.Disclosure;
        Assert.Null(Find(d, "oud"));
        Assert.Null(Find(d, "prov-oud")); // a Provenance only about the withheld record goes with it
        AssertNoTrace(d, Id("oud"), "Opioid dependence", "F11.20", "OPIOIDUD", "42CFRPart2");
        var med = (MedicationRequest)Find(d, "med")!;
        Assert.Empty(med.Contained); // the contained copy
        Assert.Equal([Urn("asthma")], med.ReasonReference.Select(r => r.Reference));
        var encounter = (Encounter)Find(d, "enc")!;
        Assert.Equal([Urn("asthma")], encounter.Diagnosis.Select(x => x.Condition.Reference));
        Assert.Null(encounter.Text); // its narrative restated the diagnosis
        Assert.Equal([Urn("bp")], ((DiagnosticReport)Find(d, "report")!).Result.Select(r => r.Reference));
        var composition = (Composition)Find(d, "composition")!;
        var section = Assert.Single(composition.Section);
        Assert.Equal("Problems", section.Title);
        Assert.Null(section.Text);
        var prov = (Provenance)Find(d, "prov-asthma")!;
        Assert.Empty(prov.Entity);
        Assert.Equal(before, FhirJson.Serialize(ehr)); // the input is untouched
    }

    [Fact]
    public async Task ShareAsync_DeniedLabel_WithholdsRecordsThatReferToTheSensitiveOne()
    {
        using var sp = Services();
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel("ETH")));

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(LeakyEhr(), Request(Urn("clinic"), "TREAT", consent));

        Assert.Equal(["asthma", "bp", "clinic", "patient"], new[] { "asthma", "bp", "clinic", "patient", "prov-asthma", "report", "oud", "med", "enc", "composition", "prov-oud" }.Where(n => Find(result.Disclosure, n) is not null).Order());
        AssertNoTrace(result.Disclosure, Id("oud"), "Opioid dependence", "ETH", "42CFRPart2");
        Assert.Equal("N", Assert.Single(result.Disclosure.Meta!.Security).Code); // nothing restricted is left, and nothing says what was removed
    }

    [Fact]
    public async Task ShareAsync_Part2RecordDisclosed_AttachesRedisclosureNoticeAndHighWaterMark()
    {
        using var sp = Services();
        var consent = MakeConsent("c", Provision(PT.Permit));

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(LeakyEhr(), Request(Urn("clinic"), "TREAT", consent));

        var meta = result.Disclosure.Meta!;
        Assert.Contains(meta.Security, c => c.System == SecurityLabelSystems.Confidentiality && c.Code == "R");
        Assert.Contains(meta.Security, c => c.Code == "42CFRPart2");
        Assert.Contains(meta.Security, c => c.Code == "NORDSCLCD");
        var notice = Assert.Single(meta.Extension, e => e.Url == EhrSharing.RedisclosureNoticeExtension);
        Assert.Equal("42 CFR part 2 prohibits unauthorized disclosure of these records.", ((FhirString)notice.Value!).Value);
        Assert.NotNull(Find(result.Disclosure, "oud"));
    }

    [Fact]
    public async Task ShareAsync_Always_AuditsDisclosureAndEveryDecision()
    {
        using var sp = Services();
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel("ETH")));
        var request = Request(Urn("clinic"), "TREAT", consent);

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(LeakyEhr(), request);

        var sink = (InMemoryAuditSink)sp.GetRequiredService<IAuditSink>();
        Assert.Equal(result.AuditEvents.Select(e => e.Id), sink.Events.Select(e => e.Id));
        Assert.Equal(1 + result.Decisions.Count, result.AuditEvents.Count);
        var disclosure = result.AuditEvents[0];
        Assert.Equal("110106", disclosure.Type.Code);
        Assert.Equal(Now, disclosure.Recorded);
        Assert.Equal("TREAT", disclosure.PurposeOfEvent.Single().Coding[0].Code);
        Assert.Contains(disclosure.Agent, a => a.Requestor == true && a.Who!.Reference == Urn("clinic"));
        Assert.Contains(disclosure.Entity, e => e.What!.Reference == "urn:uuid:" + Id("patient"));
        Assert.Contains(disclosure.Entity, e => e.What!.Reference == "Consent/c");
        var denial = result.AuditEvents.Single(e => e.Entity.Any(x => x.What!.Reference == Urn("oud")));
        Assert.Equal(AuditEvent.AuditEventOutcome.N4, denial.Outcome);
        Assert.Contains("Consent/c provision.provision[0]", denial.OutcomeDesc, StringComparison.Ordinal);
        Assert.Contains(denial.Entity, e => e.What!.Reference == "Consent/c");
    }

    [Fact]
    public async Task ShareAsync_BreakGlass_ReleasesAndAuditsEmergencyAccess()
    {
        using var sp = Services();
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel("ETH"), Provision(PT.Permit).WithPurpose("ETREAT")));
        var request = Request(Urn("clinic"), "ETREAT", consent) with { BreakGlass = true };

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(LeakyEhr(), request);

        Assert.NotNull(Find(result.Disclosure, "oud"));
        Assert.Contains(result.Decisions, d => d.BreakGlass && d.Record == "Condition/" + Id("oud"));
        Assert.Contains(result.AuditEvents[0].PurposeOfEvent, p => p.Coding[0].Code == "BTG");
        Assert.Contains("emergency access", result.AuditEvents[0].OutcomeDesc, StringComparison.Ordinal);
    }

    private sealed class MaskForResearch : IConsentRule
    {
        public string Name => "mask-names-for-research";

        public ConsentRuleVote? Evaluate(ConsentRuleContext context) =>
            context.Record is Patient && context.HasPurpose("HRESCH")
                ? new ConsentRuleVote(ConsentDecision.Permit, "research gets masked names", [new ConsentObligation(ObligationKind.Mask, "name", "no names for research")])
                : null;
    }

    [Fact]
    public async Task ShareAsync_RuleObligation_MasksElement()
    {
        using var sp = Services(null, o => o.Default = NoConsentDefault.OptOut, null, new MaskForResearch());

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(LeakyEhr(), Request(Urn("clinic"), "HRESCH"));

        var patient = (Patient)Find(result.Disclosure, "patient")!;
        Assert.Equal(ConsentObligation.MaskText, patient.Name[0].Family);
        Assert.Equal(ConsentObligation.MaskText, patient.Name[0].Given.Single());
        Assert.Equal("1970-01-01", patient.BirthDate);
    }

    [Fact]
    public async Task ShareAsync_InlineLabelledIdentifier_RedactedFromDisclosure()
    {
        var patient = (Patient)FhirJson.Parse(File.ReadAllText(Corpus.Fixture("consent/extension-inline-sec-label-patient.json")));
        var deny = Provision(PT.Deny);
        deny.SecurityLabel.Add(new Coding(SecurityLabelSystems.Confidentiality, "R"));
        var consent = MakeConsent("c", Provision(PT.Permit, deny));
        consent.Patient = new ResourceReference("Patient/P002");
        using var sp = Services();

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(Bundle(patient), Request("Organization/x", "TREAT", consent));

        var shared = (Patient)result.Disclosure.Entry.Single().Resource!;
        Assert.Equal(["1234567"], shared.Identifier.Select(i => i.Value));
        AssertNoTrace(result.Disclosure, "111-22-3333");
    }

    [Fact]
    public async Task ShareAsync_SameInputTwice_ByteIdenticalDisclosure()
    {
        using var sp = Services();
        var sharing = sp.GetRequiredService<IEhrSharing>();
        var request = Request(Urn("clinic"), "TREAT", DenyInstance("oud"));

        var a = await sharing.ShareAsync(LeakyEhr(), request);
        var b = await sharing.ShareAsync(LeakyEhr(), request);

        Assert.Equal(FhirJson.Serialize(a.Disclosure), FhirJson.Serialize(b.Disclosure));
        Assert.Equal(a.AuditEvents.Select(e => FhirJson.Serialize(e)), b.AuditEvents.Select(e => FhirJson.Serialize(e)));
    }

    [CorpusFact]
    public async Task ShareAsync_LeapLabelConsent_WithholdsLabelledKetamineKeepsBacteria()
    {
        // leap-cds-expected.csv: "consent permit card with obligations when a consent with security label provisions applies" (content part)
        var patient = FhirJson.Parse(File.ReadAllText(Corpus.PathOf("consent/leap-cds/patients/patient-boris.json")));
        var ketamine = FhirJson.Parse(File.ReadAllText(Corpus.PathOf("consent/leap-cds/observations/observations-ketamine.json")));
        var bacteria = FhirJson.Parse(File.ReadAllText(Corpus.PathOf("consent/leap-cds/observations/observation-bacteria.json")));
        var consent = ConsentDocuments.Parse(File.ReadAllText(Corpus.PathOf("consent/leap-cds/consents/r4/consent-boris-deny-restricted-label.json"))).Single();
        using var sp = Services(new FakeTimeProvider(Now), null, o =>
        {
            o.RuleSets.Clear();
            o.AddRuleSet(File.ReadAllText(Corpus.PathOf("consent/leap-cds/labeling/sensitivity-rules.json")), "leap-sensitivity");
            o.AddRuleSet(File.ReadAllText(Corpus.PathOf("consent/leap-cds/labeling/confidentiality-rules.json")), "leap-confidentiality");
        });
        var request = new ShareRequest
        {
            Recipient = ConsentRecipient.Parse("urn:ietf:rfc:3986|2.16.840.1.113883.20.5"),
            Consents = [consent],
            Directory = ConsentEvaluatorCorpusTests.LeapDirectory(),
        };

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(Bundle(patient, ketamine, bacteria), request);

        Assert.Equal(["Observation/f206", "Patient/52"], result.Disclosure.Entry.Select(e => $"{e.Resource!.TypeName}/{e.Resource.Id}").Order());
        Assert.Equal(["Observation/f204"], result.Withheld);
    }

    [Fact]
    public async Task ShareAsync_TwoResourcesWithOneId_DisclosesOnlyTheEvaluatedOne()
    {
        var ehr = Bundle(Patient(), Condition("dup", Icd10, "J45.909", "Asthma"));
        var twin = Condition("dup", Icd10, "F11.20", "Opioid dependence"); // same Type/id, sensitive content
        ehr.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:other", Resource = twin });
        using var sp = Services();
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel("ETH")));

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(ehr, Request(Urn("clinic"), "TREAT", consent));

        Assert.Single(result.Disclosure.Entry, e => e.Resource is Condition);
        AssertNoTrace(result.Disclosure, "Opioid dependence");
    }

    [Fact]
    public async Task ShareAsync_EmptyBundle_DisclosesNothingAndAuditsIt()
    {
        using var sp = Services();

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(new Bundle { Type = Hl7.Fhir.Model.Bundle.BundleType.Collection }, Request(Urn("clinic")));

        Assert.Empty(result.Disclosure.Entry);
        Assert.Equal(AuditEvent.AuditEventOutcome.N4, Assert.Single(result.AuditEvents).Outcome);
    }
}
