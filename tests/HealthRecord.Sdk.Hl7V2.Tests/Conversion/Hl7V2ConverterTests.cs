#nullable disable warnings
using System.Text;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Tests.Conversion;

public class Hl7V2ConverterTests
{
    private static IReadOnlyList<Hl7V2ConversionResult> ConvertFixture(string file) => Hl7V2Converter.Convert(Hl7V2Parser.Parse(Fixtures.Bytes(file)));

    private static Hl7V2ConversionResult Single(string file) => Assert.Single(ConvertFixture(file));

    private static T One<T>(Hl7V2ConversionResult result, Func<T, bool>? where = null)
        where T : Resource => Assert.Single(result.Resources.OfType<T>(), r => where?.Invoke(r) ?? true);

    /// <summary>The raw segment lines of a file, split by plain string operations (independent of the parser under test).</summary>
    private static List<string[]> RawSegments(byte[] bytes) =>
        Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF').Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|')).ToList();

    [Theory]
    [MemberData(nameof(Fixtures.AllMessageFiles), MemberType = typeof(Fixtures))]
    public void Convert_EveryFixture_GivesOnePatientPerPidAndAccountsForEverySegment(string file)
    {
        var bytes = Fixtures.Bytes(file);
        var raw = RawSegments(bytes);
        var results = Hl7V2Converter.Convert(Hl7V2Parser.Parse(bytes));

        Assert.Equal(raw.Count(s => s[0] == "PID"), results.Sum(r => r.Resources.OfType<Patient>().Count()));
        foreach (var result in results)
        {
            var message = Hl7V2Parser.Parse(bytes).Messages[result.Report.MessageIndex - 1];
            for (var position = 1; position <= message.Segments.Count; position++)
            {
                Assert.Contains(result.Report.Entries, e => e.Position == position && e.Segment == message.Segments[position - 1].Id);
            }

            Assert.All(result.Report.Skipped, e => Assert.False(string.IsNullOrWhiteSpace(e.Detail)));
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures.AllMessageFiles), MemberType = typeof(Fixtures))]
    public void Convert_EveryFixture_GivesOneImmunizationPerRxaInVxuAndOneObservationPerResultObx(string file)
    {
        var raw = RawSegments(Fixtures.Bytes(file));
        var results = ConvertFixture(file);
        var type = raw.First(s => s[0] == "MSH")[8].Split('^')[0];

        if (type == "VXU")
        {
            Assert.Equal(raw.Count(s => s[0] == "RXA"), results.Sum(r => r.Resources.OfType<Immunization>().Count()));
        }

        if (type is "ORU" or "OUL")
        {
            // Every OBX with a code that is a result (not an embedded document) becomes exactly one Observation.
            var resultObx = raw.Count(s => s[0] == "OBX" && s.Length > 3 && s[3].Length > 0 && s[2] is not ("ED" or "RP"));
            Assert.Equal(resultObx, results.Sum(r => r.Resources.OfType<Observation>().Count()));
            var documents = raw.Count(s => s[0] == "OBX" && s[2] is "ED" or "RP" && s.Length > 5 && s[5].Length > 0);
            Assert.True(results.Sum(r => r.Resources.OfType<DocumentReference>().Count()) <= documents);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures.AllMessageFiles), MemberType = typeof(Fixtures))]
    public void Convert_EveryFixture_IsDeterministicValidFhirWithResolvableReferences(string file)
    {
        var first = ConvertFixture(file);
        var second = ConvertFixture(file);
        var firstJson = first.SelectMany(r => r.Resources).Select(r => FhirJson.Serialize(r)).ToList();

        Assert.Equal(firstJson, second.SelectMany(r => r.Resources).Select(r => FhirJson.Serialize(r)));
        var ids = first.SelectMany(r => r.Resources).Select(r => r.TypeName + "/" + r.Id).ToHashSet();
        foreach (var resource in first.SelectMany(r => r.Resources))
        {
            Assert.False(string.IsNullOrEmpty(resource.Id));

            // The default Firely deserializer validates every element: a converted resource must read back.
            var reread = FhirJson.Parse(FhirJson.Serialize(resource));
            Assert.Equal(resource.TypeName, reread.TypeName);
            foreach (var (element, reference) in ResourceReferences.Enumerate(resource))
            {
                if (reference.Reference is { } r)
                {
                    Assert.True(ids.Contains(r), $"{resource.TypeName}.{element} -> {r} does not resolve inside the message");
                }
                else
                {
                    Assert.True(reference.Identifier is not null || reference.Display is not null, $"{resource.TypeName}.{element} is empty");
                }
            }
        }
    }

    [CorpusTheory]
    [MemberData(nameof(Fixtures.AllCorpusFiles), MemberType = typeof(Fixtures))]
    public void Convert_EveryCorpusFile_GivesOnePatientPerPid(string file)
    {
        var bytes = File.ReadAllBytes(Corpus.PathOf(file));
        var raw = RawSegments(bytes);

        var results = Hl7V2Converter.Convert(Hl7V2Parser.Parse(bytes));

        Assert.Equal(raw.Count(s => s[0] == "PID"), results.Sum(r => r.Resources.OfType<Patient>().Count()));
        Assert.Equal(raw.Count(s => s[0] == "MSH"), results.Count);
    }

    [Fact]
    public void Convert_LriCbc_GivesValuesUnitsRangesAndFlags()
    {
        var result = Single("fhir-converter/LRI_2.0-NG_CBC_Typ_Message.hl7");

        var hemoglobin = One<Observation>(result, o => o.Code.Coding[0].Code == "718-7");
        var value = Assert.IsType<Quantity>(hemoglobin.Value);
        Assert.Equal(12.5m, value.Value);
        Assert.Equal("g/mL", value.Code);
        Assert.Equal("http://unitsofmeasure.org", value.System);
        Assert.Equal(13m, hemoglobin.ReferenceRange[0].Low.Value);
        Assert.Equal(18m, hemoglobin.ReferenceRange[0].High.Value);
        Assert.Equal("L", hemoglobin.Interpretation[0].Coding[0].Code);
        Assert.Equal(ObservationStatus.Final, hemoglobin.Status);
        Assert.Equal("2011-01-03T14:34:28-08:00", ((FhirDateTime)hemoglobin.Effective).Value);
        Assert.Equal("http://loinc.org", hemoglobin.Code.Coding[0].System);

        var leukocytes = One<Observation>(result, o => o.Code.Coding[0].Code == "26464-8");
        Assert.Equal(105600m, ((Quantity)leukocytes.Value).Value);
        Assert.Equal("{cells}/uL", ((Quantity)leukocytes.Value).Code);
        Assert.Equal("HH", leukocytes.Interpretation[0].Coding[0].Code);

        var report = One<DiagnosticReport>(result);
        Assert.Equal(result.Resources.OfType<Observation>().Count(), report.Result.Count);
        Assert.All(report.Result, r => Assert.StartsWith("Observation/", r.Reference, StringComparison.Ordinal));
        Assert.Contains(hemoglobin.Performer, p => p.Display == "Century Hospital");
    }

    [Fact]
    public void Convert_LabOru_GivesTwoReportsWithStatusesAndSpecimens()
    {
        var result = Single("fhir-converter/LAB-ORU-1.hl7");

        var reports = result.Resources.OfType<DiagnosticReport>().ToList();
        Assert.Equal(["24317-0", "26464-8"], reports.Select(r => r.Code.Coding[0].Code));
        Assert.Equal([5, 5], reports.Select(r => r.Result.Count));
        Assert.All(reports, r => Assert.Single(r.Specimen));
        var platelets = One<Observation>(result, o => o.Code.Coding[0].Code == "11125-2");
        Assert.Equal(221m, ((Quantity)platelets.Value).Value);
        Assert.Equal("giga.l-1", ((Quantity)platelets.Value).Unit);
        var leukocytes = One<Observation>(result, o => o.Code.Coding[0].Code == "11156-7");
        Assert.Equal(ObservationStatus.Registered, leukocytes.Status);
        Assert.Null(leukocytes.Value);
        var neutrophils = One<Observation>(result, o => o.Code.Coding[0].Code == "23761-0");
        Assert.Equal(ObservationStatus.Preliminary, neutrophils.Status);
        Assert.Equal(72m, ((Quantity)neutrophils.Value).Value);
        Assert.Equal("%", ((Quantity)neutrophils.Value).Code);
        Assert.Equal("2014-10-06T06:27:00+07:00", ((FhirDateTime)neutrophils.Effective).Value);
    }

    [Fact]
    public void Convert_OruWithCodedResultAndEmbeddedDocument_MapsBoth()
    {
        var result = Single("fhir-converter/ORU-R01-01.hl7");

        var culture = One<Observation>(result, o => o.Code.Coding[0].Code == "625-4");
        var organism = Assert.IsType<CodeableConcept>(culture.Value);
        Assert.Equal("27268008", organism.Coding[0].Code);
        Assert.Equal("http://snomed.info/sct", organism.Coding[0].System);
        Assert.Equal(ObservationStatus.Preliminary, culture.Status);
        Assert.Equal("A", culture.Interpretation[0].Coding[0].Code);
        Assert.Equal(70m, culture.ReferenceRange[0].Low.Value);
        Assert.Equal(80m, culture.ReferenceRange[0].High.Value);
        Assert.Equal("beats/min", culture.ReferenceRange[0].Low.Unit);
        Assert.Equal(2, culture.Note.Count);
        Assert.Equal("Submission of serum", culture.Note[0].Text);

        var numeric = One<Observation>(result, o => o.Code.Coding[0].Code == "8867-4" && o.Value is Quantity);
        Assert.Equal(27m, ((Quantity)numeric.Value).Value);
        Assert.Contains(result.Report.Warnings, w => w.Detail!.Contains("repeats 2 times", StringComparison.Ordinal));

        var pointers = result.Resources.OfType<DocumentReference>().Where(d => d.Content[0].Attachment.Url is not null).ToList();
        Assert.Equal(2, pointers.Count);
        Assert.All(pointers, p => Assert.Equal("https://testurl.com", p.Content[0].Attachment.Url));
        Assert.Equal(["8867-4", "1063-7"], pointers.Select(p => p.Type.Coding[0].Code));
        Assert.Contains(result.Report.Skipped, e => e.Segment == "OBX" && e.Detail!.Contains("ED-5 is empty", StringComparison.Ordinal));
        Assert.Contains(result.Report.Skipped, e => e.Segment == "FT1");
    }

    [Fact]
    public void Convert_Vxu_GivesImmunizationsWithDoseLotRouteAndFunding()
    {
        var result = Single("fhir-converter/VXU.hl7");

        var immunizations = result.Resources.OfType<Immunization>().ToList();
        Assert.Equal(3, immunizations.Count);
        var tenivac = immunizations[0];
        Assert.Equal("49281-0215-88", tenivac.VaccineCode.Coding[0].Code);
        Assert.Equal("http://hl7.org/fhir/sid/ndc", tenivac.VaccineCode.Coding[0].System);
        Assert.Equal(Immunization.ImmunizationStatusCodes.Completed, tenivac.Status);
        Assert.Equal("2015-06-24", ((FhirDateTime)tenivac.Occurrence).Value);
        Assert.Equal(0.5m, tenivac.DoseQuantity.Value);
        Assert.Equal("mL", tenivac.DoseQuantity.Code);
        Assert.Equal("http://unitsofmeasure.org", tenivac.DoseQuantity.System);
        Assert.Equal("315841", tenivac.LotNumber);
        Assert.Equal("2015-12-16", tenivac.ExpirationDate);
        Assert.Equal("Sanofi Pasteur", tenivac.Manufacturer.Display);
        var manufacturer = result.Resources.OfType<Organization>().Single(o => tenivac.Manufacturer.Reference.EndsWith(o.Id, StringComparison.Ordinal));
        Assert.Equal(("http://hl7.org/fhir/sid/mvx", "PMC"), (manufacturer.Identifier[0].System, manufacturer.Identifier[0].Value)); // the one MVX URI of core Terminology
        Assert.True(tenivac.PrimarySource);
        Assert.Equal("C28161", tenivac.Route.Coding[0].Code);
        Assert.Equal("RD", tenivac.Site.Coding[0].Code);
        Assert.Equal("PHC70", tenivac.FundingSource.Coding[0].Code);
        Assert.Equal("V01", tenivac.ProgramEligibility[0].Coding[0].Code);
        Assert.Equal("2015-06-24", Assert.Single(tenivac.Education).PresentationDate);
        Assert.Equal("AP", tenivac.Performer[0].Function.Coding[0].Code);
        Assert.Contains(tenivac.Identifier, i => i.Value == "13696");

        Assert.All(immunizations.Skip(1), i =>
        {
            Assert.Equal("88", i.VaccineCode.Coding[0].Code);
            Assert.Equal("http://hl7.org/fhir/sid/cvx", i.VaccineCode.Coding[0].System);
            Assert.False(i.PrimarySource);
            Assert.Equal("01", i.ReportOrigin.Coding[0].Code);
            Assert.Null(i.DoseQuantity);
        });
        Assert.Empty(result.Resources.OfType<Observation>());
    }

    [Theory]
    [InlineData("RE", "00^Parental decision^NIP002", Immunization.ImmunizationStatusCodes.NotDone, "00")]
    [InlineData("NA", "", Immunization.ImmunizationStatusCodes.NotDone, null)]
    [InlineData("PA", "", Immunization.ImmunizationStatusCodes.Completed, null)]
    [InlineData("CP", "", Immunization.ImmunizationStatusCodes.Completed, null)]
    public void Convert_RxaCompletionStatus_SetsStatusAndReason(string completion, string refusal, Immunization.ImmunizationStatusCodes expected, string? reasonCode)
    {
        var text = "MSH|^~\\&|APP|FAC|||20240101||VXU^V04^VXU_V04|R1|P|2.5.1\r" +
                   "PID|1||77^^^CLINIC^MR||Kid^Amy||20200101|F\r" +
                   $"RXA|0|1|20240105||08^HepB^CVX|999||||||||||||{refusal}||{completion}|A\r";

        var result = Assert.Single(Hl7V2Converter.Convert(text));

        var immunization = One<Immunization>(result);
        Assert.Equal(expected, immunization.Status);
        Assert.Equal(reasonCode, immunization.StatusReason?.Coding.FirstOrDefault()?.Code);
        Assert.Equal(completion == "PA" ? true : null, immunization.IsSubpotent);
        if (completion == "RE")
        {
            Assert.Contains(result.Report.Entries, e => e.Detail == "Immunization (refused: not-done)");
        }
    }

    [Fact]
    public void Convert_AdtA01_GivesPatientVisitAndClinicalRecords()
    {
        var result = Single("fhir-converter/ADT-A01-01.hl7");

        var patient = One<Patient>(result);
        Assert.Equal("EVERYMAN", patient.Name[0].Family);
        Assert.Equal(["ADAM", "A"], patient.Name[0].Given);
        Assert.Equal(AdministrativeGender.Male, patient.Gender);
        Assert.Equal("1988-08-18", patient.BirthDate);
        Assert.Contains(patient.Identifier, i => i.Value == "PATID1234" && i.Type.Coding[0].Code == "MR" && i.System == "urn:oid:2.16.1");
        Assert.Contains(patient.Identifier, i => i.Value == "123456789" && i.System == "http://hl7.org/fhir/sid/us-ssn");
        Assert.Equal("Ann Arbor", patient.Address[0].City);

        var encounter = One<Encounter>(result);
        Assert.Equal("PRENC", encounter.Class.Code);
        Assert.Equal(Encounter.EncounterStatus.InProgress, encounter.Status);
        Assert.Equal("Patient/" + patient.Id, encounter.Subject.Reference);
        Assert.Contains(encounter.Participant, p => p.Type[0].Coding[0].Code == "ATND" && p.Individual.Display!.Contains("Alaz", StringComparison.Ordinal));

        var allergy = One<AllergyIntolerance>(result);
        Assert.Equal("PENICILLIN", allergy.Code.Coding[0].Display);
        Assert.Equal(AllergyIntolerance.AllergyIntoleranceCriticality.Low, allergy.Criticality);
        Assert.Equal("Encounter/" + encounter.Id, allergy.Encounter.Reference);

        var condition = One<Condition>(result);
        Assert.Equal("422504002", condition.Code.Coding[0].Code);
        Assert.Equal("encounter-diagnosis", condition.Category[0].Coding[0].Code);

        var procedure = One<Procedure>(result);
        Assert.Equal("76164006", procedure.Code.Coding[0].Code);
        Assert.Equal("2005-01-25T11:40:00+01:00", ((FhirDateTime)procedure.Performed).Value);

        var coverage = One<Coverage>(result);
        Assert.Equal("Blue Cross Blue Shield of Texas", coverage.Payor[0].Display);
        Assert.Equal("spouse", coverage.Relationship.Coding[0].Code);

        var related = One<RelatedPerson>(result);
        Assert.Equal("Evan", related.Name[0].Family);

        var heartRate = One<Observation>(result);
        Assert.Equal(60m, ((Quantity)heartRate.Value).Value);
        Assert.Equal("beats/min", ((Quantity)heartRate.Value).Unit);
        Assert.Null(((Quantity)heartRate.Value).System);
        Assert.Equal(70m, heartRate.ReferenceRange[0].Low.Value);

        Assert.Contains(result.Report.Skipped, e => e.Segment == "GT1" && e.Detail!.Contains("financial", StringComparison.Ordinal));

        // The message identifiers (MSH-3, MSH-4, MSH-10) travel with every record of the message.
        Assert.Equal("urn:healthrecord-sdk:hl7v2:message:ADTApp:GHHSFacility:MSG00001", patient.Meta.Source);
        Assert.All(result.Resources.Where(r => r is not (Practitioner or Organization)), r => Assert.Equal(patient.Meta.Source, r.Meta.Source));
    }

    [Theory]
    [InlineData("fhir-converter/ADT-A03-01.hl7", Encounter.EncounterStatus.Finished)]
    [InlineData("fhir-converter/ADT-A05-01.hl7", Encounter.EncounterStatus.Planned)]
    [InlineData("fhir-converter/ADT-A02-01.hl7", Encounter.EncounterStatus.InProgress)]
    public void Convert_AdtTrigger_SetsEncounterStatus(string file, Encounter.EncounterStatus expected)
    {
        Assert.Equal(expected, One<Encounter>(Single(file)).Status);
    }

    [Fact]
    public void Convert_AdtA40_LinksPriorIdentifier()
    {
        var result = Single("fhir-converter/ADT-A40-01.hl7");

        var patient = One<Patient>(result);
        var link = Assert.Single(patient.Link);
        Assert.Equal(Patient.LinkType.Replaces, link.Type);
        Assert.Equal("56789", link.Other.Identifier.Value);
        Assert.Equal(patient.Identifier[0].System, link.Other.Identifier.System);
        Assert.Equal("12345", patient.Identifier[0].Value);
        Assert.Contains(result.Report.Entries, e => e.Segment == "MRG" && e.Outcome == Hl7V2SegmentOutcome.Merged);
    }

    [Theory]
    [InlineData("fhir-converter/PC1-Problem-Add-v2.3.1.hl7", "active", null)]
    [InlineData("fhir-converter/PC1-Problem-Delete-v2.3.1.hl7", null, "entered-in-error")]
    public void Convert_ProblemMessage_GivesProblemListCondition(string file, string? clinical, string? verification)
    {
        var condition = One<Condition>(Single(file));

        Assert.Equal("problem-list-item", condition.Category[0].Coding[0].Code);
        Assert.Equal("http://hl7.org/fhir/sid/icd-9-cm", condition.Code.Coding[0].System);
        Assert.Equal(clinical, condition.ClinicalStatus?.Coding[0].Code);
        Assert.Equal(verification, condition.VerificationStatus?.Coding[0].Code);
    }

    [Fact]
    public void Convert_MessageWithoutPid_SkipsClinicalSegmentsWithReason()
    {
        var result = Assert.Single(Hl7V2Converter.Convert("MSH|^~\\&|A|B|||20240101||ORU^R01|9|P|2.5\rOBR|1||F1|1234-5^Panel^LN\rOBX|1|NM|1-1^Test^LN||5|mg\r"));

        Assert.Empty(result.Resources);
        Assert.Equal(2, result.Report.Skipped.Count(e => e.Detail!.Contains("no PID", StringComparison.Ordinal)));
    }

    [Fact]
    public void Convert_ZAndUnknownSegments_AreReportedAsSkipped()
    {
        var result = Assert.Single(Hl7V2Converter.Convert("MSH|^~\\&|A|B|||20240101||ADT^A08|9|P|2.5\rPID|1||5^^^H^MR||Doe^Jo\rZPD|1|x\rQQQ|1\r"));

        Assert.Contains(result.Report.Skipped, e => e.Segment == "ZPD" && e.Detail!.StartsWith("Z-segment", StringComparison.Ordinal));
        Assert.Contains(result.Report.Skipped, e => e.Segment == "QQQ" && e.Detail!.StartsWith("unknown segment", StringComparison.Ordinal));
        Assert.Single(result.Resources);
    }

    [Theory]
    [InlineData("SN", "<^5", typeof(Quantity))]
    [InlineData("SN", "^10^-^20", typeof(Hl7.Fhir.Model.Range))]
    [InlineData("SN", "^1^:^128", typeof(Ratio))]
    [InlineData("ST", "positive", typeof(FhirString))]
    [InlineData("TX", "line one~line two", typeof(FhirString))]
    [InlineData("CWE", "260373001^Detected^SCT", typeof(CodeableConcept))]
    [InlineData("DT", "20240105", typeof(FhirDateTime))]
    [InlineData("TS", "202401051230-0500", typeof(FhirDateTime))]
    [InlineData("TM", "1230", typeof(Time))]
    public void Convert_ObxValueType_GivesMatchingFhirValue(string type, string value, Type expected)
    {
        var text = $"MSH|^~\\&|A|B|||20240101||ORU^R01|9|P|2.5\rPID|1||5^^^H^MR||Doe^Jo\rOBR|1||F1|1234-5^Panel^LN|||20240101\rOBX|1|{type}|1-1^Test^LN||{value}|mg/dL^^UCUM||||F\r";

        var observation = One<Observation>(Assert.Single(Hl7V2Converter.Convert(text)));

        Assert.IsType(expected, observation.Value);
        switch (observation.Value)
        {
            case Quantity q:
                Assert.Equal(Quantity.QuantityComparator.LessThan, q.Comparator);
                Assert.Equal(5m, q.Value);
                Assert.Equal("mg/dL", q.Code);
                break;
            case Hl7.Fhir.Model.Range r:
                Assert.Equal(10m, r.Low.Value);
                Assert.Equal(20m, r.High.Value);
                break;
            case FhirString s when type == "TX":
                Assert.Equal("line one\nline two", s.Value);
                break;
            case FhirDateTime d when type == "TS":
                Assert.Equal("2024-01-05T12:30:00-05:00", d.Value);
                break;
            case Time t:
                Assert.Equal("12:30:00", t.Value);
                break;
            default:
                break;
        }
    }

    [Theory]
    [InlineData("3.5-5.0", 3.5, 5.0, null)]
    [InlineData("4.3 to 6.2", 4.3, 6.2, null)]
    [InlineData("<200", null, 200.0, null)]
    [InlineData(">=60", 60.0, null, null)]
    [InlineData("negative", null, null, "negative")]
    public void ReferenceRange_Text_GivesLowHighOrText(string text, double? low, double? high, string? rangeText)
    {
        var range = MessageConverterAccess.ReferenceRange(text)!;

        Assert.Equal(low is null ? null : (decimal)low, range.Low?.Value);
        Assert.Equal(high is null ? null : (decimal)high, range.High?.Value);
        Assert.Equal(rangeText, range.Text);
    }

    [Fact]
    public void Convert_TimeWithoutOffset_UsesAssumedOffsetOrKeepsDate()
    {
        var text = "MSH|^~\\&|A|B|||20240101||ADT^A04|9|P|2.5\rPID|1||5^^^H^MR||Doe^Jo\rPV1|1|O|||||||||||||||||V1|||||||||||||||||||||||||20240105093000\r";

        var utc = One<Encounter>(Assert.Single(Hl7V2Converter.Convert(text)));
        var berlin = One<Encounter>(Assert.Single(Hl7V2Converter.Convert(text, new Hl7V2ConversionOptions { AssumedUtcOffset = TimeSpan.FromHours(1) })));
        var none = Assert.Single(Hl7V2Converter.Convert(text, new Hl7V2ConversionOptions { AssumedUtcOffset = null }));

        Assert.Equal("2024-01-05T09:30:00Z", utc.Period.Start);
        Assert.Equal("2024-01-05T09:30:00+01:00", berlin.Period.Start);
        Assert.Equal("2024-01-05", One<Encounter>(none).Period.Start);
        Assert.Contains(none.Report.Warnings, w => w.Detail!.Contains("PV1-44", StringComparison.Ordinal));
    }

    [Fact]
    public void ToBundle_RewritesReferencesToFullUrls()
    {
        var result = Single("fhir-converter/LAB-ORU-1.hl7");

        var bundle = result.ToBundle();

        var urls = bundle.Entry.Select(e => e.FullUrl).ToHashSet();
        Assert.Equal(result.Resources.Count, bundle.Entry.Count);
        foreach (var entry in bundle.Entry)
        {
            foreach (var (_, reference) in ResourceReferences.Enumerate(entry.Resource).Where(r => r.Reference.Reference is not null))
            {
                Assert.Contains(reference.Reference, urls);
            }
        }

        Assert.StartsWith("Patient/", One<Observation>(result, o => o.Code.Coding[0].Code == "11125-2").Subject.Reference, StringComparison.Ordinal);
    }
}

