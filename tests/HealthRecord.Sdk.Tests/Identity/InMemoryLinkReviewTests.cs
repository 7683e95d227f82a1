using HealthRecord.Sdk.Identity;

namespace HealthRecord.Sdk.Tests.Identity;

public class InMemoryLinkReviewTests
{
    [Fact]
    public async Task SubmitAsync_ThenResolve_MovesPairFromPendingToDecisions()
    {
        var review = new InMemoryLinkReview();
        await review.SubmitAsync([new PatientLink("b", "a", 7, LinkDecision.Possible), new PatientLink("c", "d", 5, LinkDecision.Possible)]);

        await review.ResolveAsync("a", "b", ReviewDecision.DifferentPersons);

        var pending = Assert.Single(await review.GetPendingAsync());
        Assert.Equal("c", pending.Left);
        Assert.Equal([new ReviewedLink("a", "b", ReviewDecision.DifferentPersons)], await review.GetDecisionsAsync());
    }

    [Fact]
    public async Task SubmitAsync_AnsweredPair_NotQueuedAgain()
    {
        var review = new InMemoryLinkReview();
        await review.ResolveAsync("x", "y", ReviewDecision.SamePerson);

        await review.SubmitAsync([new PatientLink("x", "y", 6, LinkDecision.Possible)]);

        Assert.Empty(await review.GetPendingAsync());
    }

    [Fact]
    public async Task ResolveAsync_SameKeyTwice_Throws() =>
        await Assert.ThrowsAsync<ArgumentException>(async () => await new InMemoryLinkReview().ResolveAsync("x", "x", ReviewDecision.SamePerson));

    [Fact]
    public void Create_AnyOrder_OrdinalOrder() =>
        Assert.Equal(("A", "a"), (ReviewedLink.Create("a", "A", ReviewDecision.SamePerson).Left, ReviewedLink.Create("a", "A", ReviewDecision.SamePerson).Right));
}
