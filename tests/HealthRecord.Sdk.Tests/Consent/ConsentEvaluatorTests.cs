using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static HealthRecord.Sdk.Tests.Consent.TestEhr;
using FhirConsent = Hl7.Fhir.Model.Consent;
using PT = Hl7.Fhir.Model.Consent.ConsentProvisionType;

namespace HealthRecord.Sdk.Tests.Consent;

public class ConsentEvaluatorTests
{
    /// <summary>A small EHR: an opioid use disorder (labelled OPIOIDUD/ETH/R), a blood pressure, a medication for the disorder, a clinic and its doctor.</summary>
    internal static Bundle World()
    {
        var oud = Condition("oud", Icd10, "F11.20", "Opioid dependence");
        oud.Recorder = new ResourceReference(Urn("drsmith"));
        var bp = Observation("bp", Loinc, "85354-9", "Blood pressure");
        var med = new MedicationRequest
        {
            Id = Id("med"),
            Status = MedicationRequest.MedicationrequestStatus.Active,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Subject = new ResourceReference(Urn("patient")),
            Medication = new CodeableConcept(ClinicalCodes.RxNorm, "197696", "product"),
            ReasonReference = [new ResourceReference(Urn("oud"))],
            AuthoredOn = "2020-04-01",
        };
        return Bundle(Patient(), Organization("clinic", "clinic-1"), Organization("other"), Practitioner("drsmith"), Role("drsmith-at-clinic", "drsmith", "clinic"), oud, bp, med);
    }

    private static async Task<Dictionary<string, RecordDecision>> Evaluate(Bundle ehr, AccessRequest request, IReadOnlyList<FhirConsent> consents, Action<ConsentOptions>? options = null, FakeTimeProvider? time = null, params IConsentRule[] rules)
    {
        using var sp = Services(time, options, null, rules);
        var labelled = sp.GetRequiredService<SecurityLabeling>().Label(ehr);
        var evaluation = await sp.GetRequiredService<IConsentEvaluator>().EvaluateAsync(labelled, consents, request);
        var names = new[] { "patient", "clinic", "other", "drsmith", "drsmith-at-clinic", "oud", "bp", "med", "vl", "report", "note" };
        return evaluation.Decisions.Where(d => !d.Record.Contains('#')).ToDictionary(d => names.FirstOrDefault(n => d.Record.EndsWith(Id(n), StringComparison.Ordinal)) ?? d.Record);
    }

    private static AccessRequest To(string recipientName, string purpose = "TREAT") => new()
    {
        Recipient = new ConsentRecipient { Reference = Urn(recipientName) },
        PurposeOfUse = [AccessRequest.Purpose(purpose)],
    };

    private static string Show(RecordDecision d) => $"{d.Decision}@{d.Decisive.ProvisionPath ?? d.Decisive.Authority}";

    private static PT? Type(string t) => t switch { "permit" => PT.Permit, "deny" => PT.Deny, _ => null };

