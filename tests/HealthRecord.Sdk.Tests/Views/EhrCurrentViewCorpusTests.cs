using System.Text.Json;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.Views;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Views;

/// <summary>
/// The current view of real (Synthea) patients against what their own bundle says, read independently
/// of the SDK with System.Text.Json: every condition the bundle keeps active without an abatement appears
/// once, no other does; every drug with an active order appears once, no other does; every active allergy
/// appears once. (In these bundles a drug's orders never go from active to a later stop, so "some order is
/// active" and "the latest order is active" agree.)
/// </summary>
public class EhrCurrentViewCorpusTests
{
    private const string Snomed = "http://snomed.info/sct";
    private const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";

    public static TheoryData<string> SyntheaPatients() => Corpus.SyntheaBundleNames();

    [CorpusTheory]
    [MemberData(nameof(SyntheaPatients))]
    public async Task Of_SyntheaPatient_MatchesWhatTheBundleSays(string file)
    {
        await AssertMatchesBundleAsync(Corpus.PathOf("fhir-bundles/synthea/" + file));
    }

    [Fact]
    public async Task Of_FixturePatient_MatchesWhatTheBundleSays()
    {
        var view = await AssertMatchesBundleAsync(Corpus.Fixture("synthea/Paris_Casper.json"));

        // One active condition; two resolved ones and the only (stopped) order stay in the history.
        Assert.Single(view.Problems);
        Assert.Empty(view.Medications);
    }

    [Fact]
    public async Task Of_SampleEhr_ListsEachCurrentFactOnce_AndNotTheResolvedOneAHospitalStillHasActive()
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources, hr => hr.Configure(o =>
        {
            foreach (var (name, _) in TestHost.SampleSources)
            {
                o.SourcePriority.Add(name);
            }
        }));
        var ehr = Assert.Single(result.Ehrs);

        var view = EhrCurrentView.Of(ehr);

        // The practice's list and the hospital's copy of it: each problem and drug once, asserted by both.
        Assert.Equal(["38341003", "428251008", "68496003", "713197008", "74400008"], Codes(view.Problems, Snomed));
        Assert.Equal(["1736776", "1803932", "316049"], Codes(view.Medications, RxNorm));
        Assert.Empty(view.Allergies);
        Assert.All(view.Problems.Where(p => p.Concept!.Coding[0].Code is "38341003" or "68496003" or "713197008"),
            p => Assert.Equal(["st-marys-hospital", "valley-primary-care"], p.Sources.Select(s => s.SourceName).Distinct()));
        Assert.All(view.Medications, m => Assert.Equal(["st-marys-hospital", "valley-primary-care"], m.Sources.Select(s => s.SourceName).Distinct()));

        // Viral sinusitis: resolved at the practice (the highest priority), still active in the hospital's stale copy.
        Assert.DoesNotContain(view.Problems, p => p.Concept!.Coding.Any(c => c.Code == "444814009"));
        Assert.Equal(ehr.AsOf, view.AsOf);
    }

    private static async Task<EhrCurrentView> AssertMatchesBundleAsync(string path)
    {
        var result = await TestHost.AggregateAsync([("synthea", path)]);
        var ehr = Assert.Single(result.Ehrs);
        var view = EhrCurrentView.Of(ehr);
        var expected = Expected(path);

        Assert.Equal(expected.Problems, Codes(view.Problems, Snomed));
        Assert.Equal(expected.Medications, Codes(view.Medications, RxNorm));
        Assert.Equal(expected.Allergies, Codes(view.Allergies, Snomed));

        foreach (var item in view.Problems.Cast<CurrentViewItem>().Concat(view.Medications).Concat(view.Allergies))
        {
            var record = ehr.Find(item.Reference);
            Assert.NotNull(record);
            Assert.Equal(record.Sources, item.Sources);
            Assert.False(string.IsNullOrWhiteSpace(item.Display));
            Assert.DoesNotContain(item.Reference, item.Collapsed);
        }

        Assert.All(view.Problems, p => Assert.Equal("active", p.Status));
        Assert.All(view.Medications, m => Assert.Equal("active", m.Status));
        return view;
    }

    /// <summary>The codes of the items, one per item, in ordinal order (so a code listed twice shows twice).</summary>
    private static List<string> Codes(IEnumerable<CurrentViewItem> items, string system) =>
        [.. items.Select(i => Assert.Single(i.Concept!.Coding, c => c.System == system).Code!).Order(StringComparer.Ordinal)];

    private static (List<string> Problems, List<string> Medications, List<string> Allergies) Expected(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var problems = new SortedSet<string>(StringComparer.Ordinal);
        var medications = new SortedSet<string>(StringComparer.Ordinal);
        var allergies = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in doc.RootElement.GetProperty("entry").EnumerateArray())
        {
            var r = entry.GetProperty("resource");
            switch (r.GetProperty("resourceType").GetString())
            {
                case "Condition" when StatusOf(r, "clinicalStatus") == "active" && !r.EnumerateObject().Any(p => p.Name.StartsWith("abatement", StringComparison.Ordinal)):
                    problems.Add(CodeOf(r.GetProperty("code"), Snomed));
                    break;
                case "MedicationRequest" when r.GetProperty("status").GetString() == "active":
                    medications.Add(CodeOf(r.GetProperty("medicationCodeableConcept"), RxNorm));
                    break;
                case "AllergyIntolerance" when StatusOf(r, "clinicalStatus") == "active":
                    allergies.Add(CodeOf(r.GetProperty("code"), Snomed));
                    break;
            }
        }

        return ([.. problems], [.. medications], [.. allergies]);
    }

    private static string? StatusOf(JsonElement resource, string element) =>
        resource.TryGetProperty(element, out var cc) ? cc.GetProperty("coding")[0].GetProperty("code").GetString() : null;

    private static string CodeOf(JsonElement concept, string system) =>
        concept.GetProperty("coding").EnumerateArray().First(c => c.GetProperty("system").GetString() == system).GetProperty("code").GetString()!;
}
