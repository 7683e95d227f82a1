using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Tests;

public class CorpusTests
{
    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void SkipReasonFor_CorpusFoundOrCi_RunsTheTest(bool available, bool ci) => Assert.Null(Corpus.SkipReasonFor(available, ci));

    [Fact]
    public void SkipReasonFor_CorpusMissingOutsideCi_SkipsWithAVisibleReason()
    {
        var reason = Corpus.SkipReasonFor(false, false);

        Assert.NotNull(reason);
        Assert.Contains("HEALTHRECORD_CORPUS", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SkipReasonFor_CorpusMissingOutsideCi_SaysHowToRunThem()
    {
        var reason = Corpus.SkipReasonFor(false, false)!;

        Assert.Contains("export HEALTHRECORD_CORPUS=", reason, StringComparison.Ordinal);
        Assert.Contains("../shared/corpus", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SkipNotice_OnlyWhenCorpusTestsAreSkipped_CarriesTheReason()
    {
        Assert.Null(CorpusSkipNotice.For(null));
        Assert.Equal("corpus tests are skipped. why", CorpusSkipNotice.For("why"));
    }

    [Theory]
    [InlineData(typeof(CorpusFactAttribute), typeof(CorpusFactDiscoverer))]
    [InlineData(typeof(CorpusTheoryAttribute), typeof(CorpusTheoryDiscoverer))]
    public void CorpusAttributes_AreDiscoveredByTheDiscoverersThatPrintTheNotice(Type attribute, Type discoverer)
    {
        var named = Assert.Single(attribute.GetCustomAttributesData(), a => a.AttributeType == typeof(Xunit.Sdk.XunitTestCaseDiscovererAttribute));

        Assert.Equal(discoverer.FullName, named.ConstructorArguments[0].Value);
        Assert.Equal(discoverer.Assembly.GetName().Name, named.ConstructorArguments[1].Value);
    }

    [Fact]
    public void CorpusFact_Here_SkipsOnlyWhenTheCorpusIsMissingOutsideCi() =>
        Assert.Equal(!Corpus.IsAvailable && !Corpus.IsCi, new CorpusFactAttribute().Skip is not null);
}