    // Truth table for nested provisions: the root, one child restricted to label ETH; the opioid record carries ETH, the blood pressure does not.
    [Theory]
    [InlineData("permit", "", "deny", "Deny@provision.provision[0]", "Permit@provision")]
    [InlineData("deny", "", "permit", "Permit@provision.provision[0]", "Deny@provision")]
    [InlineData("permit", "", "permit", "Permit@provision.provision[0]", "Permit@provision")]
    [InlineData("deny", "", "deny", "Deny@provision.provision[0]", "Deny@provision")]
    [InlineData("permit", "", "untyped", "Deny@provision.provision[0]", "Permit@provision")]
    [InlineData("deny", "", "untyped", "Permit@provision.provision[0]", "Deny@provision")]
    [InlineData("untyped", "", "deny", "Deny@provision.provision[0]", "Deny@default")]
    [InlineData("untyped", "", "permit", "Permit@provision.provision[0]", "Deny@default")]
    [InlineData("untyped", "OPTIN", "deny", "Deny@provision.provision[0]", "Permit@provision")]
    [InlineData("untyped", "OPTOUT", "permit", "Permit@provision.provision[0]", "Deny@provision")]
    [InlineData("untyped", "OPTOUT", "untyped", "Permit@provision.provision[0]", "Deny@provision")]
    [InlineData("permit", "OPTOUT", "none", "Permit@provision", "Permit@provision")]
    [InlineData("untyped", "", "none", "Deny@default", "Deny@default")]
    public async Task EvaluateAsync_NestedProvisionTruthTable(string root, string policy, string child, string expectedSensitive, string expectedOrdinary)
    {
        var provision = Provision(Type(root));
        if (child != "none")
        {
            provision.Provision.Add(Provision(Type(child)).WithLabel("ETH"));
        }

        var d = await Evaluate(World(), To("clinic"), [MakeConsent("c", provision, policy: policy.Length == 0 ? null : policy)]);

        Assert.Equal(expectedSensitive, Show(d["oud"]));
        Assert.Equal(expectedOrdinary, Show(d["bp"]));
    }

