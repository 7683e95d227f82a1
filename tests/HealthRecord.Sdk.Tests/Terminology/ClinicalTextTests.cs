using System.Globalization;
using System.Text;
using CsCheck;
using HealthRecord.Sdk.Terminology;

namespace HealthRecord.Sdk.Tests.Terminology;

public sealed class ClinicalTextTests
{
    [Theory]
    [InlineData("Hypertension, essential", "essential hypertension")]
    [InlineData("  Body   Weight ", "body weight")]
    [InlineData("Weight weight WEIGHT", "weight")]
    [InlineData("Hämoglobin A1c", "a1c hamoglobin")]
    [InlineData("Streptococcal sore throat (disorder)", "disorder sore streptococcal throat")]
    [InlineData("x", "x")]
    public void NormalisesCasePunctuationSpacingAndWordOrder(string text, string expected) => Assert.Equal(expected, ClinicalText.Normalize(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \t")]
    [InlineData("--,;")]
    public void GivesNullWhenNoWordIsLeft(string? text) => Assert.Null(ClinicalText.Normalize(text));

    [Fact]
    public void AgreesWithTheWordListDefinition_OnRandomText() =>
        Gen.String[Gen.Char["aAbB zZ,é-1ßİ\u00a0."], 0, 40].Sample(text => Assert.Equal(Reference(text), ClinicalText.Normalize(text)), iter: 20_000);

    [Fact]
    public void HandlesLongText()
    {
        var text = string.Join(' ', Enumerable.Range(0, 2000).Select(i => "w" + (i % 700)));
        var normalized = ClinicalText.Normalize(text)!;
        Assert.Equal(700, normalized.Split(' ').Length);
        Assert.Equal(Reference(text), normalized);
    }

    // The definition: lower-case words of letters and digits (after compatibility decomposition, accents dropped), sorted, distinct, joined by one space.
    private static string? Reference(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var source = Ascii.IsValid(text) ? text : text.Normalize(NormalizationForm.FormKD);
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in source)
        {
            if (char.IsLetterOrDigit(ch))
            {
                current.Append(char.ToLowerInvariant(ch));
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words.Count == 0 ? null : string.Join(' ', words.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
    }
}
