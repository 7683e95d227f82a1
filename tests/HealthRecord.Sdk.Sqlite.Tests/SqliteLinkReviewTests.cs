using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Sqlite.Tests;

/// <summary>Identity answers kept in the store's file hold for later runs, and the matcher honours them.</summary>
public sealed class SqliteLinkReviewTests : IDisposable
{
    private readonly TempFolder _tmp = TestHost.TempFolder();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    [Fact]
    public async Task PendingAndAnswers_SurviveANewInstance()
    {
        var connection = $"Data Source={_tmp.File("review.db")}";
        var first = new SqliteLinkReview(connection);
        var evidence = new PatientLink("b:Patient/2", "a:Patient/1", 7.5, LinkDecision.Possible, "given names differ")
        {
            Evidence = [new FieldEvidence(MatchField.GivenName, "different", -4.2)],
            LeftRecord = new SourcePatientReference("b", "Patient/2"),
        };
        await first.SubmitAsync([evidence, new PatientLink("c:Patient/3", "d:Patient/4", 6, LinkDecision.Possible)]);
        await first.ResolveAsync("a:Patient/1", "b:Patient/2", ReviewDecision.DifferentPersons);
        await first.SubmitAsync([evidence]); // answered: not queued again

        var second = new SqliteLinkReview(connection);
        Assert.Equal([new ReviewedLink("a:Patient/1", "b:Patient/2", ReviewDecision.DifferentPersons)], await second.GetDecisionsAsync());
        var pending = Assert.Single(await second.GetPendingAsync());
        Assert.Equal(("c:Patient/3", "d:Patient/4", 6.0, LinkDecision.Possible), (pending.Left, pending.Right, pending.Score, pending.Decision));

        await second.ResolveAsync("d:Patient/4", "c:Patient/3", ReviewDecision.SamePerson);
        await second.ResolveAsync("c:Patient/3", "d:Patient/4", ReviewDecision.DifferentPersons); // a later answer replaces the earlier one
        Assert.Empty(await first.GetPendingAsync());
        Assert.Contains(new ReviewedLink("c:Patient/3", "d:Patient/4", ReviewDecision.DifferentPersons), await first.GetDecisionsAsync());
    }

    [Fact]
    public async Task ASamePersonAnswer_LinksTwinShapedRecordsInLaterRuns_AndUseSqliteStoreRegistersIt()
    {
        var connection = $"Data Source={_tmp.File("ehr.db")}";
        PatientCandidate[] candidates = [Twin("clinic", "1", "Isabella"), Twin("hospital", "7", "Myra")];

        using (var sp = TestHost.Create(hr => hr.UseSqliteStore(connection)))
        {
            Assert.IsType<SqliteLinkReview>(sp.GetRequiredService<ILinkReview>());
            var before = await sp.GetRequiredService<IPatientMatcher>().LinkAsync(candidates);
            Assert.Equal(2, before.Persons.Count); // different given names, same everything else: never linked automatically
            await sp.GetRequiredService<ILinkReview>().ResolveAsync(candidates[0].Key, candidates[1].Key, ReviewDecision.SamePerson);
        }

        SqliteConnection.ClearAllPools();
        using var later = TestHost.Create(hr => hr.UseSqliteStore(connection));
        var after = await later.GetRequiredService<IPatientMatcher>().LinkAsync(candidates);
        var person = Assert.Single(after.Persons);
        Assert.Equal(2, person.Count);
        Assert.Contains(after.Links, l => l.IsManual && l.Decision == LinkDecision.Match);
    }

    private static PatientCandidate Twin(string source, string id, string given)
    {
        var patient = new Patient { Id = id, BirthDate = "1985-04-12", Gender = AdministrativeGender.Female };
        patient.Name.Add(new HumanName { Family = "Jones", Given = [given], Use = HumanName.NameUse.Official });
        patient.Address.Add(new Address { Line = ["1357 Amber Drive"], City = "Beaverton", PostalCode = "97006" });
        return new PatientCandidate($"{source}:Patient/{id}", source, patient);
    }
}
