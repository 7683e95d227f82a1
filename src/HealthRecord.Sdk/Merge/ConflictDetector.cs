using System.Globalization;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Merge;

/// <summary>
/// Finds the elements on which copies of one fact disagree in a way a clinician would care about:
/// statuses, values, criticality, abatement, and a patient's birth date, sex and deceased flag.
/// </summary>
public static class ConflictDetector
{
    private static readonly string[] Significant =
    [
        "status", "clinicalStatus", "verificationStatus", "value", "criticality", "abatement",
        "birthDate", "gender", "deceased", "doseQuantity", "interpretation",
    ];

    /// <summary>The conflicts between the chosen member and the others.</summary>
    /// <param name="members">The members.</param>
    /// <param name="chosen">The index of the member whose values were kept.</param>
    /// <returns>One conflict per element that differs, in a fixed element order.</returns>
    public static IReadOnlyList<MergeConflict> Detect(IReadOnlyList<MergeMember> members, int chosen)
    {
        ArgumentNullException.ThrowIfNull(members);
        var conflicts = new List<MergeConflict>();
        var winner = members[chosen];
        foreach (var element in Significant)
        {
            var chosenValue = ValueOf(winner.Resource, element);
            var alternatives = new List<ConflictValue>();
            for (var i = 0; i < members.Count; i++)
            {
                if (i == chosen)
                {
                    continue;
                }

                var other = ValueOf(members[i].Resource, element);
                // An element one copy lacks is not a disagreement; two different values are.
                if (other is not null && chosenValue is not null && !other.IsExactly(chosenValue))
                {
                    alternatives.Add(new ConflictValue(Display(other), members[i].Key));
                }
            }

            if (alternatives.Count > 0)
            {
                conflicts.Add(new MergeConflict(element, Display(chosenValue), winner.Key, alternatives));
            }
        }

        return conflicts;
    }

    private static Base? ValueOf(Resource resource, string element) =>
        resource.TryGetValue(element, out var value) ? value as Base : null;

    /// <summary>A short text for a value (a code, a quantity with unit, a date).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text; <c>(absent)</c> for none.</returns>
    public static string Display(Base? value) => value switch
    {
        null => "(absent)",
        CodeableConcept cc => cc.Coding.FirstOrDefault(c => c.Code is not null) is { } c ? $"{c.Code}{(c.Display is null ? "" : $" ({c.Display})")}" : cc.Text ?? "(no code)",
        Coding c => c.Code ?? "(no code)",
        Quantity q => $"{q.Value?.ToString(CultureInfo.InvariantCulture)} {q.Unit ?? q.Code}".Trim(),
        PrimitiveType p => p.ToString() ?? "",
        Period p => $"{p.Start}..{p.End}",
        _ => Fhir.FhirJson.Serialize(value),
    };
}
