using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Terminology;

public class UcumQuantitiesTests
{
    private static Quantity Q(decimal value, string code) => new() { Value = value, Code = code, System = CodeSystems.Ucum, Unit = code };

    [Theory]
    [InlineData(70, "kg", 154.3, "[lb_av]")]
    [InlineData(98.6, "[degF]", 37, "Cel")]
    [InlineData(1.2, "g/L", 120, "mg/dL")]
    [InlineData(176.2, "cm", 69.4, "[in_i]")]
    [InlineData(5, "mmol/L", 5000, "umol/L")]
    public void AreEqual_CommensurableUnits_SameAmount(double a, string ua, double b, string ub) =>
        Assert.True(UcumQuantities.AreEqual(Q((decimal)a, ua), Q((decimal)b, ub), 0.003));

    [Theory]
    [InlineData(70, "kg", 71, "kg")]
    [InlineData(98.6, "[degF]", 38, "Cel")]
    [InlineData(98.6, "[degF]", 98.8, "[degF]")]
    [InlineData(120, "mg/dL", 120, "mmol/L")]
    [InlineData(70, "kg", 70, "cm")]
    public void AreEqual_DifferentAmountsOrDimensions_NotEqual(double a, string ua, double b, string ub) =>
        Assert.False(UcumQuantities.AreEqual(Q((decimal)a, ua), Q((decimal)b, ub), 0.003));

    [Fact]
    public void AreEqual_CommonNonUcumSpellings_AreRead() =>
        Assert.True(UcumQuantities.AreEqual(new Quantity { Value = 154.3m, Unit = "lbs" }, new Quantity { Value = 70m, Unit = "kg" }, 0.003));

    [Fact]
    public void TryCanonicalize_UnknownUnit_IsFalse() =>
        Assert.False(UcumQuantities.TryCanonicalize(Q(3, "[not-a-unit]"), out _));
}
