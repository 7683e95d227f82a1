using HealthRecord.Sdk.Identity;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using static HealthRecord.Sdk.Tests.Identity.PatientBuilder;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Identity;

public class ProbabilisticPatientMatcherTests
{
    private static readonly PatientCandidate Ann1 = Candidate("a", "1", "Ann", "Lee", "1990-01-02", AdministrativeGender.Female, "1 Main St", "Troy", "NY", "12180", "518-555-0101");
    private static readonly PatientCandidate Ann2 = Candidate("b", "1", "Anne", "Lee", "1990-01-02", AdministrativeGender.Female, "1 Main Street", "Troy", "NY", "12180", "(518) 555-0101");
    private static readonly PatientCandidate Bob = Candidate("b", "2", "Bob", "Stone", "1971-05-06", AdministrativeGender.Male, "8 Hill Rd", "Albany", "NY", "12207", "518-555-0177");

    [Fact]
    public async Task LinkAsync_Empty_NoPersons()
    {
        var result = await new ProbabilisticPatientMatcher().LinkAsync([]);

        Assert.Empty(result.Persons);
        Assert.Empty(result.Links);
        Assert.Equal(0, result.Statistics!.ComparedPairs);
    }

    [Fact]
    public async Task LinkAsync_DuplicateKeys_Throws() =>
        await Assert.ThrowsAsync<ArgumentException>(async () => await new ProbabilisticPatientMatcher().LinkAsync([Ann1, Ann1]));

    [Fact]
    public async Task LinkAsync_SparsePatient_OwnPerson()
    {
        var empty = new PatientCandidate("c:Patient/x", "c", new Patient());

        var result = await new ProbabilisticPatientMatcher().LinkAsync([Ann1, empty, Ann2]);

        Assert.Equal(2, result.Persons.Count);
        Assert.Equal(["c:Patient/x"], result.PersonOf("c:Patient/x"));
    }

    [Fact]
    public async Task LinkAsync_Match_ExplainsEveryFieldAndTheWeightsAddUpToTheScore()
    {
        var result = await new ProbabilisticPatientMatcher().LinkAsync([Bob, Ann2, Ann1]);

        var link = Assert.Single(result.Links);
        Assert.Equal(("a:Patient/1", "b:Patient/1", LinkDecision.Match), (link.Left, link.Right, link.Decision));
        Assert.Equal(new SourcePatientReference("a", "Patient/1"), link.LeftRecord);
        Assert.Equal(new SourcePatientReference("b", "Patient/1"), link.RightRecord);
        Assert.Equal(Enum.GetValues<MatchField>().Length, link.Evidence.Count);
        Assert.Equal(link.Score, link.Evidence.Sum(e => e.Weight), 2);
        Assert.Contains("GivenName=nickname", link.Explanation, StringComparison.Ordinal);
        Assert.Contains("default weights", link.Explanation, StringComparison.Ordinal);
        Assert.Equal(2, result.Persons.Count);
    }

    [Fact]
    public async Task LinkAsync_AnyOrder_SamePersonsAndLinks()
    {
        var (candidates, _) = Fake1000Tests.Read();
        var matcher = new ProbabilisticPatientMatcher();
        var expected = await matcher.LinkAsync(candidates);

        foreach (var seed in new[] { 1, 2 })
        {
            var shuffled = candidates.OrderBy(c => HashCode.Combine(seed, c.Key.GetHashCode(StringComparison.Ordinal))).ToList();
            var actual = await matcher.LinkAsync(shuffled);
            Assert.Equal(expected.Persons, actual.Persons);
            Assert.Equal(expected.Links.Select(l => (l.Left, l.Right, l.Score, l.Decision, l.Explanation)), actual.Links.Select(l => (l.Left, l.Right, l.Score, l.Decision, l.Explanation)));
        }
    }