    [Theory]
    [InlineData("TREAT", "Deny@provision.provision[0]")]
    [InlineData("ETREAT", "Permit@provision.provision[0].provision[0]")]
    public async Task EvaluateAsync_ThreeLevels_MostSpecificMatchingProvisionDecides(string purpose, string expected)
    {
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny, Provision(PT.Permit).WithPurpose("ETREAT")).WithLabel("ETH")));

        var d = await Evaluate(World(), To("clinic", purpose), [consent]);

        Assert.Equal(expected, Show(d["oud"]));
        Assert.Equal("Permit@provision", Show(d["bp"]));
        Assert.Equal(purpose == "TREAT" ? "securityLabel" : "purpose", d["oud"].Decisive.Attribute);
    }

    [Fact]
    public async Task EvaluateAsync_SiblingPermitAndDeny_DenyWins()
    {
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Permit).WithLabel("ETH"), Provision(PT.Deny).WithLabel("OPIOIDUD")));

        var d = await Evaluate(World(), To("clinic"), [consent]);

        Assert.Equal("Deny@provision.provision[1]", Show(d["oud"]));
        Assert.Equal("securityLabel", d["oud"].Decisive.Attribute);
        Assert.Equal("Consent/c", d["oud"].Decisive.Authority);
    }

    // Combining truth table: consent A permits everything, consent B denies everything.
    [Theory]
    [InlineData(ConsentCombining.DenyOverrides, "2020-01-01", "2021-01-01", ConsentDecision.Deny, "Consent/b")]
    [InlineData(ConsentCombining.DenyOverrides, "2021-01-01", "2020-01-01", ConsentDecision.Deny, "Consent/b")]
    [InlineData(ConsentCombining.PermitOverrides, "2020-01-01", "2021-01-01", ConsentDecision.Permit, "Consent/a")]
    [InlineData(ConsentCombining.PermitOverrides, "2021-01-01", "2020-01-01", ConsentDecision.Permit, "Consent/a")]
    [InlineData(ConsentCombining.MostRecent, "2020-01-01", "2021-01-01", ConsentDecision.Deny, "Consent/b")]
    [InlineData(ConsentCombining.MostRecent, "2021-01-01", "2020-01-01", ConsentDecision.Permit, "Consent/a")]
    [InlineData(ConsentCombining.MostRecent, "2021-01-01", "2021-01-01", ConsentDecision.Deny, "Consent/b")]
    public async Task EvaluateAsync_CombiningTruthTable(ConsentCombining combining, string dateA, string dateB, ConsentDecision expected, string authority)
    {
        var a = MakeConsent("a", Provision(PT.Permit), dateA);
        var b = MakeConsent("b", Provision(PT.Deny), dateB);

        var d = await Evaluate(World(), To("clinic"), [a, b], o => o.Combining = combining);

        Assert.Equal(expected, d["bp"].Decision);
        Assert.Equal(authority, d["bp"].Decisive.Authority);
        Assert.Equal(2, d["bp"].Basis.Count);
    }

    [Theory]
    [InlineData(NoConsentDefault.OptIn, ConsentDecision.Deny)]
    [InlineData(NoConsentDefault.OptOut, ConsentDecision.Permit)]
    public async Task EvaluateAsync_NoConsent_JurisdictionDefaultDecides(NoConsentDefault jurisdiction, ConsentDecision expected)
    {
        var inactive = MakeConsent("x", Provision(PT.Permit));
        inactive.Status = FhirConsent.ConsentState.Inactive;

        var d = await Evaluate(World(), To("clinic"), [inactive], o => o.Default = jurisdiction);

        Assert.All(d.Values, r => Assert.Equal(expected, r.Decision));
        Assert.All(d.Values, r => Assert.Equal("default", r.Decisive.Authority));
    }

    private sealed class NeverPsychotherapyNotes : IConsentRule
    {
        public string Name => "no-psychotherapy-notes";

        public ConsentRuleVote? Evaluate(ConsentRuleContext context) =>
            context.HasLabel(SecurityLabelSystems.ActCode, "PSYTHPN") ? new ConsentRuleVote(ConsentDecision.Deny, "psychotherapy notes are never disclosed") : null;
    }

    [Fact]
    public async Task EvaluateAsync_HostRuleDeny_OverridesPermitEvenUnderPermitOverridesAndBreakGlass()
    {
        var ehr = World();
        var note = new DocumentReference
        {
            Id = Id("note"),
            Status = DocumentReferenceStatus.Current,
            Meta = new Meta { Security = [new Coding(SecurityLabelSystems.ActCode, "PSYTHPN")] },
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain" } }],
        };
        ehr.Entry.Add(new Bundle.EntryComponent { FullUrl = Urn("note"), Resource = note });
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Permit).WithPurpose("ETREAT")));
        var request = To("clinic", "ETREAT") with { BreakGlass = true };

        var d = await Evaluate(ehr, request, [consent], o => o.Combining = ConsentCombining.PermitOverrides, null, new NeverPsychotherapyNotes());

        Assert.Equal(ConsentDecision.Deny, d["note"].Decision);
        Assert.Equal("rule:no-psychotherapy-notes", d["note"].Decisive.Authority);
        Assert.False(d["note"].BreakGlass);
        Assert.Equal(ConsentDecision.Permit, d["bp"].Decision);
    }

    [Fact]
    public async Task EvaluateAsync_ProvisionPeriod_FollowsTheClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 6, 30, 23, 0, 0, TimeSpan.Zero));
        var provision = Provision(PT.Permit);
        provision.Period = new Period { Start = "2024-06-02", End = "2024-06-30" };
        var consent = MakeConsent("c", provision);

        Assert.Equal(ConsentDecision.Permit, (await Evaluate(World(), To("clinic"), [consent], null, time))["bp"].Decision);
        time.Advance(TimeSpan.FromHours(1.5)); // 2024-07-01T00:30Z: the period (to the end of 30 June) is over
        Assert.Equal("Deny@default", Show((await Evaluate(World(), To("clinic"), [consent], null, time))["bp"]));
        var before = new FakeTimeProvider(new DateTimeOffset(2024, 6, 1, 23, 59, 0, TimeSpan.Zero)); // before the start
        Assert.Equal("Deny@default", Show((await Evaluate(World(), To("clinic"), [consent], null, before))["bp"]));
    }

    [Fact]
    public async Task EvaluateAsync_DataPeriod_MatchesTheRecordsClinicalDate()
    {
        var deny = Provision(PT.Deny);
        deny.DataPeriod = new Period { Start = "2020-01-01", End = "2020-12-31" };
        var consent = MakeConsent("c", Provision(PT.Permit, deny));

        var d = await Evaluate(World(), To("clinic"), [consent]);

        Assert.Equal("Deny@provision.provision[0]", Show(d["oud"])); // onset 2020-03-01
        Assert.Equal("dataPeriod", d["oud"].Decisive.Attribute);
        Assert.Equal(ConsentDecision.Deny, d["med"].Decision); // authored 2020-04-01
        Assert.Equal(ConsentDecision.Permit, d["bp"].Decision); // 2021
        Assert.Equal(ConsentDecision.Permit, d["patient"].Decision); // not a dated record
    }

    [Theory]
    [InlineData("drsmith", null, true)] // a practitioner of the organisation (PractitionerRole)
    [InlineData("clinic", null, true)]
    [InlineData(null, "urn:test:org|clinic-1", true)] // matched by identifier
    [InlineData("other", null, false)]
    public async Task EvaluateAsync_ActorOrganisation_MatchesItAndItsPractitioners(string? recipient, string? identifier, bool denied)
    {
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithActor(Urn("clinic"))));
        var request = new AccessRequest
        {
            Recipient = recipient is null ? ConsentRecipient.Parse(identifier!) : new ConsentRecipient { Reference = Urn(recipient) },
        };

        var d = await Evaluate(World(), request, [consent]);

        Assert.Equal(denied ? "Deny@provision.provision[0]" : "Permit@provision", Show(d["bp"]));
    }

    [Fact]
    public async Task EvaluateAsync_SourceActorRole_MatchesRecordsItAuthored()
    {
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithActor(Urn("clinic"), "CST")));

        var d = await Evaluate(World(), To("other"), [consent]);

        Assert.Equal(ConsentDecision.Deny, d["oud"].Decision); // recorded by a practitioner of the clinic
        Assert.Equal("actor(source)", d["oud"].Decisive.Attribute);
    }

    [Theory]
    [InlineData(FhirConsent.ConsentDataMeaning.Instance, "oud", new[] { "oud" })]
    [InlineData(FhirConsent.ConsentDataMeaning.Related, "med", new[] { "med", "oud" })]
    [InlineData(FhirConsent.ConsentDataMeaning.Dependents, "oud", new[] { "oud", "med" })]
    [InlineData(FhirConsent.ConsentDataMeaning.Authoredby, "drsmith", new[] { "oud" })]
    public async Task EvaluateAsync_DataMeaning_ResolvedOverTheReferenceGraph(FhirConsent.ConsentDataMeaning meaning, string target, string[] denied)
    {
        var deny = Provision(PT.Deny);
        deny.Data.Add(new FhirConsent.provisionDataComponent { Meaning = meaning, Reference = new ResourceReference(Urn(target)) });
        var consent = MakeConsent("c", Provision(PT.Permit, deny));

        var d = await Evaluate(World(), To("clinic"), [consent]);

        Assert.Equal(denied.Order(), d.Where(kv => kv.Value.Decision == ConsentDecision.Deny).Select(kv => kv.Key).Order());
    }

    [Theory]
    [InlineData("http://hl7.org/fhir/resource-types", "Observation", "bp")]
    [InlineData("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "bp")]
    [InlineData("http://hl7.org/fhir/resource-types", "MedicationRequest", "med")]
    public async Task EvaluateAsync_Class_MatchesTypeOrCategory(string system, string code, string denied)
    {
        var deny = Provision(PT.Deny);
        deny.Class.Add(new Coding(system, code));

        var d = await Evaluate(World(), To("clinic"), [MakeConsent("c", Provision(PT.Permit, deny))]);

        Assert.Equal([denied], d.Where(kv => kv.Value.Decision == ConsentDecision.Deny).Select(kv => kv.Key));
    }

    [Fact]
    public async Task EvaluateAsync_Code_MatchesClinicalCodesNotOnlyLabels()
    {
        var deny = Provision(PT.Deny);
        deny.Code.Add(new CodeableConcept(Icd10, "F11.20"));

        var d = await Evaluate(World(), To("clinic"), [MakeConsent("c", Provision(PT.Permit, deny))]);

        Assert.Equal(["oud"], d.Where(kv => kv.Value.Decision == ConsentDecision.Deny).Select(kv => kv.Key));
        Assert.Equal("code", d["oud"].Decisive.Attribute);
    }

    [Fact]
    public async Task EvaluateAsync_ActionNotRequested_ProvisionDoesNotApply()
    {
        var deny = Provision(PT.Deny);
        deny.Action.Add(new CodeableConcept(AccessRequest.ConsentActionSystem, "correct"));

        var d = await Evaluate(World(), To("clinic"), [MakeConsent("c", Provision(PT.Permit, deny))]);

        Assert.All(d.Values, r => Assert.Equal(ConsentDecision.Permit, r.Decision));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("category")]
    [InlineData("patient")]
    public async Task EvaluateAsync_InapplicableConsent_SaysWhy(string reason)
    {
        var consent = MakeConsent("c", Provision(PT.Deny));
        switch (reason)
        {
            case "status": consent.Status = FhirConsent.ConsentState.Rejected; break;
            case "category": consent.Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "research")]; break;
            default: consent.Patient = new ResourceReference("Patient/someone-else"); break;
        }

        using var sp = Services(null, o => o.Default = NoConsentDefault.OptOut);
        var evaluation = await sp.GetRequiredService<IConsentEvaluator>().EvaluateAsync(World(), [consent], To("clinic"));

        Assert.Equal(reason, Assert.Single(evaluation.Consents).Attribute);
        Assert.All(evaluation.Decisions, r => Assert.Equal(ConsentDecision.Permit, r.Decision));
    }

    [Fact]
    public async Task EvaluateAsync_BreakGlass_PermitsDeniedRecordOnlyWhenAConsentAllowsEmergencyTreatment()
    {
        var allows = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel("ETH"), Provision(PT.Permit).WithPurpose("ETREAT")));
        var silent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel("ETH")));
        var emergency = To("clinic", "ETREAT") with { BreakGlass = true };

        var withConsent = await Evaluate(World(), emergency, [allows]);
        var without = await Evaluate(World(), emergency, [silent]);
        var notFlagged = await Evaluate(World(), emergency with { BreakGlass = false }, [allows]);

        Assert.True(withConsent["oud"].BreakGlass);
        Assert.Equal(ConsentDecision.Permit, withConsent["oud"].Decision);
        Assert.Equal("break-glass", withConsent["oud"].Decisive.Authority);
        Assert.Equal(ConsentDecision.Deny, withConsent["oud"].Basis[1].Decision); // the denial it overrode is kept
        Assert.Equal(ConsentDecision.Deny, without["oud"].Decision);
        Assert.Equal(ConsentDecision.Deny, notFlagged["oud"].Decision);
    }

    [Fact]
    public async Task EvaluateAsync_InlineLabelledElement_RedactedWhileRecordPermitted()
    {
        var patient = (Patient)FhirJson.Parse(File.ReadAllText(HealthRecord.Sdk.TestSupport.Corpus.Fixture("consent/extension-inline-sec-label-patient.json")));
        var ehr = Bundle(patient);
        var consent = MakeConsent("c", Provision(PT.Permit, Provision(PT.Deny).WithLabel("R")));
        consent.Patient = new ResourceReference("Patient/P002");
        consent.Provision!.Provision[0].SecurityLabel[0].System = SecurityLabelSystems.Confidentiality;

        using var sp = Services();
        var evaluation = await sp.GetRequiredService<IConsentEvaluator>().EvaluateAsync(ehr, [consent], To("clinic"));

        var decision = Assert.Single(evaluation.Decisions);
        Assert.Equal(ConsentDecision.Permit, decision.Decision);
        var obligation = Assert.Single(decision.Obligations);
        Assert.Equal(("identifier[0]", ObligationKind.Redact), (obligation.Element, obligation.Kind));
    }
}
