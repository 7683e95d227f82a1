using HealthRecord.Sdk.Terminology;
using HealthRecord.Sdk.Tests.Deduplication;
using HealthRecord.Sdk.Tests.Scenarios;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.Views;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Views;

/// <summary>
/// Each corpus Synthea patient split across 15 simulated EMRs (ScenarioGenerator: re-reported lists, varied
/// copies, stale statuses) against the same patient read whole: the current view of the fragmented history
/// lists every current fact once, and any extra entry carries the source conflict that explains it.
/// </summary>
public class EhrCurrentViewScenarioTests(ITestOutputHelper output)
{
    [CorpusFact]
    public async Task Of_PatientSplitAcross15Emrs_ListsWhatTheWholeRecordLists_AndFlagsTheRest()
    {
        var extras = 0;
        var entries = 0;
        foreach (var file in Corpus.SyntheaBundles())
        {
            var whole = EhrCurrentView.Of(Assert.Single((await TestHost.AggregateAsync([("whole", file)])).Ehrs));
            var split = EhrCurrentView.Of(await ScenarioDeduplicationTests.AggregateAsync(ScenarioGenerator.Generate(ScenarioDeduplicationTests.LoadBundle(file), 7)));

            entries += whole.Problems.Count + whole.Medications.Count + whole.Allergies.Count;
            extras += Compare(Path.GetFileName(file), whole.Problems, split.Problems);
            extras += Compare(Path.GetFileName(file), whole.Medications, split.Medications);
            extras += Compare(Path.GetFileName(file), whole.Allergies, split.Allergies);
        }

        output.WriteLine($"{entries} entries in the whole views, each once in the split views; {extras} extra entries, each flagged by a status conflict");
    }

    private int Compare(string patient, IEnumerable<CurrentViewItem> whole, IReadOnlyList<CurrentViewItem> split)
    {
        foreach (var w in whole)
        {
            // Each current fact of the whole record appears exactly once in the fragmented one.
            Assert.True(split.Count(s => Same(w, s)) == 1, $"{patient}: '{w.Display}' should appear once; split view has {string.Join(" | ", split.Select(s => s.Display))}");
        }

        var extras = split.Where(s => !whole.Any(w => Same(w, s))).ToList();
        foreach (var extra in extras)
        {
            // A stale copy (a later EMR's list still says active) can win the merge; the entry then shows the disagreement.
            output.WriteLine($"{patient}: extra '{extra.Display}' ({extra.Reference}): {string.Join("; ", extra.Conflicts.Select(Model.EhrProvenanceExtensions.Describe))}");
            Assert.Contains(extra.Conflicts, c => c.Element is "clinicalStatus" or "status");
        }

        return extras.Count;
    }

    private static bool Same(CurrentViewItem a, CurrentViewItem b) =>
        CodeSystems.KeysOf(a.Concept).Intersect(CodeSystems.KeysOf(b.Concept), StringComparer.Ordinal).Any()
        || ClinicalText.Normalize(a.Display) == ClinicalText.Normalize(b.Display);
}
