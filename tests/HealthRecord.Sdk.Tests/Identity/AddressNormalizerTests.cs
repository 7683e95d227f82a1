using HealthRecord.Sdk.Identity;

namespace HealthRecord.Sdk.Tests.Identity;

public class AddressNormalizerTests
{
    [Theory]
    [InlineData("42 Maple Street Apt 3", "42 maple st unit 3")]
    [InlineData("42 Maple St., Unit 3", "42 maple st unit 3")]
    [InlineData("42 MAPLE ST #3", "42 maple st unit 3")]
    [InlineData("42 Maple Street Apt3", "42 maple st unit 3")]
    [InlineData("1600 North Avenue Suite 200", "1600 n ave unit 200")]
    [InlineData("7 pridhamstreet", "7 pridham st")]
    [InlineData("12 O'Rourke Crescent", "12 orourke cres")]
    public void Normalize_Variants_SameLine(string line, string expected) => Assert.Equal(expected, AddressNormalizer.Normalize(line));
}