    [Fact]
    public async Task LinkAsync_ChainThroughSparseRecord_DoesNotMergeRelatives()
    {
        // B (surname, address and phone only) matches both A and C, but A and C are father and daughter.
        PatientCandidate[] records =
        [
            Candidate("a", "father", "John", "Smith", "1950-02-03", null, "12 Oak Street", "Springfield", "IL", "62701", "217-555-0100"),
            new("b:Patient/sparse", "b", new Patient
            {
                Name = [new HumanName { Family = "Smith" }],
                Address = [new Address { Line = ["12 Oak St"], City = "Springfield", PostalCode = "62701" }],
                Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "2175550100")],
            }),
            Candidate("c", "daughter", "Emma", "Smith", "1985-04-09", null, "12 Oak Street", "Springfield", "IL", "62701", "217-555-0100"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(records);

        Assert.False(result.SamePerson("a:Patient/father", "c:Patient/daughter"));
        Assert.Contains(result.Links, l => l.Decision == LinkDecision.Possible && l.Explanation!.Contains("not merged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LinkAsync_RecordWithoutGivenNameMatchingTwoSisters_JoinsNeither()
    {
        // The NextGen Isabella Jones of the corpus as converted: surname, birth date, sex, city, no given name.
        PatientCandidate[] records =
        [
            Candidate("a", "myra", "Myra", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006"),
            Candidate("b", "isabella", "Isabella", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006"),
            new("c:Patient/nogiven", "c", new Patient
            {
                Name = [new HumanName { Family = "Jones" }],
                BirthDate = "1947-05-01",
                Gender = AdministrativeGender.Female,
                Address = [new Address { Line = ["1357 Amber Drive"], City = "Beaverton", PostalCode = "97006" }],
            }),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(records);

        Assert.Equal(3, result.Persons.Count);
        Assert.Equal(2, result.Links.Count(l => l.Decision == LinkDecision.Possible && l.Explanation!.Contains("without a given name", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task LinkAsync_ManyPossibleLinksBetweenTwoPersons_OneReviewItem()
    {
        var review = new InMemoryLinkReview();
        // Twin sisters, each seen at two sources: four possible pairs across the two persons, one question for a reviewer.
        PatientCandidate[] records =
        [
            Candidate("a", "1", "Anna", "Berg", "2001-06-01", AdministrativeGender.Female, "5 Elm St", "Salem", "OR", "97301"),
            Candidate("b", "1", "Anna", "Berg", "2001-06-01", AdministrativeGender.Female, "5 Elm Street", "Salem", "OR", "97301"),
            Candidate("a", "2", "Elsa", "Berg", "2001-06-01", AdministrativeGender.Female, "5 Elm St", "Salem", "OR", "97301"),
            Candidate("b", "2", "Elsa", "Berg", "2001-06-01", AdministrativeGender.Female, "5 Elm Street", "Salem", "OR", "97301"),
        ];

        var result = await new ProbabilisticPatientMatcher(review: review).LinkAsync(records);

        Assert.Equal(2, result.Persons.Count);
        Assert.Equal(4, result.Links.Count(l => l.Decision == LinkDecision.Possible));
        var pending = Assert.Single(await review.GetPendingAsync());
        await review.ResolveAsync(pending.Left, pending.Right, ReviewDecision.DifferentPersons);
        await new ProbabilisticPatientMatcher(review: review).LinkAsync(records);
        // Answered once for the two persons: nothing more to ask.
        Assert.Empty(await review.GetPendingAsync());
    }

    [Fact]
    public async Task LinkAsync_ReviewAnswers_HonouredOnTheNextRun()
    {
        var review = new InMemoryLinkReview();
        var matcher = new ProbabilisticPatientMatcher(review: review);
        // An initial, a birth-date typo, and a different address: a possible link.
        var far = Candidate("c", "9", "A", "Lee", "1990-01-03", AdministrativeGender.Female, "77 Ocean Dr", "Miami", "FL", "33101");

        var first = await matcher.LinkAsync([Ann1, Ann2, far, Bob]);
        var pending = await review.GetPendingAsync();

        Assert.False(first.SamePerson("a:Patient/1", "c:Patient/9"));
        var possible = Assert.Single(pending, l => l.Right == "c:Patient/9" && l.Left == "a:Patient/1");
        Assert.Equal(LinkDecision.Possible, possible.Decision);

        await review.ResolveAsync("c:Patient/9", "a:Patient/1", ReviewDecision.SamePerson);
        await review.ResolveAsync("a:Patient/1", "b:Patient/1", ReviewDecision.DifferentPersons);
        var second = await matcher.LinkAsync([Bob, far, Ann2, Ann1]);

        Assert.True(second.SamePerson("a:Patient/1", "c:Patient/9"));
        Assert.False(second.SamePerson("a:Patient/1", "b:Patient/1"));
        Assert.Contains(second.Links, l => l.IsManual && l.Left == "a:Patient/1" && l.Right == "c:Patient/9" && l.Decision == LinkDecision.Match);
        Assert.DoesNotContain(second.Links, l => l.Left == "a:Patient/1" && l.Right == "b:Patient/1");
        Assert.DoesNotContain(await review.GetPendingAsync(), l => l.Right == "c:Patient/9" && l.Left == "a:Patient/1");
    }

    [Fact]
    public async Task LinkAsync_OversizedBlock_WarnsAndStillCompares()
    {
        // 300 different people who share one clinic phone number (a block of 300) and a few true pairs among them.
        string[] given = ["Aaron", "Beth", "Carl", "Dina", "Evan", "Fay", "Gus", "Hana", "Ivan", "Jade", "Kurt", "Lena", "Milo", "Nora", "Otto", "Pia", "Quin", "Rosa", "Seth", "Tara", "Ugo", "Vera", "Wade", "Xena", "Yuri", "Zoe"];
        string[] family = ["Adams", "Baker", "Clark", "Davis", "Evans", "Frank", "Green", "Hall", "Irwin", "Jones", "King", "Lopez"];
        var people = Enumerable.Range(0, 300).Select(i => Candidate("s", $"p{i}", given[i % 26], family[i / 26], new DateOnly(1930, 1, 1).AddDays(i * 53).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), phone: "555-0100")).ToList();
        people.Add(Candidate("t", "p7", "Hana", "Adams", new DateOnly(1930, 1, 1).AddDays(7 * 53).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), phone: "555-0100"));
        var options = Options.Create(new ProbabilisticPatientMatcherOptions { MaximumBlockSize = 20 });

        var result = await new ProbabilisticPatientMatcher(options).LinkAsync(people);

        var warning = Assert.Single(result.Warnings, w => w.Contains("phone", StringComparison.Ordinal));
        Assert.Contains("sorted neighbourhood", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("555", warning, StringComparison.Ordinal);
        // Each oversized block (the phone, and the phonetic name key all these synthetic names share) costs at most 20 pairs a record.
        Assert.InRange(result.Statistics!.ComparedPairs, 300, 3 * 301 * 20);
        Assert.True(result.SamePerson("s:Patient/p7", "t:Patient/p7"));
        Assert.Equal(300, result.Persons.Count);
    }

    [Fact]
    public async Task LinkAsync_HugeAndOddValues_LinksWithoutFailing()
    {
        var huge = new string('x', 200_000);
        var odd = new Patient { BirthDate = "1990-13-45", Gender = AdministrativeGender.Unknown };
        odd.Name.Add(new HumanName { Family = huge, Given = [huge, "\u0000", "Zoë"] });
        for (var i = 0; i < 1_000; i++)
        {
            odd.Address.Add(new Address { Line = [huge], PostalCode = "#" });
            odd.Identifier.Add(new Identifier("urn:x", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var result = await new ProbabilisticPatientMatcher().LinkAsync([new PatientCandidate("a:Patient/odd", "a", odd), new PatientCandidate("b:Patient/odd", "b", odd), Ann1]);

        Assert.True(result.SamePerson("a:Patient/odd", "b:Patient/odd"));
        Assert.Equal(2, result.Persons.Count);
    }

    [Fact]
    public async Task LinkAsync_Cancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var (candidates, _) = Fake1000Tests.Read();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await new ProbabilisticPatientMatcher().LinkAsync(candidates, cts.Token));
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws() =>
        Assert.Throws<OptionsValidationException>(() => new ProbabilisticPatientMatcher(Options.Create(new ProbabilisticPatientMatcherOptions { MatchThreshold = 2, PossibleThreshold = 5 })));
}
