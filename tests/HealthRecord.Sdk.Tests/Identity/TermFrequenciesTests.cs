using HealthRecord.Sdk.Identity;

namespace HealthRecord.Sdk.Tests.Identity;

public class TermFrequenciesTests
{
    [Fact]
    public void Adjust_RareSurnameWeighsMoreThanCommonSurname()
    {
        // 1,000 records: 200 Smiths, one pair of Pantazopoulos, the rest unique surnames.
        var features = new List<PatientFeatures>();
        for (var i = 0; i < 1000; i++)
        {
            var family = i < 200 ? "Smith" : i < 202 ? "Pantazopoulos" : "Name" + (char)('a' + (i % 26)) + (char)('a' + (i / 26 % 26)) + (char)('a' + (i / 676));
            features.Add(PatientFeatures.From($"s:Patient/{i}", PatientBuilder.Candidate("s", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "X" + i, family, null).Patient, null));
        }

        var frequencies = TermFrequencies.Count(features);
        var model = MatchModel.Default;
        var familyExact = FieldSpec.Set(FieldSpec.AllMissing, (int)MatchField.FamilyName, 0);

        var common = frequencies.Adjust(features[0], features[1], familyExact, model);
        var rare = frequencies.Adjust(features[200], features[201], familyExact, model);

        // log2(u / tf): u(exact) = 0.002; Smith tf = 0.2 (log2 0.01 = -6.6, bounded at -5), Pantazopoulos tf = 0.002.
        Assert.Equal(-TermFrequencies.MaximumAdjustment, common, 6);
        Assert.Equal(Math.Log2(model.U[(int)MatchField.FamilyName][0] / 0.002), rare, 6);
        Assert.True(rare > common);
        // Only exact agreement is adjusted, and the adjustment is bounded.
        Assert.Equal(0, frequencies.Adjust(features[0], features[1], FieldSpec.Set(FieldSpec.AllMissing, (int)MatchField.FamilyName, 1), model));
        Assert.InRange(common, -TermFrequencies.MaximumAdjustment, TermFrequencies.MaximumAdjustment);
    }
}
