using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Tests.DependencyInjection;

public class PatientMatchingBuilderExtensionsTests
{
    [Fact]
    public void AddHealthRecord_Default_ProbabilisticMatcherAndInMemoryReview()
    {
        using var sp = new ServiceCollection().AddLogging().AddHealthRecord().BuildServiceProvider();

        Assert.IsType<ProbabilisticPatientMatcher>(sp.GetRequiredService<IPatientMatcher>());
        Assert.IsType<InMemoryLinkReview>(sp.GetRequiredService<ILinkReview>());
    }

    [Fact]
    public void UsePatientMatcher_SinglePerson_ReplacesTheDefault()
    {
        using var sp = new ServiceCollection().AddHealthRecord(hr => hr.UsePatientMatcher<SinglePersonMatcher>()).BuildServiceProvider();

        Assert.IsType<SinglePersonMatcher>(sp.GetRequiredService<IPatientMatcher>());
    }

    [Fact]
    public void UseProbabilisticPatientMatcher_InvalidOptions_FailValidation()
    {
        using var sp = new ServiceCollection().AddHealthRecord(hr => hr.UseProbabilisticPatientMatcher(o => o.MaximumBlockSize = 0)).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<ProbabilisticPatientMatcherOptions>>().Value);
        Assert.Contains("MaximumBlockSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseLinkReview_CustomStore_Used()
    {
        using var sp = new ServiceCollection().AddHealthRecord(hr => hr.UseLinkReview<InMemoryLinkReview>().UsePatientMatcher<SinglePersonMatcher>().UseProbabilisticPatientMatcher(o => o.MatchThreshold = 20)).BuildServiceProvider();

        Assert.IsType<ProbabilisticPatientMatcher>(sp.GetRequiredService<IPatientMatcher>());
        Assert.Equal(20, sp.GetRequiredService<IOptions<ProbabilisticPatientMatcherOptions>>().Value.MatchThreshold);
    }
}
