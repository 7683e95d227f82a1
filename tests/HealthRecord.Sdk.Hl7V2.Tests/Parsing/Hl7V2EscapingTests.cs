using CsCheck;
using HealthRecord.Sdk.Hl7V2.Parsing;

namespace HealthRecord.Sdk.Hl7V2.Tests.Parsing;

public class Hl7V2EscapingTests
{
    private static readonly Hl7V2Delimiters D = Hl7V2Delimiters.Default;

    [Theory]
    [InlineData("a\\F\\b", "a|b")]
    [InlineData("a\\S\\b", "a^b")]
    [InlineData("a\\T\\b", "a&b")]
    [InlineData("a\\R\\b", "a~b")]
    [InlineData("a\\E\\b", "a\\b")]
    [InlineData("line1\\.br\\line2", "line1\nline2")]
    [InlineData("a\\.sp 2\\b", "a\n\nb")]
    [InlineData("a\\.sk 3\\b", "a   b")]
    [InlineData("\\.in+4\\a\\.fi\\", "a")]
    [InlineData("\\H\\bold\\N\\", "bold")]
    [InlineData("\\X0D0A\\", "\r\n")]
    [InlineData("caf\\XC3A9\\", "café")]
    [InlineData("\\XE9\\", "é")]
    [InlineData("\\C2842\\abc", "abc")]
    [InlineData("no escape", "no escape")]
    [InlineData("\\X2222\\", "\"\"")]
    [InlineData("trailing \\", "trailing \\")]
    [InlineData("unknown \\Q\\ kept", "unknown \\Q\\ kept")]
    public void Unescape_Sequence_GivesText(string raw, string expected)
    {
        Assert.Equal(expected, Hl7V2Escaping.Unescape(raw, D));
    }

    [Fact]
    public void Escape_Delimiters_AreEscaped()
    {
        Assert.Equal("A\\T\\E \\F\\ x\\S\\y \\R\\ \\E\\ \\.br\\\\X0D\\", Hl7V2Escaping.Escape("A&E | x^y ~ \\ \n\r", D));
    }

    [Fact]
    public void Escape_ThenUnescape_GivesInputBack_Property()
    {
        var delimiters = Gen.OneOf(D, new Hl7V2Delimiters('#', '*', '@', '!', '%'), new Hl7V2Delimiters('|', '^', '~', '\\', '&', '#'));
        Gen.Select(Gen.String[Gen.Char[(char)0, (char)0x2FF], 0, 60], delimiters).Sample((text, d) =>
        {
            var escaped = Hl7V2Escaping.Escape(text, d);
            Assert.DoesNotContain(d.Field, escaped);
            Assert.DoesNotContain(d.Component, escaped);
            Assert.DoesNotContain('\r', escaped);
            Assert.Equal(text, Hl7V2Escaping.Unescape(escaped, d));
        }, iter: 2000);
    }
}
