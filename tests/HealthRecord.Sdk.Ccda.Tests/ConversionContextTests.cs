using System.Text.RegularExpressions;
using System.Xml.Linq;
using CsCheck;
using HealthRecord.Sdk.Ccda;

namespace HealthRecord.Sdk.Ccda.Tests;

public partial class ConversionContextTests
{
    // The FHIR R4 dateTime regular expression (from the specification's datatype definition).
    [GeneratedRegex(@"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$")]
    private static partial Regex FhirDateTime();

    private static ConversionContext Context(CcdaOptions? options = null) =>
        new(new XDocument(new XElement(Cda.V3 + "ClinicalDocument")), options ?? new CcdaOptions(), "doc");

    private static XElement Ts(string value) => new(Cda.V3 + "effectiveTime", new XAttribute("value", value));

    [Fact]
    public void DateTimeString_AnyInput_IsNullOrAValidFhirDateTime()
    {
        var context = Context(new CcdaOptions { AssumedTimeZone = TimeSpan.FromHours(-7) });
        var zone = Gen.OneOf(Gen.Const(""), Gen.Const("Z"), Gen.Select(Gen.OneOf(Gen.Const('+'), Gen.Const('-')), Gen.Int[0, 9999]).Select((s, n) => s + n.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)));
        var digits = Gen.Int[0, 16].SelectMany(n => Gen.Char["0123456789"].Array[n, n]).Select(a => new string(a));
        var fraction = Gen.OneOf(Gen.Const(""), Gen.Int[0, 999].Select(i => "." + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Gen.Select(digits, fraction, zone).Sample((d, f, z) =>
        {
            var result = context.DateTimeString(Ts(d + f + z));
            Assert.True(result is null || FhirDateTime().IsMatch(result), $"'{d}{f}{z}' gave '{result}'");
        }, iter: 2000);
    }

    [Theory]
    [InlineData("19470501", "1947-05-01")]
    [InlineData("20120806103000+0530", "2012-08-06T10:30:00+05:30")]
    [InlineData("201208061030-0000", "2012-08-06T10:30:00-00:00")]
    [InlineData("20121301", null)]
    [InlineData("20120230", null)]
    [InlineData("2012-08-06", null)]
    [InlineData("20120806103000+9900", "2012-08-06")]
    public void DateTimeString_KnownValues(string value, string? expected) => Assert.Equal(expected, Context().DateTimeString(Ts(value)));

    [Fact]
    public void Names_CallMeGiven_IsKeptAsANicknameBesideTheLegalName()
    {
        var name = new XElement(Cda.V3 + "name", new XAttribute("use", "L"),
            new XElement(Cda.V3 + "given", "Isabella"),
            new XElement(Cda.V3 + "given", new XAttribute("qualifier", "CL"), "Bella"),
            new XElement(Cda.V3 + "family", "Jones"));

        var names = Context().Names([name]);

        Assert.Equal(2, names.Count);
        Assert.Equal(Hl7.Fhir.Model.HumanName.NameUse.Official, names[0].Use);
        Assert.Equal(["Isabella"], names[0].Given);
        Assert.Equal(Hl7.Fhir.Model.HumanName.NameUse.Nickname, names[1].Use);
        Assert.Equal(["Bella"], names[1].Given);
        Assert.Equal("Jones", names[1].Family);
    }

    [Fact]
    public void Concept_NullFlavorWithTranslationAndOriginalText_KeepsBoth()
    {
        var cd = XElement.Parse("""
            <value xmlns="urn:hl7-org:v3" nullFlavor="OTH"><originalText>Seasonal allergies</originalText>
              <translation code="J30.2" codeSystem="2.16.840.1.113883.6.90"/><translation code="J30.2" codeSystem="2.16.840.1.113883.6.90"/></value>
            """);

        var concept = Context().Concept(cd)!;

        Assert.Equal("Seasonal allergies", concept.Text);
        Assert.Equal(("http://hl7.org/fhir/sid/icd-10-cm", "J30.2"), (concept.Coding.Single().System, concept.Coding.Single().Code));
    }

    [Theory]
    [InlineData("D1110", "2.16.840.1.113883.6.13", "HCPCS", "http://ada.org/cdt")]
    [InlineData("8480-6", "2.16.840.1.113883.6.1", "SNOMED CT", "http://loinc.org")]
    public void Coding_CodeSystemNameContradictsOid_KeepsTheOidsSystemAndWarns(string code, string oid, string name, string expectedSystem)
    {
        var context = Context();
        var cd = new XElement(Cda.V3 + "code", new XAttribute("code", code), new XAttribute("codeSystem", oid), new XAttribute("codeSystemName", name));

        var coding = context.Coding(cd)!;

        Assert.Equal(expectedSystem, coding.System);
        var warning = Assert.Single(context.Warnings);
        Assert.Contains($"codeSystemName '{name}' contradicts", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.16.840.1.113883.6.96", "SNOMED -CT")]
    [InlineData("2.16.840.1.113883.6.96", "SNOMED_CT")]
    [InlineData("2.16.840.1.113883.6.1", "LN")]
    [InlineData("2.16.840.1.113883.6.90", "ICD-10")]
    [InlineData("2.16.840.1.113883.6.3", "ICD10")]
    [InlineData("2.16.840.1.113883.3.26.1.1", "National Cancer Institute (NCI) Thesaurus")]
    [InlineData("2.16.840.1.113883.6.69", "ASC X12")]
    public void Coding_CodeSystemNameAgreesOrUnknown_NoWarning(string oid, string name)
    {
        var context = Context();

        context.Coding(new XElement(Cda.V3 + "code", new XAttribute("code", "1"), new XAttribute("codeSystem", oid), new XAttribute("codeSystemName", name)));

        Assert.Empty(context.Warnings);
    }

    [Theory]
    [InlineData("2.16.840.1.113883.3.26.1.1", "http://ncithesaurus-stage.nci.nih.gov")]
    [InlineData("2.16.840.1.113883.12.227", "http://hl7.org/fhir/sid/mvx")]
    public void Coding_Oid_MapsToTheTerminologyUri(string oid, string expected) =>
        Assert.Equal(expected, Context().Coding(new XElement(Cda.V3 + "code", new XAttribute("code", "C1"), new XAttribute("codeSystem", oid)))!.System);

    [Fact]
    public void Quantity_NonUcumUnit_IsCodedAndWarned()
    {
        var context = Context();
        var pq = XElement.Parse("<value xmlns=\"urn:hl7-org:v3\" value=\"120\" unit=\"mmHg\"/>");

        var quantity = context.QuantityOf(pq)!;

        Assert.Equal(("mmHg", "mm[Hg]", "http://unitsofmeasure.org"), (quantity.Unit, quantity.Code, quantity.System));
        Assert.Single(context.Warnings);
    }
}
