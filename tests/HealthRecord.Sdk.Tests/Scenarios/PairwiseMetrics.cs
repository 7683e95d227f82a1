using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Tests.Scenarios;

/// <summary>
/// Pairwise precision and recall of merges against a scenario's truth: a pair of source records is
/// predicted when both end in the same EHR record, true when both report the same fact.
/// </summary>
public sealed record PairwiseMetrics(long TruePositives, long Predicted, long Actual, int TrapMerges, IReadOnlyList<string> FalseMerges)
{
    /// <summary>Facts whose copies ended in more than one EHR record.</summary>
    public IReadOnlyList<string> Missed { get; init; } = [];

    public double Precision => Predicted == 0 ? 1 : (double)TruePositives / Predicted;

    public double Recall => Actual == 0 ? 1 : (double)TruePositives / Actual;

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    private static readonly string[] ReferenceTypes = ["Patient/", "Practitioner/", "Organization/", "Location/"];

    /// <summary>The metrics over clinical records (every EMR's copy of the practitioner and organization is left out, so they do not swamp the figures), or over reference records only.</summary>
    public static PairwiseMetrics Compute(EhrAggregate ehr, Scenario scenario, bool referenceRecords = false)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        ArgumentNullException.ThrowIfNull(scenario);
        var rows = ehr.Lineage
            .Where(l => l.EhrResource is not null && !l.SourceResource.StartsWith("Patient/", StringComparison.Ordinal)
                && ReferenceTypes.Any(t => l.SourceResource.StartsWith(t, StringComparison.Ordinal)) == referenceRecords)
            .Select(l => (Ehr: l.EhrResource!, Truth: scenario.Truth[$"{l.SourceName}:{l.SourceResource}"]))
            .ToList();
        static long Pairs(int n) => (long)n * (n - 1) / 2;
        var predicted = rows.GroupBy(r => r.Ehr, StringComparer.Ordinal).Sum(g => Pairs(g.Count()));
        var actual = rows.GroupBy(r => r.Truth, StringComparer.Ordinal).Sum(g => Pairs(g.Count()));
        var tp = rows.GroupBy(r => (r.Ehr, r.Truth)).Sum(g => Pairs(g.Count()));
        var traps = scenario.Traps.Select(t => (t.Trap, t.Original)).ToHashSet();
        var trapMerges = 0;
        var falseMerges = new List<string>();
        foreach (var g in rows.GroupBy(r => r.Ehr, StringComparer.Ordinal))
        {
            var truths = g.Select(r => r.Truth).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (truths.Count > 1)
            {
                falseMerges.Add($"{g.Key}: {string.Join(" + ", truths)}");
                trapMerges += truths.Count(t => truths.Any(o => traps.Contains((t, o))));
            }
        }

        var missed = rows.GroupBy(r => r.Truth, StringComparer.Ordinal)
            .Where(g => g.Select(r => r.Ehr).Distinct(StringComparer.Ordinal).Count() > 1)
            .Select(g => g.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new PairwiseMetrics(tp, predicted, actual, trapMerges, falseMerges) { Missed = missed };
    }

    public override string ToString() =>
        $"precision {Precision:F4}, recall {Recall:F4}, F1 {F1:F4} (tp {TruePositives}, predicted {Predicted}, actual {Actual}, trap merges {TrapMerges})";
}
