using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Views;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Views;

/// <summary>Each rule of the current view (docs/current-view.md) on small hand-made EHRs.</summary>
public class EhrCurrentViewTests
{
    private const string Snomed = "http://snomed.info/sct";
    private const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    private static readonly DateTimeOffset AsOf = new(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);

    // ---------- problems ----------

    [Theory]
    [InlineData("active")]
    [InlineData("recurrence")]
    [InlineData("relapse")]
    public void Problems_ActiveStatuses_AreListed(string status)
    {
        var view = View(Rec(Condition("c1", "38341003", "Hypertension", status)));

        var problem = Assert.Single(view.Problems);
        Assert.Equal("Condition/c1", problem.Reference);
        Assert.Equal("Hypertension", problem.Display);
        Assert.Equal(status, problem.Status);
        Assert.Equal("confirmed", problem.VerificationStatus);
        Assert.Equal(new DateTimeOffset(2020, 3, 1, 0, 0, 0, TimeSpan.Zero), problem.Onset);
        Assert.Equal("38341003", Assert.Single(problem.Concept!.Coding).Code);
        Assert.Equal("clinic:Condition/c1", Assert.Single(problem.Sources).ToString());
    }

    [Theory]
    [InlineData("inactive")]
    [InlineData("remission")]
    [InlineData("resolved")]
    public void Problems_InactiveStatuses_AreNotListed(string status)
    {
        Assert.Empty(View(Rec(Condition("c1", "38341003", "Hypertension", status))).Problems);
    }

    [Theory]
    [InlineData("refuted", false)]
    [InlineData("entered-in-error", false)]
    [InlineData("unconfirmed", true)]
    [InlineData("provisional", true)]
    [InlineData("differential", true)]
    public void Problems_VerificationStatus_RefutedAndEnteredInErrorAreNotListed(string verification, bool listed)
    {
        var c = Condition("c1", "38341003", "Hypertension");
        c.VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification);

        var view = View(Rec(c));