/// <summary>Reaches the internal reference-range parser.</summary>
internal static class MessageConverterAccess
{
    public static Observation.ReferenceRangeComponent? ReferenceRange(string text) =>
        HealthRecord.Sdk.Hl7V2.Conversion.MessageConverter.ReferenceRange(text, null);
}

public class Hl7V2ConverterPharmacyTests
{
    [Fact]
    public void Convert_RdeO11_GivesMedicationRequestFromEncodedOrder()
    {
        var result = Assert.Single(Hl7V2Converter.Convert(Hl7V2Parser.Parse(Fixtures.Bytes("fhir-converter/RDE-O11-01.hl7"))));

        var request = Assert.Single(result.Resources.OfType<MedicationRequest>());
        var medication = Assert.IsType<CodeableConcept>(request.Medication);
        Assert.Equal("0143963401", medication.Coding[0].Code);
        Assert.Equal("http://hl7.org/fhir/sid/ndc", medication.Coding[0].System);
        Assert.Equal(MedicationRequest.MedicationRequestIntent.Order, request.Intent);
        Assert.Equal(MedicationRequest.MedicationrequestStatus.Active, request.Status);
        Assert.Equal("2019-11-04T06:27:26+02:15", request.AuthoredOn);
        Assert.Contains(request.Identifier, i => i.Value == "1163422591" && i.Type.Coding[0].Code == "PLAC");
        var dose = Assert.IsType<Quantity>(request.DosageInstruction[0].DoseAndRate[0].Dose);
        Assert.Equal(5m, dose.Value);
        Assert.Equal("mg/hr", dose.Unit);
        Assert.StartsWith("Titrate to BP less than 180", request.DosageInstruction[0].Text, StringComparison.Ordinal);
        Assert.Equal("IV", request.DosageInstruction[0].Route.Coding[0].Code);
        Assert.Contains(result.Report.Skipped, e => e.Segment == "RXO" && e.Detail!.Contains("RXE", StringComparison.Ordinal));
    }
}
