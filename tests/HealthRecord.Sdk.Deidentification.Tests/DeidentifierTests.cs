using System.Text;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deidentification.Tests;

public class DeidentifierTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("unit-test key of 32 bytes length");

    private static Deidentifier Create(DeidentificationMode mode = DeidentificationMode.SafeHarbor, Action<DeidentificationOptions>? configure = null)
    {
        var options = new DeidentificationOptions { Key = Key, Mode = mode };
        configure?.Invoke(options);
        return new Deidentifier(options);
    }

    private static Bundle Ehr(params Resource[] resources)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (var r in resources)
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + r.Id, Resource = r });
        }

        return bundle;
    }

    private static Patient MakePatient(string birthDate = "1960-03-04", params Address[] addresses) => new()
    {
        Id = "p1",
        Name = [new HumanName { Family = "Quirkson", Given = ["Wilhelmina"] }],
        BirthDate = birthDate,
        Gender = AdministrativeGender.Female,
        Address = [.. addresses],
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "555-0100")],
        Identifier =
        [
            new Identifier("http://hl7.org/fhir/sid/us-ssn", "999-45-6789"),
            new Identifier("urn:oid:1.2.3.4", "LOCAL-77") { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "PI") },
        ],
    };

    private static Encounter MakeEncounter(string id, string start) => new()
    {
        Id = id,
        Status = Hl7.Fhir.Model.Encounter.EncounterStatus.Finished,
        Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
        Subject = new ResourceReference("urn:uuid:p1"),
        Period = new Period { Start = start },
    };

    [Fact]
    public void Deidentify_PersonOver89AtTheirLastEvent_RemovesBirthDateAndGroupsAges()
    {
        var condition = new Condition { Id = "c1", Subject = new ResourceReference("urn:uuid:p1"), Code = new CodeableConcept("http://snomed.info/sct", "38341003"), Onset = new Age { Value = 95, Unit = "a", System = "http://unitsofmeasure.org", Code = "a" } };
        var ageObservation = new Observation { Id = "o1", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "30525-0"), Value = new Quantity(93, "a"), Effective = new FhirDateTime("2000-01-01") };
        var result = Create().Deidentify(Ehr(MakePatient("1920-03-04"), MakeEncounter("e1", "2015-06-01"), MakeEncounter("e2", "2009-03-03"), condition, ageObservation));

        var patient = result.Bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
        Assert.Null(patient.BirthDate);
        Assert.Equal("90+", result.QuasiIdentifiers.BirthYear);
        var ages = result.Bundle.Entry.Select(e => e.Resource).OfType<Encounter>().Select(e => result.AgeAtEvent[$"Encounter/{e.Id}"]).ToList();
        Assert.Equal(["90+", "88"], ages);
        var onset = Assert.IsType<Age>(result.Bundle.Entry.Select(e => e.Resource).OfType<Condition>().Single().Onset);
        Assert.Equal(90m, onset!.Value);
        Assert.Equal(Quantity.QuantityComparator.GreaterOrEqual, onset.Comparator);
        var reported = Assert.IsType<Quantity>(result.Bundle.Entry.Select(e => e.Resource).OfType<Observation>().Single().Value);
        Assert.Equal(90m, reported.Value);
        Assert.Equal(Quantity.QuantityComparator.GreaterOrEqual, reported.Comparator);
    }

    [Fact]
    public void Deidentify_Person89AtTheirLastEvent_KeepsBirthYear()
    {
        var result = Create().Deidentify(Ehr(MakePatient("1926-03-04"), MakeEncounter("e1", "2015-06-01")));
        Assert.Equal("1926", result.Bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single().BirthDate);
        Assert.Equal("1926", result.QuasiIdentifiers.BirthYear);
        Assert.Equal("89", result.AgeAtEvent.Values.Single());
    }

    [Theory]
    [InlineData("03601", "000")]
    [InlineData("05901", "000")]
    [InlineData("89301-1234", "000")]
    [InlineData("02134-1234", "021")]
    [InlineData("10001", "100")]
    [InlineData("SW1A 1AA", null)]
    [InlineData("123", null)]
    public void Deidentify_Address_KeepsStateAndThreeDigitZipWithRestrictedPrefixesAsZeros(string zip, string? expected)
    {
        var address = new Address { Line = ["12 Elm Street"], City = "Hanover", District = "Grafton", State = "NH", PostalCode = zip, Country = "US" };
        var result = Create().Deidentify(Ehr(MakePatient("1960-03-04", address)));
        var output = result.Bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single().Address.Single()!;
        Assert.Equal(expected, output.PostalCode);
        Assert.Equal("NH", output.State);
        Assert.Equal("US", output.Country);
        Assert.Empty(output.Line);
        Assert.Null(output.City);
        Assert.Null(output.District);
        Assert.Equal(expected ?? "", result.QuasiIdentifiers.Zip3);
    }

    [Fact]
    public void RestrictedZipPrefixes_Census2000_AreTheSeventeenOfTheHhsGuidance()
    {
        Assert.Equal(17, RestrictedZipPrefixes.Census2000.Count);
        Assert.All(RestrictedZipPrefixes.Census2000, p => Assert.Matches("^[0-9]{3}$", p));
        Assert.Contains("HHS", RestrictedZipPrefixes.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Deidentify_SafeHarborDateWithTimeZone_KeepsTheYearAsWritten()
    {
        var result = Create().Deidentify(Ehr(MakePatient(), MakeEncounter("e1", "2019-12-31T23:30:00-05:00")));
        var encounter = result.Bundle.Entry.Select(e => e.Resource).OfType<Encounter>().Single();
        Assert.Equal("2019", encounter.Period!.Start);
    }

    [Fact]
    public void Deidentify_DateShiftWithTimeZones_KeepsTimesZonesAndTheExactInterval()
    {
        var result = Create(DeidentificationMode.DateShift).Deidentify(Ehr(MakePatient(), MakeEncounter("e1", "2019-12-31T23:30:00-05:00"), MakeEncounter("e2", "2020-01-01T04:45:00+00:00"), MakeEncounter("e3", "2020-03-08T01:59:00-05:00")));
        var starts = result.Bundle.Entry.Select(e => e.Resource).OfType<Encounter>().Select(e => e.Period!.Start!).ToList();
        Assert.EndsWith("T23:30:00-05:00", starts[0], StringComparison.Ordinal);
        Assert.EndsWith("T04:45:00+00:00", starts[1], StringComparison.Ordinal);
        var before = DateTimeOffset.Parse("2020-01-01T04:45:00+00:00", System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse("2019-12-31T23:30:00-05:00", System.Globalization.CultureInfo.InvariantCulture);
        var after = DateTimeOffset.Parse(starts[1], System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse(starts[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(before, after);
        Assert.Equal(
            DateTimeOffset.Parse(starts[2], System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse(starts[0], System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse("2020-03-08T01:59:00-05:00", System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse("2019-12-31T23:30:00-05:00", System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotEqual(0, result.ShiftDays);
        Assert.InRange(Math.Abs(result.ShiftDays), 1, 365);
    }

    [Fact]
    public void Deidentify_Identifiers_RemovesHipaaOnesAndPseudonymisesTheRestConsistently()
    {
        var encounter = MakeEncounter("e1", "2019-01-01");
        encounter.Identifier.Add(new Identifier("urn:oid:1.2.3.4", "LOCAL-77"));
        var result = Create().Deidentify(Ehr(MakePatient(), encounter));
        var json = FhirJson.Serialize(result.Bundle);
        Assert.DoesNotContain("999-45-6789", json, StringComparison.Ordinal);
        Assert.DoesNotContain("LOCAL-77", json, StringComparison.Ordinal);
        Assert.DoesNotContain("1.2.3.4", json, StringComparison.Ordinal);
        var patientId = result.Bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single().Identifier.Single(i => i.System != Deidentifier.ResearchPersonSystem);
        var encounterId = result.Bundle.Entry.Select(e => e.Resource).OfType<Encounter>().Single().Identifier.Single();
        Assert.Equal(patientId.Value, encounterId.Value);
        Assert.Equal(patientId.System, encounterId.System);
        Assert.StartsWith(Deidentifier.PseudonymSystemPrefix, patientId.System, StringComparison.Ordinal);
    }

    [Fact]
    public void Deidentify_ReferencesAndIds_StayLinkedUnderPseudonyms()
    {
        var result = Create().Deidentify(Ehr(MakePatient(), MakeEncounter("e1", "2019-01-01")));
        var patient = result.Bundle.Entry.Single(e => e.Resource is Patient);
        var encounter = (Encounter)result.Bundle.Entry.Single(e => e.Resource is Encounter).Resource!;
        Assert.NotEqual("p1", patient.Resource!.Id);
        Assert.Equal(patient.FullUrl, encounter.Subject!.Reference);
        Assert.Equal("urn:uuid:" + patient.Resource.Id, patient.FullUrl);
    }

    [Fact]
    public void Deidentify_NarrativeAndNotes_AreRemovedWithoutAScrubberAndScrubbedWithOne()
    {
        Encounter Noted()
        {
            var e = MakeEncounter("e1", "2019-01-01");
            e.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">Seen by Dr Quirkson at home</div>" };
            e.Extension.Add(new Extension("http://example.org/comment", new FhirString("Wilhelmina called back")));
            return e;
        }

        var removed = FhirJson.Serialize(Create().Deidentify(Ehr(MakePatient(), Noted())).Bundle);
        Assert.DoesNotContain("Quirkson", removed, StringComparison.Ordinal);
        Assert.DoesNotContain("Wilhelmina", removed, StringComparison.Ordinal);
        Assert.DoesNotContain("\"text\"", removed, StringComparison.Ordinal);

        var scrubbed = Create(configure: o => o.TextScrubber = t => t.Replace("Quirkson", "[NAME]", StringComparison.Ordinal).Replace("Wilhelmina", "[NAME]", StringComparison.Ordinal))
            .Deidentify(Ehr(MakePatient(), Noted()));
        var encounter = scrubbed.Bundle.Entry.Select(e => e.Resource).OfType<Encounter>().Single();
        Assert.Contains("Seen by Dr [NAME] at home", encounter.Text!.Div, StringComparison.Ordinal);
        Assert.Equal("[NAME] called back", ((FhirString)encounter.Extension.Single().Value!).Value);
        Assert.Contains(scrubbed.Report.Changes, c => c.Action == DeidentificationAction.Scrubbed && c.Path == "Encounter.text");
    }

    [Fact]
    public void Deidentify_HostRules_GoBeforeTheDefaults()
    {
        var org = new Organization { Id = "o1", Name = "Valley Clinic" };
        var obs = new Observation { Id = "x1", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8302-2") };
        var result = Create(configure: o =>
        {
            o.Rules.Add(new DeidentificationRule("Organization.name", DeidentificationMethod.Keep));
            o.Rules.Add(new DeidentificationRule("Observation.where(code.coding.code = '8302-2')", DeidentificationMethod.Remove, "heights"));
        }).Deidentify(Ehr(MakePatient(), org, obs));
        Assert.Equal("Valley Clinic", result.Bundle.Entry.Select(e => e.Resource).OfType<Organization>().Single().Name);
        Assert.DoesNotContain(result.Bundle.Entry, e => e.Resource is Observation);
        Assert.Equal(1, result.Report.RemovedResources);
    }

    [Fact]
    public void Constructor_InvalidRuleOrShortKey_Throws()
    {
        Assert.Throws<HealthRecordConfigurationException>(() => Create(configure: o => o.Rules.Add(new DeidentificationRule("Patient.name.where(", DeidentificationMethod.Remove))));
        Assert.Throws<HealthRecordConfigurationException>(() => new Deidentifier(new DeidentificationOptions { Key = new byte[8] }));
    }

    [Fact]
    public void Deidentify_TransformedResources_CarryASecurityLabelAndAreCountedByRuleAndPath()
    {
        var result = Create().Deidentify(Ehr(MakePatient(), MakeEncounter("e1", "2019-05-06")));
        Assert.All(result.Bundle.Entry, e => Assert.Contains(e.Resource!.Meta!.Security, c => c.System == Deidentifier.SecurityLabelSystem));
        Assert.Contains(result.Report.Changes, c => c is { Rule: "names", Action: DeidentificationAction.Removed, Path: "Patient.name", Count: 1 });
        Assert.Contains(result.Report.Changes, c => c is { Rule: "dates", Action: DeidentificationAction.Generalized, Path: "Encounter.period.start", Count: 1 });
        Assert.Contains(result.Report.Changes, c => c is { Action: DeidentificationAction.Removed, Path: "Patient.identifier", Count: 1 });
        Assert.Equal(2, result.Report.TransformedResources);
        Assert.DoesNotContain("2019-05-06", result.Report.ToJson(), StringComparison.Ordinal);
    }
}