        Assert.Equal(listed, view.Problems.Count == 1);
        if (listed)
        {
            Assert.Equal(verification, view.Problems[0].VerificationStatus);
        }
    }

    [Fact]
    public void Problems_EnteredInErrorWithoutClinicalStatus_IsNotListed()
    {
        // con-5: an entered-in-error condition carries no clinicalStatus.
        var c = Condition("c1", "38341003", "Hypertension");
        c.ClinicalStatus = null;
        c.VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "entered-in-error");

        Assert.Empty(View(Rec(c)).Problems);
    }

    [Theory]
    [InlineData("2024-05-31", false)]
    [InlineData("2024-06-01T12:00:00Z", false)]
    [InlineData("2024-06-02", true)]
    public void Problems_AbatementDate_EndsTheProblemOnlyWhenNotAfterAsOf(string abatement, bool listed)
    {
        var c = Condition("c1", "38341003", "Hypertension");
        c.Abatement = new FhirDateTime(abatement);

        Assert.Equal(listed, View(Rec(c)).Problems.Count == 1);
    }

    [Fact]
    public void Problems_AbatementAsAgeOrText_EndsTheProblem()
    {
        var age = Condition("c1", "38341003", "Hypertension");
        age.Abatement = new Age { Value = 40, Unit = "a", System = "http://unitsofmeasure.org", Code = "a" };
        var text = Condition("c2", "195662009", "Acute viral pharyngitis");
        text.Abatement = new FhirString("after the holidays");
        var period = Condition("c3", "10509002", "Acute bronchitis");
        period.Abatement = new Period { Start = "2023-01-01", End = "2023-02-01" };

        Assert.Empty(View(Rec(age), Rec(text), Rec(period)).Problems);
    }

    [Fact]
    public void Problems_AbatementWithoutAnyAsOf_EndsTheProblem()
    {
        var c = Condition("c1", "38341003", "Hypertension");
        c.Abatement = new FhirDateTime("2099-01-01");

        var view = EhrCurrentView.Of(Ehr([Rec(c)], asOf: null));

        Assert.Null(view.AsOf);
        Assert.Empty(view.Problems);
    }

    [Fact]
    public void Problems_WithoutClinicalStatus_AreListedUnlessAbated()
    {
        var open = Condition("c1", "38341003", "Hypertension");
        open.ClinicalStatus = null;
        var abated = Condition("c2", "10509002", "Acute bronchitis");
        abated.ClinicalStatus = null;
        abated.Abatement = new FhirDateTime("2021-01-01");

        var problem = Assert.Single(View(Rec(open), Rec(abated)).Problems);

        Assert.Equal("Condition/c1", problem.Reference);
        Assert.Null(problem.Status);
    }

    [Fact]
    public void Problems_StatusCodingWithoutSystem_IsRead()
    {
        var c = Condition("c1", "38341003", "Hypertension");
        c.ClinicalStatus = new CodeableConcept { Coding = [new Coding(null, "resolved")] };

        Assert.Empty(View(Rec(c)).Problems);
    }

    [Fact]
    public void Problems_AnyCategory_IsListedWithItsCategories()
    {
        var listItem = Condition("c1", "38341003", "Hypertension");
        listItem.Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")];
        var diagnosis = Condition("c2", "44054006", "Diabetes");
        diagnosis.Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")];
        var none = Condition("c3", "195967001", "Asthma");

        var view = View(Rec(listItem), Rec(diagnosis), Rec(none));

        Assert.Equal(["Asthma", "Diabetes", "Hypertension"], view.Problems.Select(p => p.Display));
        Assert.Empty(view.Problems[0].Categories);
        Assert.Equal(["encounter-diagnosis"], view.Problems[1].Categories);
        Assert.Equal(["problem-list-item"], view.Problems[2].Categories);
    }

    [Fact]
    public void Problems_SameConceptTwice_CollapseToTheLatestWithEverySource()
    {
        var older = Condition("c1", "38341003", "Hypertension", onset: "2010-01-01");
        var newer = Condition("c2", "38341003", "Essential hypertension", onset: "2015-01-01");
        newer.Code!.Coding.Add(new Coding("http://hl7.org/fhir/sid/icd-10-cm", "I10"));
        var resolved = Condition("c3", "38341003", "Hypertension", "resolved", onset: "2020-01-01");

        var problem = Assert.Single(View(Rec(older, "practice-a"), Rec(newer, "practice-b"), Rec(resolved, "hospital")).Problems);

        Assert.Equal("Condition/c2", problem.Reference);
        Assert.Equal("Essential hypertension", problem.Display);
        Assert.Equal(["Condition/c1"], problem.Collapsed);
        Assert.Equal(["practice-a", "practice-b"], problem.Sources.Select(s => s.SourceName));
    }

    [Fact]
    public void Problems_UncodedSameText_Collapse()
    {
        var a = Condition("c1", "x", "High blood pressure");
        a.Code = new CodeableConcept { Text = "High blood pressure" };
        var b = Condition("c2", "x", "high blood-pressure");
        b.Code = new CodeableConcept { Text = "high blood-pressure" };

        Assert.Single(View(Rec(a), Rec(b)).Problems);
    }

    [Fact]
    public void Problems_CarryTheRecordsConflicts()
    {
        var c = Condition("c1", "38341003", "Hypertension");
        var conflict = new EhrConflict("Condition/c1", "clinicalStatus", "active", "clinic:Condition/c1", [new ConflictValue("resolved", "hospital:Condition/9")], "source-priority");
        var ehr = Ehr([Rec(c)], AsOf) with { Conflicts = [conflict] };

        Assert.Equal(conflict, Assert.Single(Assert.Single(EhrCurrentView.Of(ehr).Problems).Conflicts));
    }

    // ---------- medications ----------

    [Theory]
    [InlineData("active", true)]
    [InlineData("on-hold", true)]
    [InlineData("stopped", false)]
    [InlineData("completed", false)]
    [InlineData("cancelled", false)]
    [InlineData("draft", false)]
    [InlineData("entered-in-error", false)]
    [InlineData("unknown", false)]
    public void Medications_RequestStatus(string status, bool listed)
    {
        var view = View(Rec(Request("m1", "316049", "Hydrochlorothiazide 25 MG", status)));

        Assert.Equal(listed, view.Medications.Count == 1);
        if (listed)
        {
            var m = view.Medications[0];
            Assert.Equal(status, m.Status);
            Assert.Equal("order", m.Intent);
            Assert.Equal("Hydrochlorothiazide 25 MG", m.Display);
            Assert.Equal(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), m.Asserted);
        }
    }

    [Theory]
    [InlineData("proposal", false)]
    [InlineData("option", false)]
    [InlineData("plan", true)]
    [InlineData("order", true)]
    [InlineData("original-order", true)]
    [InlineData("instance-order", true)]
    public void Medications_RequestIntent(string intent, bool listed)
    {
        var r = Request("m1", "316049", "Hydrochlorothiazide 25 MG");
        r.IntentElement = new Code<MedicationRequest.MedicationRequestIntent> { JsonValue = intent };

        Assert.Equal(listed, View(Rec(r)).Medications.Count == 1);
    }

    [Fact]
    public void Medications_DoNotPerform_IsNotListed()
    {
        var r = Request("m1", "316049", "Hydrochlorothiazide 25 MG");
        r.DoNotPerform = true;

        Assert.Empty(View(Rec(r)).Medications);
    }

    [Theory]
    [InlineData("active", true)]
    [InlineData("intended", true)]
    [InlineData("on-hold", true)]
    [InlineData("completed", false)]
    [InlineData("stopped", false)]
    [InlineData("not-taken", false)]
    [InlineData("entered-in-error", false)]
    [InlineData("unknown", false)]
    public void Medications_StatementStatus(string status, bool listed)
    {
        var view = View(Rec(Statement("s1", "316049", "Hydrochlorothiazide 25 MG", status)));

        Assert.Equal(listed, view.Medications.Count == 1);
        if (listed)
        {
            Assert.Equal(status, view.Medications[0].Status);
            Assert.Null(view.Medications[0].Intent);
        }
    }

    [Fact]
    public void Medications_StatementWhoseEffectivePeriodEnded_IsNotListed_OneEndingLaterIs()
    {
        var ended = Statement("s1", "316049", "Hydrochlorothiazide 25 MG");
        ended.Effective = new Period { Start = "2020-01-01", End = "2024-01-01" };
        var ongoing = Statement("s2", "197361", "Amlodipine 5 MG");
        ongoing.Effective = new Period { Start = "2020-01-01", End = "2024-12-31" };

        var m = Assert.Single(View(Rec(ended), Rec(ongoing)).Medications);

        Assert.Equal("MedicationStatement/s2", m.Reference);
        Assert.Equal(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), m.EffectiveStart);
        Assert.Equal(new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero), m.EffectiveEnd);
    }

    [Fact]
    public void Medications_SameDrugSeveralRecords_CollapseToTheLatest()
    {
        var first = Request("m1", "316049", "Hydrochlorothiazide 25 MG", authoredOn: "2018-01-01");
        var renewal = Request("m2", "316049", "HCTZ 25 MG", authoredOn: "2022-01-01");
        var middle = Request("m3", "316049", "Hydrochlorothiazide 25 MG", authoredOn: "2020-01-01");

        var m = Assert.Single(View(Rec(first, "practice-a"), Rec(renewal, "pharmacy"), Rec(middle, "practice-b")).Medications);

        Assert.Equal("MedicationRequest/m2", m.Reference);
        Assert.Equal("HCTZ 25 MG", m.Display);
        Assert.Equal(["MedicationRequest/m3", "MedicationRequest/m1"], m.Collapsed);
        Assert.Equal(["pharmacy", "practice-a", "practice-b"], m.Sources.Select(s => s.SourceName));
    }

    [Fact]
    public void Medications_LaterStopOfTheSameDrug_EndsAnOlderActiveRecord()
    {
        var stale = Request("m1", "316049", "Hydrochlorothiazide 25 MG", authoredOn: "2018-01-01");
        var stop = Request("m2", "316049", "Hydrochlorothiazide 25 MG", "stopped", authoredOn: "2022-01-01");

        Assert.Empty(View(Rec(stale, "old-practice"), Rec(stop, "new-practice")).Medications);
    }

    [Fact]
    public void Medications_LaterCancelledOrEnteredInError_DoesNotEndAnOlderActiveRecord()
    {
        var active = Request("m1", "316049", "Hydrochlorothiazide 25 MG", authoredOn: "2018-01-01");
        var cancelled = Request("m2", "316049", "Hydrochlorothiazide 25 MG", "cancelled", authoredOn: "2022-01-01");
        var error = Statement("s1", "316049", "Hydrochlorothiazide 25 MG", "entered-in-error");

        var m = Assert.Single(View(Rec(active), Rec(cancelled), Rec(error)).Medications);

        Assert.Equal("MedicationRequest/m1", m.Reference);
        Assert.Empty(m.Collapsed);
    }

    [Fact]
    public void Medications_RestartedAfterAStop_IsListed_NamingOnlyCurrentSources()
    {
        var stop = Request("m1", "316049", "Hydrochlorothiazide 25 MG", "stopped", authoredOn: "2018-01-01");
        var restart = Request("m2", "316049", "Hydrochlorothiazide 25 MG", authoredOn: "2022-01-01");

        var m = Assert.Single(View(Rec(stop, "hospital"), Rec(restart, "practice")).Medications);

        Assert.Equal("MedicationRequest/m2", m.Reference);
        Assert.Equal(["MedicationRequest/m1"], m.Collapsed);
        Assert.Equal(["practice"], m.Sources.Select(s => s.SourceName));
    }

    [Fact]
    public void Medications_RequestAndStatementOfTheSameDrug_AreOneEntry_TheLatestAssertionWins()
    {
        var request = Request("m1", "316049", "Hydrochlorothiazide 25 MG", authoredOn: "2021-01-01");
        var statement = Statement("s1", "316049", "Hydrochlorothiazide 25 MG");
        statement.DateAssertedElement = new FhirDateTime("2023-05-01");

        var m = Assert.Single(View(Rec(request), Rec(statement)).Medications);

        Assert.Equal("MedicationStatement/s1", m.Reference);
        Assert.Equal(new DateTimeOffset(2023, 5, 1, 0, 0, 0, TimeSpan.Zero), m.Asserted);
    }

    [Fact]
    public void Medications_MedicationReference_TakesTheConceptFromTheEhrMedication()
    {
        var medication = new Medication { Id = "med1", Code = new CodeableConcept(RxNorm, "316049", "Hydrochlorothiazide 25 MG Oral Tablet") };
        var byUrn = Request("m1", "x", "x", authoredOn: "2022-01-01");
        byUrn.Medication = new ResourceReference(EhrIds.FullUrl("med1"));
        var byConcept = Request("m2", "316049", "HCTZ", authoredOn: "2019-01-01");
        var byRelative = Statement("s1", "x", "x", "stopped");
        byRelative.Medication = new ResourceReference("Medication/med1");

        var view = View(Rec(medication), Rec(byUrn), Rec(byConcept), Rec(byRelative));

        var m = Assert.Single(view.Medications);
        Assert.Equal("MedicationRequest/m1", m.Reference);
        Assert.Equal("Hydrochlorothiazide 25 MG Oral Tablet", m.Display);
        Assert.Equal("Medication/med1", m.Medication);
        Assert.Equal("316049", Assert.Single(m.Concept!.Coding).Code);
        Assert.Equal(["MedicationStatement/s1", "MedicationRequest/m2"], m.Collapsed);
    }

    [Fact]
    public void Medications_ContainedMedication_IsRead()
    {
        var r = Request("m1", "x", "x");
        r.Contained = [new Medication { Id = "inline", Code = new CodeableConcept { Text = "Lisinopril 10 mg" } }];
        r.Medication = new ResourceReference("#inline");

        var m = Assert.Single(View(Rec(r)).Medications);

        Assert.Equal("Lisinopril 10 mg", m.Display);
        Assert.Null(m.Medication);
    }

    [Fact]
    public void Medications_UnresolvedReference_UsesItsDisplay()
    {
        var r = Request("m1", "x", "x");
        r.Medication = new ResourceReference("Medication/elsewhere", "Metformin 500 mg");

        var m = Assert.Single(View(Rec(r)).Medications);

        Assert.Equal("Metformin 500 mg", m.Display);
        Assert.Null(m.Concept);
    }

    // ---------- allergies ----------

    [Theory]
    [InlineData("active", "confirmed", true)]
    [InlineData(null, "confirmed", true)]
    [InlineData("active", "unconfirmed", true)]
    [InlineData("active", null, true)]
    [InlineData("inactive", "confirmed", false)]
    [InlineData("resolved", "confirmed", false)]
    [InlineData("active", "refuted", false)]
    [InlineData(null, "entered-in-error", false)]
    public void Allergies_Statuses(string? clinical, string? verification, bool listed)
    {
        var a = Allergy("a1", "91936005", "Allergy to penicillin");
        a.ClinicalStatus = clinical is null ? null : new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", clinical);
        a.VerificationStatus = verification is null ? null : new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", verification);

        var view = View(Rec(a));

        Assert.Equal(listed, view.Allergies.Count == 1);
        if (listed)
        {
            Assert.Equal(clinical, view.Allergies[0].Status);
            Assert.Equal(verification, view.Allergies[0].VerificationStatus);
        }
    }

    [Fact]
    public void Allergies_CarryCriticalityCategoriesAndDates()
    {
        var a = Allergy("a1", "91936005", "Allergy to penicillin");
        a.Criticality = AllergyIntolerance.AllergyIntoleranceCriticality.High;
        a.Category = [AllergyIntolerance.AllergyIntoleranceCategory.Medication];
        a.Onset = new FhirDateTime("2001-02-03");
        a.RecordedDateElement = new FhirDateTime("2005-06-07");

        var allergy = Assert.Single(View(Rec(a)).Allergies);

        Assert.Equal("high", allergy.Criticality);
        Assert.Equal(["medication"], allergy.Categories);
        Assert.Equal(new DateTimeOffset(2001, 2, 3, 0, 0, 0, TimeSpan.Zero), allergy.Onset);
        Assert.Equal(new DateTimeOffset(2005, 6, 7, 0, 0, 0, TimeSpan.Zero), allergy.Recorded);
    }

    [Fact]
    public void Allergies_SameSubstanceFromTwoSources_AreOneEntry()
    {
        var a = Allergy("a1", "91936005", "Allergy to penicillin");
        var b = Allergy("a2", "91936005", "Penicillin allergy");
        b.Code!.Coding[0].System = "urn:oid:2.16.840.1.113883.6.96";

        var allergy = Assert.Single(View(Rec(a, "clinic"), Rec(b, "hospital")).Allergies);

        Assert.Equal(["clinic", "hospital"], allergy.Sources.Select(s => s.SourceName));
        Assert.Single(allergy.Collapsed);
    }

    // ---------- the view as a whole ----------

    [Fact]
    public void Of_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => EhrCurrentView.Of(null!));
    }

    [Fact]
    public void Of_DefaultsAsOfToTheAggregates_AndTakesTheCallers()
    {
        var ehr = Ehr([Rec(Condition("c1", "38341003", "Hypertension"))], AsOf);

        Assert.Equal(AsOf, EhrCurrentView.Of(ehr).AsOf);
        Assert.Equal(AsOf.AddYears(1), EhrCurrentView.Of(ehr, AsOf.AddYears(1)).AsOf);
        Assert.Equal("p", EhrCurrentView.Of(ehr).PersonId);
    }

    [Fact]
    public void Of_OtherRecordTypes_AreIgnored_AndListsAreEmpty()
    {
        var view = View(Rec(new Observation { Id = "o1", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "2345-7") }));

        Assert.Empty(view.Problems);
        Assert.Empty(view.Medications);
        Assert.Empty(view.Allergies);
    }

    [Fact]
    public void Of_RecordOrder_DoesNotChangeTheView()
    {
        EhrRecord[] records =
        [
            Rec(Condition("c1", "38341003", "Hypertension", onset: "2010-01-01"), "a"),
            Rec(Condition("c2", "38341003", "Hypertension", onset: "2010-01-01"), "b"),
            Rec(Request("m1", "316049", "HCTZ", authoredOn: "2020-01-01"), "a"),
            Rec(Request("m2", "316049", "HCTZ", authoredOn: "2020-01-01"), "b"),
            Rec(Allergy("a1", "91936005", "Penicillin"), "a"),
        ];

        var forward = View(records);
        var backward = View([.. records.Reverse()]);

        Assert.Equal(Describe(forward), Describe(backward));
        Assert.Equal("Condition/c1", forward.Problems[0].Reference);
        Assert.Equal("MedicationRequest/m1", forward.Medications[0].Reference);
    }

    // ---------- medications at ingredient and strength level ----------

    [Fact]
    public void Medications_AlbuterolUnderClinicalDrugBrandedDrugAndIngredientCodes_IsOneEntry()
    {
        // Myra Jones: RxNorm 582498 (clinical drug), 745679 (branded drug) and 435 (ingredient) in three EMRs.
        var view = View(
            Rec(Request("m1", "582498", "Albuterol 0.09 MG/ACTUAT inhalant powder", authoredOn: "2020-01-01"), "cerner"),
            Rec(Request("m2", "745679", "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler [Proventil]", authoredOn: "2020-02-01"), "redox"),
            Rec(Statement("m3", "435", "Albuterol"), "dh"));

        var entry = Assert.Single(view.Medications);
        Assert.Equal(2, entry.Collapsed.Count);
        Assert.Equal(3, entry.Sources.Count);
    }

    [Fact]
    public void Medications_SameIngredientAtTwoStrengths_AreTwoEntriesAndAnUnstrengthenedRecordStaysApart()
    {
        var view = View(
            Rec(Request("m1", "197361", "amlodipine 5 MG Oral Tablet")),
            Rec(Request("m2", "308135", "amlodipine 10 MG Oral Tablet")),
            Rec(Request("m3", "17767", "Amlodipine")));

        Assert.Equal(3, view.Medications.Count);
    }

    [Fact]
    public void Medications_MedicationIngredientListAndRxNormName_AreOneDrug()
    {
        var med = new Medication
        {
            Id = "med1",
            Code = new CodeableConcept { Text = "Ventolin" },
            Ingredient = [new Medication.IngredientComponent
            {
                Item = new CodeableConcept(RxNorm, "435", "albuterol"),
                Strength = new Ratio(new Quantity { Value = 0.090m, Unit = "MG" }, new Quantity { Value = 1, Unit = "ACTUAT" }),
            }],
        };
        var byReference = Request("m1", "x", "x");
        byReference.Medication = new ResourceReference("Medication/med1");
        var view = View(Rec(med), Rec(byReference), Rec(Request("m2", "582498", "Albuterol 0.09 MG/ACTUAT inhalant powder", authoredOn: "2019-01-01")));

        Assert.Single(view.Medications);
    }

    [Theory]
    [InlineData("albuterol 0.09 MG/ACTUAT Metered Dose Inhaler [Proventil]", "albuterol", "albuterol 0.09 MG/ACTUAT")]
    [InlineData("Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet", "acetaminophen + hydrochloride oxycodone", "acetaminophen 325 MG + hydrochloride oxycodone 5 MG")]
    [InlineData("Albuterol", "albuterol", null)]
    [InlineData("Albuterol inhaler", "albuterol", null)]
    public void DrugProduct_RxNormNames_AreReadAsIngredientsAndStrengths(string name, string ingredients, string? strength)
    {
        var p = DrugProduct.Parse(name)!;
        Assert.Equal(ingredients, p.Ingredients);
        Assert.Equal(strength, p.Strength);
    }

    private static string Describe(EhrCurrentView view) => string.Join("\n",
        view.Problems.Cast<CurrentViewItem>().Concat(view.Medications).Concat(view.Allergies)
            .Select(i => $"{i.Reference} {i.Display} [{string.Join(",", i.Collapsed)}] [{string.Join(",", i.Sources)}]"));

    // ---------- builders ----------

    private static EhrCurrentView View(params EhrRecord[] records) => EhrCurrentView.Of(Ehr(records, AsOf));

    private static EhrAggregate Ehr(IReadOnlyList<EhrRecord> records, DateTimeOffset? asOf) => new()
    {
        PersonId = "p",
        Patient = new Patient { Id = "p" },
        Records = records,
        Provenance = [],
        Lineage = [],
        Sources = [.. records.SelectMany(r => r.Sources).Select(s => s.SourceName).Distinct().Order(StringComparer.Ordinal)],
        AsOf = asOf,
    };

    private static EhrRecord Rec(Resource resource, string source = "clinic") =>
        new(resource, [new SourceRecordRef(source, $"{resource.TypeName}/{resource.Id}", "memory")], "test");

    private static Condition Condition(string id, string code, string display, string clinical = "active", string onset = "2020-03-01") => new()
    {
        Id = id,
        Code = new CodeableConcept(Snomed, code, display, display),
        ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", clinical),
        VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
        Onset = new FhirDateTime(onset),
        Subject = new ResourceReference("urn:uuid:p"),
    };

    private static MedicationRequest Request(string id, string code, string display, string status = "active", string authoredOn = "2020-01-01") => new()
    {
        Id = id,
        StatusElement = new Code<MedicationRequest.MedicationrequestStatus> { JsonValue = status },
        Intent = MedicationRequest.MedicationRequestIntent.Order,
        Medication = new CodeableConcept(RxNorm, code, display, display),
        AuthoredOnElement = new FhirDateTime(authoredOn),
        Subject = new ResourceReference("urn:uuid:p"),
    };

    private static MedicationStatement Statement(string id, string code, string display, string status = "active") => new()
    {
        Id = id,
        StatusElement = new Code<MedicationStatement.MedicationStatusCodes> { JsonValue = status },
        Medication = new CodeableConcept(RxNorm, code, display, display),
        Effective = new FhirDateTime("2020-01-01"),
        Subject = new ResourceReference("urn:uuid:p"),
    };

    private static AllergyIntolerance Allergy(string id, string code, string display) => new()
    {
        Id = id,
        Code = new CodeableConcept(Snomed, code, display, display),
        ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
        VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"),
        Patient = new ResourceReference("urn:uuid:p"),
    };
}
