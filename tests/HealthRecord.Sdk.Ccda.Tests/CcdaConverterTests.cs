using CsCheck;
using System.Xml.Linq;
using HealthRecord.Sdk.Ccda;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda.Tests;

public class CcdaConverterTests
{
    public static TheoryData<string> Fixtures() =>
    [
        "ccda/HL7_CCD.xml",
        "ccda/HL7_Progress_Note.xml",
        "ccda/ONC_EMRDirect_all-data_jeremy.xml",
        "ccda/ONC_Afoundria_CCD_Jones_Myra.xml",
    ];

    private static CcdaConversionResult ConvertFixture(string fixture, CcdaOptions? options = null)
    {
        using var stream = File.OpenRead(Corpus.Fixture(fixture));
        return new CcdaConverter(options).Convert(stream, fixture);
    }

    private static CcdaConversionResult ConvertXml(string xml, CcdaOptions? options = null) =>
        new CcdaConverter(options).Convert(MiniCda.Bytes(xml), "mini.xml");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Convert_Fixture_AccountsForEveryEntry(string fixture)
    {
        var result = ConvertFixture(fixture);

        EntryAccounting.AssertEveryEntryAccountedFor(XDocument.Load(Corpus.Fixture(fixture)), result.Report);
        EntryAccounting.AssertReferencesResolve(result.Resources);
        Assert.All(result.Resources, r => FhirJson.Parse(FhirJson.Serialize(r)));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Convert_SameDocumentTwice_GivesByteIdenticalBundlesAndReports(string fixture)
    {
        var first = ConvertFixture(fixture);
        var second = ConvertFixture(fixture);

        Assert.Equal(FhirJson.Serialize(first.ToBundle()), FhirJson.Serialize(second.ToBundle()));
        Assert.Equal(first.Report.ToJson(), second.Report.ToJson());
    }

    [Fact]
    public void Convert_HL7Ccd_MatchesSnapshot()
    {
        var result = ConvertFixture("ccda/HL7_CCD.xml");

        Snapshots.MatchJson(FhirJson.Serialize(result.ToBundle()), "HL7_CCD.bundle");
        Snapshots.MatchJson(result.Report.ToJson(), "HL7_CCD.report");
    }

    [Fact]
    public void Convert_HL7ProgressNote_MatchesSnapshot()
    {
        var result = ConvertFixture("ccda/HL7_Progress_Note.xml");

        Snapshots.MatchJson(FhirJson.Serialize(result.ToBundle()), "HL7_Progress_Note.bundle");
    }

    [Fact]
    public void Convert_HL7Ccd_ConvertsHeaderAndCoreSections()
    {
        var result = ConvertFixture("ccda/HL7_CCD.xml");

        var patient = Assert.Single(result.Resources.OfType<Patient>());
        Assert.Equal(AdministrativeGender.Female, patient.Gender);
        Assert.Contains(patient.Extension, e => e.Url == "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race");
        Assert.Contains(patient.Extension, e => e.Url == "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity");
        // This CCD states "no known allergies" (negationInd) and has a nullFlavor problem section.
        var allergy = Assert.Single(result.Resources.OfType<AllergyIntolerance>());
        Assert.Contains(allergy.Code!.Coding, c => c.System == CodeSystems.Snomed && c.Code is "716186003" or "409137002");
        Assert.Empty(result.Resources.OfType<Condition>());
        Assert.NotEmpty(result.Resources.OfType<DiagnosticReport>());
        Assert.Contains(result.Resources.OfType<Observation>(), o => o.Category.Any(c => c.Coding.Any(x => x.Code == "vital-signs")));
        var composition = Assert.Single(result.Resources.OfType<Composition>());
        Assert.Equal(result.Report.Sections.Count(s => !s.XPath.Contains("/section/component", StringComparison.Ordinal)), composition.Section.Count);
        Assert.Single(result.Resources.OfType<DocumentReference>(), d => d.MasterIdentifier is not null);
        Assert.All(result.Resources.OfType<Condition>(), c => Assert.Equal("Patient/" + patient.Id, c.Subject.Reference));
    }

    [Fact]
    public void Convert_OncAllData_ConvertsMedicationsImmunizationsAndProcedures()
    {
        var result = ConvertFixture("ccda/ONC_EMRDirect_all-data_jeremy.xml");

        Assert.Equal(result.Report.Sections.Where(s => s.Kind == "Medications").Sum(s => s.Converted),
            result.Resources.OfType<MedicationStatement>().Count() + result.Resources.OfType<MedicationRequest>().Count());
        Assert.All(result.Resources.OfType<Immunization>(), i => Assert.NotEmpty(i.VaccineCode.Coding));
        Assert.NotEmpty(result.Resources.OfType<Immunization>());
        Assert.NotEmpty(result.Resources.OfType<Procedure>());
        Assert.True(result.Report.ConvertedPercent >= 90, $"{result.Report.ConvertedPercent}% converted");
    }

    [Fact]
    public void Convert_NegatedAllergy_IsANoKnownAllergyStatementNotDropped()
    {
        var entry = """
            <entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.30"/><id root="a1"/>
              <code code="CONC" codeSystem="2.16.840.1.113883.5.6"/><statusCode code="active"/><effectiveTime><low value="20200101"/></effectiveTime>
              <entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN" negationInd="true">
                <templateId root="2.16.840.1.113883.10.20.22.4.7"/><id root="1.2.3" extension="nka"/>
                <code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/>
                <effectiveTime><low nullFlavor="UNK"/></effectiveTime>
                <value xsi:type="CD" code="416098002" codeSystem="2.16.840.1.113883.6.96" displayName="Drug allergy"/>
                <participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT"><code nullFlavor="NA"/></playingEntity></participantRole></participant>
              </observation></entryRelationship></act></entry>
            """;
        var result = ConvertXml(MiniCda.Document(MiniCda.Section("2.16.840.1.113883.10.20.22.2.6.1", "48765-2", "No known drug allergies", entry)));

        var allergy = Assert.Single(result.Resources.OfType<AllergyIntolerance>());
        Assert.Equal("409137002", allergy.Code!.Coding.Single().Code);
        Assert.Equal("confirmed", allergy.VerificationStatus!.Coding.Single().Code);
        Assert.Equal(1, result.Report.Sections.Single().Converted);
    }

    [Fact]
    public void Convert_NullFlavorsEverywhere_ProducesValidFhirAndExplainsWhatIsMissing()
    {
        var entries = """
            <entry><substanceAdministration classCode="SBADM" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.52"/><id nullFlavor="NI"/>
              <statusCode code="completed"/><effectiveTime nullFlavor="UNK"/>
              <consumable><manufacturedProduct><manufacturedMaterial><code nullFlavor="UNK"/></manufacturedMaterial></manufacturedProduct></consumable>
            </substanceAdministration></entry>
            <entry><substanceAdministration nullFlavor="NI"/></entry>
            <entry><substanceAdministration classCode="SBADM" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.52"/><id nullFlavor="NI"/>
              <statusCode code="completed"/><effectiveTime nullFlavor="UNK"/>
              <consumable><manufacturedProduct><manufacturedMaterial><code code="88" codeSystem="2.16.840.1.113883.12.292" displayName="influenza, unspecified formulation"/></manufacturedMaterial></manufacturedProduct></consumable>
            </substanceAdministration></entry>
            """;
        var result = ConvertXml(MiniCda.Document(MiniCda.Section("2.16.840.1.113883.10.20.22.2.2.1", "11369-6", "Immunizations", entries), effectiveTime: null));

        // No clinical resource without a concept: the immunization that names no vaccine is reported, not converted.
        var immunization = Assert.Single(result.Resources.OfType<Immunization>());
        Assert.Equal("88", immunization.VaccineCode.Coding.Single().Code);
        Assert.Null(Assert.IsType<FhirDateTime>(immunization.Occurrence).Value);
        Assert.All(result.Resources, r => FhirJson.Parse(FhirJson.Serialize(r)));
        var notConverted = result.Report.NotConverted.Where(n => n.Section == "Immunizations").ToList();
        Assert.Equal(2, notConverted.Count);
        Assert.Contains(notConverted, n => n.Reason.Contains("is a nullFlavor", StringComparison.Ordinal));
        Assert.Contains(notConverted, n => n.Reason.Contains("names no vaccine", StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_UnsupportedSection_ReportsEachEntryWithItsXPath()
    {
        var entries = """
            <entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.60"/><id root="p1"/><code code="48768-6" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/></act></entry>
            <entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.60"/><id root="p2"/><code code="48768-6" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/></act></entry>
            """;
        var result = ConvertXml(MiniCda.Document(MiniCda.Section("2.16.840.1.113883.10.20.22.2.18", "48768-6", "Payers", entries)));

        var section = Assert.Single(result.Report.Sections);
        Assert.Equal("Unsupported", section.Kind);
        Assert.Equal(2, section.NotConverted);
        Assert.Equal(
            ["/ClinicalDocument/component/structuredBody/component/section/entry[1]", "/ClinicalDocument/component/structuredBody/component/section/entry[2]"],
            result.Report.NotConverted.Select(n => n.XPath));
    }

    [Fact]
    public void Convert_OriginalTextReference_ResolvesIntoTheNarrative()
    {
        var entry = """
            <entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.3"/><id root="c1"/><code code="CONC" codeSystem="2.16.840.1.113883.5.6"/><statusCode code="active"/>
              <entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.4"/><id root="o1"/>
                <code code="55607006" codeSystem="2.16.840.1.113883.6.96"/><statusCode code="completed"/><effectiveTime><low value="20190304"/></effectiveTime>
                <value xsi:type="CD" nullFlavor="OTH"><originalText><reference value="#prob1"/></originalText>
                  <translation code="J45.909" codeSystem="2.16.840.1.113883.6.90" displayName="Unspecified asthma"/></value>
              </observation></entryRelationship></act></entry>
            """;
        var result = ConvertXml(MiniCda.Document(MiniCda.Section("2.16.840.1.113883.10.20.22.2.5.1", "11450-4", "<list><item><content ID=\"prob1\">Asthma,   mild\n intermittent</content></item></list>", entry)));

        var condition = Assert.Single(result.Resources.OfType<Condition>());
        Assert.Equal("Asthma, mild intermittent", condition.Code!.Text);
        Assert.Equal(("http://hl7.org/fhir/sid/icd-10-cm", "J45.909"), (condition.Code.Coding.Single().System, condition.Code.Coding.Single().Code));
        Assert.Equal("2019-03-04", Assert.IsType<FhirDateTime>(condition.Onset).Value);
        Assert.Equal("active", condition.ClinicalStatus!.Coding.Single().Code);
    }

    [Theory]
    [InlineData("20240102103000-0500", null, "2024-01-02T10:30:00-05:00", false)]
    [InlineData("20240102103000.123+0100", null, "2024-01-02T10:30:00.123+01:00", false)]
    [InlineData("202401021030", null, "2024-01-02", true)]
    [InlineData("202401021030", 2, "2024-01-02T10:30:00+02:00", false)]
    [InlineData("2024", null, "2024", false)]
    [InlineData("202401", null, "2024-01", false)]
    public void Convert_DocumentTime_KeepsPrecisionAndZone(string ts, int? assumedHours, string expected, bool warns)
    {
        var options = new CcdaOptions { AssumedTimeZone = assumedHours is { } h ? TimeSpan.FromHours(h) : null };
        var result = ConvertXml(MiniCda.Document("", effectiveTime: ts), options);

        var composition = Assert.Single(result.Resources.OfType<Composition>());
        Assert.Equal(expected, composition.Date);
        Assert.Equal(warns, result.Report.Warnings.Any(w => w.Message.Contains("no time zone", StringComparison.Ordinal)));
    }

    [Fact]
    public void Convert_PlaceholderDate_IsDataAbsentNotYearOne()
    {
        var result = ConvertXml(MiniCda.Document("", effectiveTime: "00010101000000"));

        var composition = Assert.Single(result.Resources.OfType<Composition>());
        Assert.Null(composition.Date);
        Assert.Contains(composition.DateElement.Extension, e => e.Url == "http://hl7.org/fhir/StructureDefinition/data-absent-reason");
        Assert.Contains(result.Report.Warnings, w => w.Message.Contains("placeholder", StringComparison.Ordinal));
        FhirJson.Parse(FhirJson.Serialize(composition));
    }

    [Fact]
    public void Convert_ResultWithUnitsAndRange_MapsQuantityAndReferenceRange()
    {
        var entry = """
            <entry><organizer classCode="BATTERY" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.1"/><id root="r1"/>
              <code code="24357-6" codeSystem="2.16.840.1.113883.6.1" displayName="Urinalysis panel"/><statusCode code="completed"/><effectiveTime value="20230405"/>
              <component><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.2"/><id root="r1o1"/>
                <code code="718-7" codeSystem="2.16.840.1.113883.6.1" displayName="Hemoglobin"/><statusCode code="completed"/><effectiveTime value="20230405"/>
                <value xsi:type="PQ" value="13.2" unit="g/dL"/>
                <interpretationCode code="N" codeSystem="2.16.840.1.113883.5.83"/>
                <referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="12" unit="g/dL"/><high value="16" unit="g/dL"/></value></observationRange></referenceRange>
              </observation></component></organizer></entry>
            """;
        var result = ConvertXml(MiniCda.Document(MiniCda.Section("2.16.840.1.113883.10.20.22.2.3.1", "30954-2", "Results", entry)));

        var report = Assert.Single(result.Resources.OfType<DiagnosticReport>());
        var observation = Assert.Single(result.Resources.OfType<Observation>());
        Assert.Equal("Observation/" + observation.Id, report.Result.Single().Reference);
        var quantity = Assert.IsType<Quantity>(observation.Value);
        Assert.Equal((13.2m, "http://unitsofmeasure.org", "g/dL"), (quantity.Value!.Value, quantity.System, quantity.Code));
        Assert.Equal(12m, observation.ReferenceRange.Single().Low!.Value);
        Assert.Equal(16m, observation.ReferenceRange.Single().High!.Value);
        Assert.Equal("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", observation.Interpretation.Single().Coding.Single().System);
    }

    [Fact]
    public void Convert_RelatedDocument_BecomesRelatesTo()
    {
        var xml = MiniCda.Document("").Replace("<component><structuredBody>", """
            <relatedDocument typeCode="RPLC"><parentDocument><id root="2.16.840.1.113883.19.5.99999.1" extension="mini-0"/></parentDocument></relatedDocument>
            <component><structuredBody>
            """, StringComparison.Ordinal);
        var result = ConvertXml(xml);

        var reference = Assert.Single(result.Resources.OfType<DocumentReference>());
        var relates = Assert.Single(reference.RelatesTo);
        Assert.Equal(DocumentRelationshipType.Replaces, relates.Code);
        Assert.Equal("mini-0", relates.Target!.Identifier!.Value);
    }

    [Fact]
    public void Convert_NotACdaDocument_ThrowsUnsupportedFormat()
    {
        var ex = Assert.Throws<SourceReadException>(() => new CcdaConverter().Convert(MiniCda.Bytes("<Bundle xmlns=\"http://hl7.org/fhir\"/>"), "x.xml"));

        Assert.Equal(HealthRecordErrorCode.UnsupportedFormat, ex.Code);
    }

    [Fact]
    public void Convert_MalformedXml_ThrowsMalformedContentWithLine()
    {
        var ex = Assert.Throws<SourceReadException>(() => new CcdaConverter().Convert(MiniCda.Bytes("<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n<title>x</titel>"), "x.xml"));

        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
        Assert.Contains("line 2", ex.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void LooksLikeCcda_DetectsFromContent()
    {
        Assert.True(CcdaConverter.LooksLikeCcda(File.ReadAllBytes(Corpus.Fixture("ccda/HL7_CCD.xml")).AsSpan(0, 4096)));
        Assert.True(CcdaConverter.LooksLikeCcda("<?xml version=\"1.0\"?><!-- c --><cda:ClinicalDocument xmlns:cda=\"urn:hl7-org:v3\">"u8));
        Assert.False(CcdaConverter.LooksLikeCcda("{\"resourceType\":\"Bundle\"}"u8));
        Assert.False(CcdaConverter.LooksLikeCcda("<ClinicalDocument xmlns=\"urn:other\">"u8));
        Assert.False(CcdaConverter.LooksLikeCcda("<Bundle xmlns=\"http://hl7.org/fhir\"><x>urn:hl7-org:v3 ClinicalDocument</x>"u8));
    }

    [Fact]
    public void LooksLikeCcda_GeneratedHeads_AgreesWithTheDecodedStringRule()
    {
        string[] pieces =
        [
            "<?xml version=\"1.0\"?>", "<!-- a comment -->", "<!-- <ClinicalDocument> -->", "<!DOCTYPE x>", "<?pi x?>", "<ClinicalDocument", "<cda:ClinicalDocument",
            "<x:ClinicalDocumentX", ":ClinicalDocument", "<ClinicalDocument/>", " xmlns=\"urn:hl7-org:v3\"", "urn:hl7-org:v", ">", "<", "<!--", "-->", " ", "\t",
            "\u00a0", "\u0085", "{\"resourceType\":\"Bundle\"}", "MSH|^~\\&|", "<Bundle>", "\u00e9", "\u4e2d",
        ];
        var gen = Gen.Select(Gen.Int[0, pieces.Length - 1].Array[0, 10], Gen.Int[0, 2]);
        gen.Sample((parts, encoding) =>
        {
            var text = string.Concat(parts.Select(p => pieces[p]));
            byte[] head = encoding switch
            {
                0 => System.Text.Encoding.UTF8.GetBytes(text),
                1 => [0xFF, 0xFE, .. System.Text.Encoding.Unicode.GetBytes(text)],
                _ => [0xFE, 0xFF, .. System.Text.Encoding.BigEndianUnicode.GetBytes(text)],
            };
            var decoded = encoding switch
            {
                0 => System.Text.Encoding.Latin1.GetString(head),
                1 => System.Text.Encoding.Unicode.GetString(head.AsSpan(2)),
                _ => System.Text.Encoding.BigEndianUnicode.GetString(head.AsSpan(2)),
            };

            Assert.Equal(DecodedRule(decoded), CcdaConverter.LooksLikeCcda(head));
        }, iter: 2000);
    }

    // The sniffing rule on decoded text, as the converter applied it by decoding every head to a string.
    private static bool DecodedRule(string text)
    {
        string? root = null;
        var i = 0;
        while (i < text.Length)
        {
            var lt = text.IndexOf('<', i);
            if (lt < 0 || lt + 1 >= text.Length)
            {
                break;
            }

            if (text[lt + 1] is '?' or '!')
            {
                var end = text[lt + 1] == '!' && text.AsSpan(lt).StartsWith("<!--") ? text.IndexOf("-->", lt, StringComparison.Ordinal) : text.IndexOf('>', lt);
                if (end < 0)
                {
                    break;
                }

                i = end + 1;
                continue;
            }

            var nameEnd = lt + 1;
            while (nameEnd < text.Length && !char.IsWhiteSpace(text[nameEnd]) && text[nameEnd] is not ('>' or '/'))
            {
                nameEnd++;
            }

            root = text[(lt + 1)..nameEnd];
            break;
        }

        return root is not null && (root == "ClinicalDocument" || root.EndsWith(":ClinicalDocument", StringComparison.Ordinal)) && text.Contains("urn:hl7-org:v3", StringComparison.Ordinal);
    }
}
