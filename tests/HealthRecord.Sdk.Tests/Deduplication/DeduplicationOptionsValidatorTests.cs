using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Deduplication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Tests.Deduplication;

public class DeduplicationOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_AreValid() =>
        Assert.True(new DeduplicationOptionsValidator().Validate(new DeduplicationOptions()).IsValid);

    [Fact]
    public void Validate_NegativeToleranceAndShortSpan_ReportsBoth()
    {
        var options = new DeduplicationOptions()
            .For("Observation", r => r.TimeTolerance = TimeSpan.FromHours(-1))
            .For("Condition", r => r.MaxClusterSpan = TimeSpan.FromHours(1));
        var result = new DeduplicationOptionsValidator().Validate(options);
        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("Rules[Observation].TimeTolerance", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("Rules[Condition].MaxClusterSpan", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(60 * 25)]
    public void Validate_SameActTimeToleranceOutsideZeroToOneDay_IsAnError(int minutes)
    {
        var result = new DeduplicationOptionsValidator().Validate(new DeduplicationOptions { SameActTimeTolerance = TimeSpan.FromMinutes(minutes) });
        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("SameActTimeTolerance", StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_CompareValuesAtTheirWrittenPrecisionAndSameActsWithinTenMinutes()
    {
        var options = new DeduplicationOptions();
        Assert.Equal(0, options.QuantityRelativeTolerance);
        Assert.Equal(TimeSpan.FromMinutes(10), options.SameActTimeTolerance);
        Assert.False(options.MergeWithinSource);
    }

    [Fact]
    public void For_UnknownType_Throws() =>
        Assert.Throws<ArgumentException>(() => new DeduplicationOptions().For("Claim", _ => { }));

    [Fact]
    public void ConfigureDeduplication_InvalidOptions_FailOnFirstUse()
    {
        using var sp = new ServiceCollection().AddHealthRecord(hr => hr.ConfigureDeduplication(d => d.QuantityRelativeTolerance = 0.5)).BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<DeduplicationOptions>>().Value);
    }

    [Fact]
    public void AddHealthRecord_RegistersTheClinicalMatcherWithConfiguredOptions()
    {
        using var sp = new ServiceCollection().AddHealthRecord(hr => hr.ConfigureDeduplication(d => d.For("Observation", r => r.TimeTolerance = TimeSpan.FromHours(1)))).BuildServiceProvider();
        Assert.Single(sp.GetServices<IRecordMatcher>().OfType<ClinicalRecordMatcher>());
        Assert.Equal(TimeSpan.FromHours(1), sp.GetRequiredService<IOptions<DeduplicationOptions>>().Value.RuleFor("Observation")!.TimeTolerance);
        Assert.IsType<EhrAggregator>(sp.GetRequiredService<IEhrAggregator>());
    }
}
