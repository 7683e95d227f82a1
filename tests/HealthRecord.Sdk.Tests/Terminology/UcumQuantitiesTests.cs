using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Terminology;

public class UcumQuantitiesTests
{
    private static Quantity Q(decimal value, string code) => new() { Value = value, Code = code, System = CodeSystems.Ucum, Unit = code };

    private static Quantity Q(string value, string code) => Q(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture), code);

    [Theory]
    [InlineData("1.0746", "mg/dL", "0.0107", "g/L")]   // the second is the first rounded to 3 significant digits
    [InlineData("70", "kg", "154.3", "[lb_av]")]
    [InlineData("98.6", "[degF]", "37", "Cel")]
    [InlineData("99.1", "[degF]", "37.3", "Cel")]      // 37.25 Cel written in two scales
    [InlineData("82.47", "kg", "181.82", "[lb_av]")]
    [InlineData("5.40", "mmol/L", "5400", "umol/L")]
    public void AreEqual_SameAmountAtTheLessPreciseValuesPrecision_Equal(string a, string ua, string b, string ub)
    {
        Assert.True(UcumQuantities.AreEqual(Q(a, ua), Q(b, ub), 0));
        Assert.True(UcumQuantities.AreEqual(Q(b, ub), Q(a, ua), 0));
    }

    [Theory]
    [InlineData("24321.98", "umol/L", "24.39", "mmol/L")]  // 0.3 % apart: 24.32 mmol/L at the second's precision
    [InlineData("120", "mm[Hg]", "121", "mm[Hg]")]        // the same precision: equal only when identical
    [InlineData("5.4", "mmol/L", "5.5", "mmol/L")]
    [InlineData("1.0746", "mg/dL", "0.0108", "g/L")]
    [InlineData("37", "Cel", "99.7", "[degF]")]           // 37.6 Cel: 38 at the first value's precision
    public void AreEqual_DifferentAtTheLessPreciseValuesPrecision_NotEqual(string a, string ua, string b, string ub)
    {
        Assert.False(UcumQuantities.AreEqual(Q(a, ua), Q(b, ub), 0));
        Assert.False(UcumQuantities.AreEqual(Q(b, ub), Q(a, ua), 0));
    }

    [Theory]
    [InlineData("140.51", "mmol/L", "140500", "umol/L")]  // 4 significant digits after conversion: the zeros are rounding
    [InlineData("4.1", "mmol/L", "4100", "umol/L")]
    public void AreEqual_IntegerWithTrailingZerosInAnotherUnit_ComparedAtItsSignificantDigits(string a, string ua, string b, string ub)
    {
        Assert.True(UcumQuantities.AreEqual(Q(a, ua), Q(b, ub), 0));
        Assert.True(UcumQuantities.AreEqual(Q(b, ub), Q(a, ua), 0));
    }

    [Theory]
    [InlineData("120", "mm[Hg]", "130", "mm[Hg]")]    // one unit: every written digit counts, zeros too
    [InlineData("200", "mg/dL", "2.04", "g/L")]        // three digits or fewer: the zeros are written precision
    [InlineData("140.51", "mmol/L", "140700", "umol/L")]
    [InlineData("24321.98", "umol/L", "24390", "umol/L")]
    public void AreEqual_TrailingZerosInOneUnitOrBeyondTheRounding_NotEqual(string a, string ua, string b, string ub)
    {
        Assert.False(UcumQuantities.AreEqual(Q(a, ua), Q(b, ub), 0));
    }

    [Fact]
    public void AreEqual_MassAndSubstanceConcentrationWithTheAnalytesMolarMass_Equal()
    {
        // Cholesterol 200 mg/dL = 5.17 mmol/L (386.65 g/mol); without the molar mass the dimensions differ.
        Assert.True(UcumQuantities.AreEqual(Q("200", "mg/dL"), Q("5.17", "mmol/L"), 0, 386.65m));
        Assert.False(UcumQuantities.AreEqual(Q("200", "mg/dL"), Q("5.30", "mmol/L"), 0, 386.65m));
        Assert.False(UcumQuantities.AreEqual(Q("200", "mg/dL"), Q("5.17", "mmol/L"), 0));
    }

    [Fact]
    public void TryCanonicalize_Value_CarriesItsWrittenPrecision()
    {
        Assert.True(UcumQuantities.TryCanonicalize(Q("0.0107", "g/L"), out var c));
        Assert.Equal(0.1m, c.Resolution);   // 0.0001 g/L = 0.1 g.m-3
    }

    [Theory]
    [InlineData(70, "kg", 154.3, "[lb_av]")]
    [InlineData(98.6, "[degF]", 37, "Cel")]
    [InlineData(1.2, "g/L", 120, "mg/dL")]
    [InlineData(176.2, "cm", 69.4, "[in_i]")]
    [InlineData(5, "mmol/L", 5000, "umol/L")]
    public void AreEqual_CommensurableUnits_SameAmount(double a, string ua, double b, string ub) =>
        Assert.True(UcumQuantities.AreEqual(Q((decimal)a, ua), Q((decimal)b, ub), 0));

    [Theory]
    [InlineData(70, "kg", 71, "kg")]
    [InlineData(98.6, "[degF]", 38, "Cel")]
    [InlineData(98.6, "[degF]", 98.8, "[degF]")]
    [InlineData(120, "mg/dL", 120, "mmol/L")]
    [InlineData(70, "kg", 70, "cm")]
    public void AreEqual_DifferentAmountsOrDimensions_NotEqual(double a, string ua, double b, string ub) =>
        Assert.False(UcumQuantities.AreEqual(Q((decimal)a, ua), Q((decimal)b, ub), 0));

    [Fact]
    public void AreEqual_CommonNonUcumSpellings_AreRead() =>
        Assert.True(UcumQuantities.AreEqual(new Quantity { Value = 154.3m, Unit = "lbs" }, new Quantity { Value = 70m, Unit = "kg" }, 0.003));

    [Fact]
    public void TryCanonicalize_UnknownUnit_IsFalse() =>
        Assert.False(UcumQuantities.TryCanonicalize(Q(3, "[not-a-unit]"), out _));
}
