using HealthRecord.Sdk.Identity;

namespace HealthRecord.Sdk.Tests.Identity;

public class ProbabilisticPatientMatcherOptionsValidatorTests
{
    private readonly ProbabilisticPatientMatcherOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Valid() => Assert.True(_validator.Validate(new ProbabilisticPatientMatcherOptions()).IsValid);

    [Fact]
    public void Validate_BadValues_ReportsEveryError()
    {
        var result = _validator.Validate(new ProbabilisticPatientMatcherOptions
        {
            MatchThreshold = double.NaN,
            PossibleThreshold = 20,
            ConflictThreshold = 30,
            MinimumPairsForEstimation = 5,
            MaximumEstimationIterations = 0,
            MaximumBlockSize = 1,
        });

        Assert.Equal(
            ["ConflictThreshold", "MatchThreshold", "MaximumBlockSize", "MaximumEstimationIterations", "MinimumPairsForEstimation", "PossibleThreshold"],
            result.Errors.Select(e => e.PropertyName).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_PossibleAboveMatch_Invalid() =>
        Assert.Contains(_validator.Validate(new ProbabilisticPatientMatcherOptions { MatchThreshold = 5, PossibleThreshold = 6 }).Errors, e => e.PropertyName == "PossibleThreshold");
}
