using HealthRecord.Sdk.Identity;

namespace HealthRecord.Sdk.Tests.Identity;

public class NicknameTableTests
{
    [Theory]
    [InlineData("William", "Bill")]
    [InlineData("bill", "WILLIAM")]
    [InlineData("Margaret", "Peggy")]
    [InlineData("Elizabeth", "Beth")]
    [InlineData("Antonio", "Tony")]
    [InlineData("Robert", "Bob")]
    [InlineData("Zoë", "Zoe")]
    public void AreEquivalent_Nicknames_True(string a, string b) => Assert.True(NicknameTable.Default.AreEquivalent(a, b));

    [Theory]
    [InlineData("William", "Thomas")]
    [InlineData("Isabella", "Myra")]
    [InlineData("", "")]
    public void AreEquivalent_DifferentNames_False(string a, string b) => Assert.False(NicknameTable.Default.AreEquivalent(a, b));

    [Fact]
    public void Default_EmbeddedTable_Loaded() => Assert.InRange(NicknameTable.Default.Count, 1_500, 3_000);

    [Fact]
    public void Constructor_CustomGroups_SymmetricAndManyToMany()
    {
        var table = new NicknameTable([["antoinette", "tony"], ["anthony", "tony"]]);

        Assert.True(table.AreEquivalent("Tony", "Anthony"));
        Assert.True(table.AreEquivalent("Antoinette", "Tony"));
        Assert.False(table.AreEquivalent("Antoinette", "Anthony"));
    }
}
