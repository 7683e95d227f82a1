using CsCheck;
using HealthRecord.Sdk.Identity;

namespace HealthRecord.Sdk.Tests.Identity;

public class PhoneticKeysTests
{
    [Theory]
    [InlineData("Robert", "R163")]
    [InlineData("Rupert", "R163")]
    [InlineData("Ashcraft", "A261")]
    [InlineData("Tymczak", "T522")]
    [InlineData("Pfister", "P236")]
    [InlineData("Honeyman", "H555")]
    [InlineData("O'Connell", "O254")]
    [InlineData("Lee", "L000")]
    public void Soundex_KnownNames_StandardCodes(string name, string expected) => Assert.Equal(expected, PhoneticKeys.Soundex(name));

    [Theory]
    [InlineData("Macintosh", "MCANT")]
    [InlineData("Knuth", "NAT")]
    [InlineData("Williams", "WALAN")]
    [InlineData("Brown", "BRAN")]
    public void Nysiis_KnownNames_StandardCodes(string name, string expected) => Assert.Equal(expected, PhoneticKeys.Nysiis(name));

    [Theory]
    [InlineData("Smith", "Smyth")]
    [InlineData("Meyer", "Meier")]
    [InlineData("Johnson", "Jonson")]
    public void Soundex_SpellingVariants_Agree(string a, string b) => Assert.Equal(PhoneticKeys.Soundex(a), PhoneticKeys.Soundex(b));

    [Theory]
    [InlineData("Johnson", "Jonson")]
    [InlineData("Phillips", "Philips")]
    [InlineData("Knight", "Night")]
    public void Nysiis_SpellingVariants_Agree(string a, string b) => Assert.Equal(PhoneticKeys.Nysiis(a), PhoneticKeys.Nysiis(b));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("123 -'")]
    public void Keys_NoLetters_Empty(string? name)
    {
        Assert.Equal("", PhoneticKeys.Soundex(name));
        Assert.Equal("", PhoneticKeys.Nysiis(name));
    }

    [Fact]
    public void Keys_AnyText_WellFormed() =>
        Gen.String.Sample(s =>
        {
            var soundex = PhoneticKeys.Soundex(s);
            var nysiis = PhoneticKeys.Nysiis(s);
            return (soundex.Length == 0 || (soundex.Length == 4 && char.IsUpper(soundex[0]) && soundex[1..].All(char.IsAsciiDigit)))
                && nysiis.Length <= 6;
        });
}
