using HealthRecord.Sdk.Ccda;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda.Tests;

/// <summary>Entry-level conversions checked on real documents of the corpus.</summary>
public class CcdaCorpusEntryTests
{
    private static CcdaConversionResult Convert(string relative)
    {
        using var stream = File.OpenRead(Corpus.PathOf(Path.Combine("ccda", relative)));
        return new CcdaConverter().Convert(stream, relative);
    }

    [CorpusFact]
    public void Convert_ViteraPrescriptionsWithCodedIndications_CarryThemAsReasonCode()
    {
        var result = Convert("Vitera/Vitera_CCDA_SMART_Sample.xml");

        var prescriptions = result.Resources.Where(r => r is MedicationRequest or MedicationStatement).ToList();
        var reasons = prescriptions.Select(r => r is MedicationRequest m ? m.ReasonCode : ((MedicationStatement)r).ReasonCode).ToList();
        // Counted on the raw XML: every medication activity with an RSON relationship (14 in this document).
        System.Xml.Linq.XNamespace v3 = "urn:hl7-org:v3";
        var withReason = System.Xml.Linq.XDocument.Load(Corpus.PathOf("ccda/Vitera/Vitera_CCDA_SMART_Sample.xml")).Descendants(v3 + "substanceAdministration")
            .Count(sa => sa.Elements(v3 + "entryRelationship").Any(er => (string?)er.Attribute("typeCode") == "RSON"));
        Assert.Equal(14, withReason);
        Assert.Equal(withReason, reasons.Count(r => r.Count > 0));
        var migraine = reasons.SelectMany(r => r).Where(c => c.Coding.Any(x => x.System == "http://hl7.org/fhir/sid/icd-9-cm" && x.Code == "346.9")).ToList();
        Assert.NotEmpty(migraine);
        Assert.All(reasons.SelectMany(r => r), c => Assert.DoesNotContain(c.Coding, x => x.Code == "55607006")); // the generic "Problem" coding names no reason
    }

    [CorpusTheory]
    [InlineData("HL7-C-CDA-Examples/Progress_Note.xml")]
    [InlineData("HL7-C-CDA-Examples/Referral_Note.xml")]
    public void Convert_SeverityObservationBesideTheAllergy_GoesToTheAllergyNeverToAPhantomAllergy(string relative)
    {
        var result = Convert(relative);

        var allergies = result.Resources.OfType<AllergyIntolerance>().ToList();
        Assert.NotEmpty(allergies);
        Assert.All(allergies, a => Assert.True(a.Code is { } c && (c.Coding.Count > 0 || c.Text is not null), "every AllergyIntolerance names its substance"));
        Assert.Contains(allergies, a => a.Reaction.Any(r => r.Severity is not null) || a.Criticality is not null);
    }

    [CorpusFact]
    public void Convert_WholeCorpus_NoClinicalResourceWithoutAConcept()
    {
        foreach (var file in Directory.EnumerateFiles(Corpus.PathOf("ccda"), "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            var result = new CcdaConverter().Convert(stream, file);
            foreach (var allergy in result.Resources.OfType<AllergyIntolerance>())
            {
                Assert.True(allergy.Code is { } c && (c.Coding.Count > 0 || !string.IsNullOrWhiteSpace(c.Text)), $"{Path.GetFileName(file)}: AllergyIntolerance/{allergy.Id} has no substance");
            }

            foreach (var immunization in result.Resources.OfType<Immunization>())
            {
                Assert.DoesNotContain(immunization.VaccineCode.Coding, c => c.System == CodeSystems.DataAbsentReason);
            }

            foreach (var condition in result.Resources.OfType<Condition>())
            {
                Assert.True(condition.Code is { } c && (c.Coding.Count > 0 || !string.IsNullOrWhiteSpace(c.Text)), $"{Path.GetFileName(file)}: Condition/{condition.Id} has no code");
            }
        }
    }
}
