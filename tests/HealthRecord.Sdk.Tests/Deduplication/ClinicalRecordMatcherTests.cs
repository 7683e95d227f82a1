using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Deduplication;

public class ClinicalRecordMatcherTests
{
    private readonly ClinicalRecordMatcher _matcher = new();
    private int _next;

    private MatchCandidate C(string source, Resource r)
    {
        r.Id ??= "r" + _next++;
        return new MatchCandidate(source, $"{r.TypeName}/{r.Id}", r);
    }

    private static Observation Lab(string when, decimal value, string unit, string system = CodeSystems.Loinc) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept(system, "2345-7", "Glucose"),
        Effective = new FhirDateTime(when),
        Value = new Quantity { Value = value, Code = unit, System = CodeSystems.Ucum, Unit = unit },
    };

    private static Condition Problem(string code, string? onset, string system = CodeSystems.Snomed, string? text = null) => new()
    {
        Code = new CodeableConcept(system, code) { Text = text },
        Onset = onset is null ? null : new FhirDateTime(onset),
    };

    private static MedicationRequest Med(string authoredOn, decimal? doseMg = null) => new()
    {
        Status = MedicationRequest.MedicationrequestStatus.Active,
        Intent = MedicationRequest.MedicationRequestIntent.Order,
        Medication = new CodeableConcept(CodeSystems.RxNorm, "314076"),
        AuthoredOn = authoredOn,
        DosageInstruction = doseMg is null ? [] : [new Dosage { DoseAndRate = [new Dosage.DoseAndRateComponent { Dose = new Quantity { Value = doseMg, Code = "mg", System = CodeSystems.Ucum } }] }],
    };

    private bool Matches(Resource a, Resource b) => _matcher.Compare(C("emr-a", a), C("emr-b", b)).IsMatch;

    [Fact]
    public void Compare_LabInOtherUnitsAndOidSystem_Matches()
    {
        var match = _matcher.Compare(C("lab", Lab("2020-03-01T08:00:00Z", 1.2m, "g/L", "urn:oid:2.16.840.1.113883.6.1")), C("clinic", Lab("2020-03-01T08:00:00Z", 120m, "mg/dL")));
        Assert.True(match.IsMatch);
        Assert.Equal(ClinicalRecordMatcher.SameCodeRule, match.Rule);
        Assert.Contains("http://loinc.org|2345-7", match.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_GlucoseInMgPerDlAndItsSiCopyInMmolPerL_Matches()
    {
        // 95 mg/dL of glucose (180.16 g/mol) is 5.27 mmol/L; a lab reporting SI units keeps the LOINC code.
        Assert.True(Matches(Lab("2020-03-01T08:00:00Z", 95m, "mg/dL"), Lab("2020-03-01T08:00:00Z", 5.27m, "mmol/L")));
        Assert.False(Matches(Lab("2020-03-01T08:00:00Z", 95m, "mg/dL"), Lab("2020-03-01T08:00:00Z", 5.49m, "mmol/L")));
    }

    [Fact]
    public void Compare_DateOnlyCopyOfDailyOrders_PrefersTheOrderWrittenOnThatDay()
    {
        // Daily orders 25 h apart; a pharmacy copies one as a date. The date overlaps both instants (±14 h of zones),
        // so both match; the order whose own day is that date is the better evidence.
        var copy = C("pharmacy", Med("2020-01-02"));
        var sameDay = _matcher.Compare(copy, C("hospital", Med("2020-01-02T22:30:00-05:00")));
        var dayBefore = _matcher.Compare(copy, C("hospital", Med("2020-01-01T21:47:00-05:00")));

        Assert.True(sameDay.IsMatch);
        Assert.True(sameDay.Score > dayBefore.Score);
    }

    [Fact]
    public void Compare_DrawTimeAgainstIssuedTimeHoursLater_Matches()
    {
        var issuedOnly = Lab("2020-03-01T08:00:00Z", 110m, "mg/dL");
        issuedOnly.Effective = null;
        issuedOnly.Issued = new DateTimeOffset(2020, 3, 1, 13, 0, 0, TimeSpan.Zero);
        Assert.True(Matches(Lab("2020-03-01T08:00:00Z", 110m, "mg/dL"), issuedOnly));
    }

    [Fact]
    public void Compare_SameInstantInAnotherTimeZone_Matches() =>
        Assert.True(Matches(Lab("2020-03-01T08:00:00Z", 110m, "mg/dL"), Lab("2020-03-01T03:00:00-05:00", 110m, "mg/dL")));

    [Fact]
    public void Compare_RepeatedLabOnAnotherDay_DoesNotMatch() =>
        Assert.False(Matches(Lab("2020-03-01T08:00:00Z", 110m, "mg/dL"), Lab("2020-03-04T08:00:00Z", 110m, "mg/dL")));

    [Fact]
    public void Compare_SameLabDifferentValue_DoesNotMatch() =>
        Assert.False(Matches(Lab("2020-03-01T08:00:00Z", 110m, "mg/dL"), Lab("2020-03-01T08:00:00Z", 126m, "mg/dL")));

    [Fact]
    public void Compare_SameLabSameSourceDifferentRecords_DoesNotMatch()
    {
        var a = Lab("2020-03-01T08:00:00Z", 110m, "mg/dL");
        var b = Lab("2020-03-01T09:00:00Z", 110m, "mg/dL");
        Assert.False(_matcher.Compare(C("lab", a), C("lab", b)).IsMatch);
    }

    [Fact]
    public void Compare_ConditionOnsetAsDateAndAsTimestamp_Matches() =>
        Assert.True(Matches(Problem("44054006", "2015-06-01"), Problem("44054006", "2015-06-01T22:30:00-07:00")));

    [Fact]
    public void Compare_RecurringConditionYearsLater_DoesNotMatch() =>
        Assert.False(Matches(Problem("444814009", "2012-01-10"), Problem("444814009", "2016-02-03")));

    [Fact]
    public void Compare_ConditionIcd10OnlyAgainstSnomedOnlyWithSameText_MatchesOnText() =>
        Assert.Equal(ClinicalRecordMatcher.SameTextRule,
            _matcher.Compare(C("a", Problem("44054006", "2015-06-01", text: "Diabetes mellitus type 2")), C("b", Problem("E11.9", "2015-06-01", CodeSystems.Icd10Cm, "type 2 diabetes mellitus"))).Rule);

    [Fact]
    public void Compare_DifferentCodesInOneSystem_DoNotMatchEvenWithTheSameText() =>
        Assert.False(Matches(Problem("44054006", null, text: "Diabetes"), Problem("46635009", null, text: "Diabetes")));

    [Fact]
    public void Compare_RestartedMedicationMonthsLater_DoesNotMatch() =>
        Assert.False(Matches(Med("2019-01-05"), Med("2019-06-20")));

    [Fact]
    public void Compare_MedicationWithDifferentDose_DoesNotMatch() =>
        Assert.False(Matches(Med("2019-01-05", 10), Med("2019-01-05", 20)));

    [Fact]
    public void Compare_MedicationDoseInGramsAndMilligrams_Matches() =>
        Assert.True(Matches(Med("2019-01-05", 500), new MedicationRequest
        {
            Medication = new CodeableConcept(CodeSystems.RxNorm, "314076"),
            AuthoredOn = "2019-01-05T10:00:00Z",
            DosageInstruction = [new Dosage { DoseAndRate = [new Dosage.DoseAndRateComponent { Dose = new Quantity { Value = 0.5m, Code = "g", System = CodeSystems.Ucum } }] }],
        }));

    [Fact]
    public void Compare_PractitionersWithOneNpiAsOidAndAsUri_Match()
    {
        var a = new Practitioner { Identifier = [new Identifier("urn:oid:2.16.840.1.113883.4.6", "1234567893")], Name = [new HumanName { Family = "Smith", Given = ["Ann"] }] };
        var b = new Practitioner { Identifier = [new Identifier(CodeSystems.Npi, "1234567893")], Name = [new HumanName { Family = "SMITH", Given = ["A."] }] };
        Assert.Equal(ClinicalRecordMatcher.SameIdentifierRule, _matcher.Compare(C("a", a), C("b", b)).Rule);
    }

    [Fact]
    public void Compare_SameNameDifferentNpi_DoesNotMatch()
    {
        var a = new Practitioner { Identifier = [new Identifier(CodeSystems.Npi, "1234567893")], Name = [new HumanName { Family = "Smith", Given = ["Ann"] }] };
        var b = new Practitioner { Identifier = [new Identifier(CodeSystems.Npi, "1245319599")], Name = [new HumanName { Family = "Smith", Given = ["Ann"] }] };
        Assert.False(Matches(a, b));
    }

    [Fact]
    public void Cluster_ChainOfCloseTimes_DoesNotJoinFarApartFacts()
    {
        // Each onset is within the 3-day tolerance of the next, but the first and last are 8 days apart.
        var candidates = new[] { "2020-01-01", "2020-01-04", "2020-01-07", "2020-01-09" }
            .Select((d, i) => C("emr-" + i, Problem("38341003", d + "T12:00:00Z")))
            .ToList();
        var result = DuplicateClusterer.Cluster(candidates, _matcher, 100);
        Assert.True(result.Clusters.Count >= 2);
        Assert.All(result.Clusters, c => Assert.True(c.Count <= 2));
    }

    [Fact]
    public void Cluster_TimelessCopyBetweenTwoEpisodes_DoesNotBridgeThem()
    {
        var candidates = new List<MatchCandidate>
        {
            C("pcp-1", Problem("444814009", "2012-01-10")),
            C("pcp-2", Problem("444814009", null)),
            C("pcp-3", Problem("444814009", "2016-02-03")),
        };
        var result = DuplicateClusterer.Cluster(candidates, _matcher, 100);
        Assert.Equal(2, result.Clusters.Count);
    }

    [Fact]
    public void Cluster_KeepApart_SplitsAMatchedPair()
    {
        var a = C("a", Problem("38341003", "2020-01-01"));
        var b = C("b", Problem("38341003", "2020-01-01"));
        Assert.Single(DuplicateClusterer.Cluster([a, b], _matcher, 100).Clusters);
        Assert.Equal(2, DuplicateClusterer.Cluster([a, b], _matcher, 100, keepApart: [[a.Key, b.Key]]).Clusters.Count);
    }

    [Fact]
    public void GetBlockingKeys_LabHistory_BlocksByCodeAndDay()
    {
        var keys = _matcher.GetBlockingKeys(C("lab", Lab("2020-03-01T08:00:00Z", 110m, "mg/dL"))).ToList();
        Assert.Contains("c|http://loinc.org|2345-7|20200301", keys);
        Assert.DoesNotContain("c|http://loinc.org|2345-7", keys);
    }

    [Theory]
    [InlineData("0001-01-01", "0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31", "9999-12-31T23:59:59Z")]
    [InlineData("2020", "2020-06-01T10:00:00Z")]
    public void Compare_DatesAtTheEndsOfTheCalendarAndHugeValues_DoNotThrow(string a, string b)
    {
        var left = C("a", Lab(a, 79_000_000_000_000_000_000_000_000m, "mmol/L"));
        var right = C("b", Lab(b, 1e20m, "mol/L"));
        Assert.NotEmpty(_matcher.GetBlockingKeys(left));
        Assert.NotEmpty(_matcher.GetBlockingKeys(right));
        Assert.False(_matcher.Compare(left, right).IsMatch);
        Assert.Null(Record.Exception(() => _matcher.CanJoin([left], [right])));
    }

    [Fact]
    public void Compare_UndatedCopiesOfARepeatedFact_DoNotMatchOnCodeAlone()
    {
        static Immunization Flu(string? when) => new()
        {
            Status = Immunization.ImmunizationStatusCodes.Completed,
            VaccineCode = new CodeableConcept(CodeSystems.Cvx, "140"),
            Occurrence = when is null ? null! : new FhirDateTime(when),
        };

        Assert.False(Matches(Flu(null), Flu(null)));
        Assert.False(Matches(Flu("2019-10-01"), Flu(null)));
        Assert.True(Matches(Flu("2019-10-01"), Flu("2019-10-01T09:30:00-04:00")));
    }

    private static Observation Resent(string effective, string issued, decimal value) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept(CodeSystems.Loinc, "8480-6", "Systolic blood pressure"),
        Effective = new FhirDateTime(effective),
        Issued = DateTimeOffset.Parse(issued, System.Globalization.CultureInfo.InvariantCulture),
        Value = new Quantity { Value = value, Code = "mm[Hg]", System = CodeSystems.Ucum, Unit = "mm[Hg]" },
    };

    [Fact]
    public void Compare_ResentCopyInOneSource_MatchesAsTheSameAct()
    {
        // An interface re-send: same code, same value to every digit, same issued instant, effective 3 minutes apart.
        var match = _matcher.Compare(C("lab", Resent("2020-03-01T08:00:00Z", "2020-03-01T09:00:00Z", 128m)), C("lab", Resent("2020-03-01T08:03:00Z", "2020-03-01T09:00:00Z", 128m)));
        Assert.True(match.IsMatch);
        Assert.Equal(ClinicalRecordMatcher.SameActRule, match.Rule);
    }

    [Theory]
    [InlineData("2020-03-01T08:03:00Z", "2020-03-01T09:00:00Z", 131)]  // a repeat reading minutes later: another value
    [InlineData("2020-03-01T08:03:00Z", "2020-03-01T09:04:00Z", 128)]  // the same value, issued separately: two readings
    [InlineData("2020-03-01T09:30:00Z", "2020-03-01T09:00:00Z", 128)]  // 90 minutes apart: serial measurements
    public void Compare_TwoReadingsInOneSource_DoNotMatch(string effective, string issued, int value) =>
        Assert.False(_matcher.Compare(C("lab", Resent("2020-03-01T08:00:00Z", "2020-03-01T09:00:00Z", 128m)), C("lab", Resent(effective, issued, value))).IsMatch);

    [Fact]
    public void Compare_SharedIdentifierInOneSourceMinutesApart_MatchesAsTheSameAct()
    {
        var a = Problem("38341003", "2020-01-01T10:00:00Z");
        var b = Problem("38341003", "2020-01-01T10:05:00Z");
        a.Identifier = [new Identifier("urn:oid:1.2.3.4", "p-17")];
        b.Identifier = [new Identifier("urn:oid:1.2.3.4", "p-17")];
        b.Note = [new Annotation { Text = "double entry" }];
        var left = C("clinic", a);
        var right = C("clinic", b);
        Assert.Single(DuplicateClusterer.Cluster([left, right], _matcher, 100).Clusters);
        Assert.Equal(ClinicalRecordMatcher.SameActRule, _matcher.Compare(left, right).Rule);
    }

    [Fact]
    public void Compare_SameProblemInTwoExportsOfOneFolderSource_MatchesLikeTwoEmrs()
    {
        var a = new MatchCandidate("hospital", "Condition/a", Problem("38341003", "2020-01-01"), documentId: "export-2020.json");
        var b = new MatchCandidate("hospital", "Condition/b", Problem("38341003", "2020-01-02", text: "Hypertension"), documentId: "export-2021.json");
        var sameExport = new MatchCandidate("hospital", "Condition/c", Problem("38341003", "2020-01-02", text: "Hypertension"), documentId: "export-2020.json");
        Assert.True(_matcher.Compare(a, b).IsMatch);
        Assert.False(_matcher.Compare(a, sameExport).IsMatch);
    }

    private static Encounter Visit(string start, Organization provider, string? doctor = null) => new()
    {
        Status = Encounter.EncounterStatus.Finished,
        Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
        Type = [new CodeableConcept(CodeSystems.Snomed, "185349003", "Encounter for check up")],
        Period = new Period { Start = start },
        ServiceProvider = new ResourceReference("#org"),
        Contained = [provider],
        Participant = doctor is null ? [] : [new Encounter.ParticipantComponent { Individual = new ResourceReference { Display = doctor } }],
    };

    private static Organization Org(string name, string? npi = null) => new()
    {
        Id = "org",
        Name = name,
        Identifier = npi is null ? [] : [new Identifier(CodeSystems.Npi, npi)],
    };

    [Fact]
    public void Compare_EncountersAtOneTimeAtDifferentOrganisations_DoNotMatch()
    {
        Assert.False(Matches(Visit("2020-05-01T09:00:00Z", Org("Springfield Clinic")), Visit("2020-05-01T09:00:00Z", Org("Shelbyville Hospital"))));
        Assert.False(Matches(Visit("2020-05-01T09:00:00Z", Org("Clinic", "1234567893")), Visit("2020-05-01T09:00:00Z", Org("Clinic", "1245319599"))));
        Assert.True(Matches(Visit("2020-05-01T09:00:00Z", Org("SPRINGFIELD CLINIC")), Visit("2020-05-01T10:00:00Z", Org("Springfield Clinic"))));
    }

    [Fact]
    public void Compare_EncountersWithDifferentParticipants_DoNotMatch()
    {
        Assert.False(Matches(Visit("2020-05-01T09:00:00Z", Org("Clinic"), "Dr. Ann Smith"), Visit("2020-05-01T09:00:00Z", Org("Clinic"), "Dr. Bo Jones")));
        Assert.True(Matches(Visit("2020-05-01T09:00:00Z", Org("Clinic"), "Dr. Ann Smith"), Visit("2020-05-01T09:00:00Z", Org("Clinic"), "DR ANN SMITH")));
    }

    [Fact]
    public void Compare_LabRoundedAfterUnitConversion_MatchesAtTheLessPreciseValuesPrecision()
    {
        Assert.True(Matches(Lab("2020-03-01T08:00:00Z", 1.0746m, "mg/dL"), Lab("2020-03-01T08:00:00Z", 0.0107m, "g/L")));
        Assert.False(Matches(Lab("2020-03-01T08:00:00Z", 24321.98m, "umol/L"), Lab("2020-03-01T08:00:00Z", 24.39m, "mmol/L")));
    }

    [Fact]
    public void Compare_ValuesParsedFromJson_KeepTheirWrittenPrecision()
    {
        // Firely keeps the decimal's scale: "0.0107" carries four decimals, "5.40" two.
        var parsed = HealthRecord.Sdk.Fhir.FhirJson.Parse<Observation>("""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},"effectiveDateTime":"2020-03-01T08:00:00Z","valueQuantity":{"value":0.0107,"unit":"g/L","system":"http://unitsofmeasure.org","code":"g/L"}}""");
        Assert.Equal(4, Assert.IsType<Quantity>(parsed.Value).Value!.Value.Scale);
        Assert.True(Matches(Lab("2020-03-01T08:00:00Z", 1.0746m, "mg/dL"), parsed));
    }

    [Fact]
    public void Cluster_CopyMatchingTwoReadingsOfOneEmr_JoinsTheOneWithTheSameIssuedInstant()
    {
        // Two readings of one EMR with the same value minutes apart (a second run: its own issued instant), and the
        // lab's copy of the first; the copy matches both by value and time, and must join the first.
        var first = Resent("2020-03-01T08:00:00Z", "2020-03-01T09:00:00Z", 128m);
        var second = Resent("2020-03-01T08:06:00Z", "2020-03-01T09:20:00Z", 128m);
        var labCopy = Resent("2020-03-01T08:04:00Z", "2020-03-01T09:00:00Z", 128m);
        foreach (var order in new[] { new[] { 0, 1, 2 }, [2, 1, 0], [1, 2, 0] })
        {
            var resources = new Resource[] { first, second, labCopy };
            var sources = new[] { "clinic", "clinic", "lab" };
            var candidates = order.Select(i => new MatchCandidate(sources[i], "Observation/" + i, resources[i])).ToList();
            var clusters = DuplicateClusterer.Cluster(candidates, _matcher, 100).Clusters;
            var together = Assert.Single(clusters, c => c.Count == 2);
            Assert.Equal(["Observation/0", "Observation/2"], together.Select(i => candidates[i].SourceReference).Order(StringComparer.Ordinal));
        }
    }
}
