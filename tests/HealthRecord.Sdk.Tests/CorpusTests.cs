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
    public void CorpusFact_Here_SkipsOnlyWhenTheCorpusIsMissingOutsideCi() =>
        Assert.Equal(!Corpus.IsAvailable && !Corpus.IsCi, new CorpusFactAttribute().Skip is not null);
}
