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

    /// <summary>The elements compared, in the order conflicts are reported.</summary>
    public static IReadOnlyList<string> Elements => Significant;

    /// <summary>The conflicts between the chosen member and the others.</summary>
    /// <param name="members">The members.</param>
    /// <param name="chosen">The index of the member whose values were kept.</param>
    /// <returns>One conflict per element that differs, in a fixed element order.</returns>
    public static IReadOnlyList<MergeConflict> Detect(IReadOnlyList<MergeMember> members, int chosen) => Detect(members, _ => chosen);

    /// <summary>
    /// The conflicts between the member each element's value was taken from and the others. Values that
    /// say the same thing differently are not conflicts: quantities equal in UCUM-commensurable units,
    /// concepts sharing a coding (system URIs and OIDs normalised), a date and a timestamp on that date.
    /// </summary>
    /// <param name="members">The members.</param>
    /// <param name="chosenFor">The index of the member whose value was kept, per element.</param>
    /// <returns>One conflict per element that differs, in a fixed element order.</returns>
    public static IReadOnlyList<MergeConflict> Detect(IReadOnlyList<MergeMember> members, Func<string, int> chosenFor)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(chosenFor);
        var conflicts = new List<MergeConflict>();
        foreach (var element in Significant)
        {
            var chosen = chosenFor(element);
            var winner = members[chosen];
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
                if (other is not null && chosenValue is not null && !SameValue(other, chosenValue))
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

    /// <summary>Whether two values of one element say the same thing.</summary>
    /// <param name="left">One value.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they agree.</returns>
    public static bool SameValue(Base left, Base right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        switch (left, right)
        {
            case (Quantity a, Quantity b):
                // At the precision the less precise value is written with (UcumQuantities.AreEqual).
                return Terminology.UcumQuantities.AreEqual(a, b, 0);
            case (CodeableConcept a, CodeableConcept b):
                var ka = Terminology.CodeSystems.KeysOf(a);
                var kb = Terminology.CodeSystems.KeysOf(b);
                if (ka.Count > 0 && kb.Count > 0 && ka.Intersect(kb, StringComparer.Ordinal).Any())
                {
                    return true;
                }

                if (a.Coding.Any(x => !string.IsNullOrWhiteSpace(x.Code)) && b.Coding.Any(x => !string.IsNullOrWhiteSpace(x.Code)))
                {
                    // Displays and texts never decide between coded values: "active" and "active (Active)" are one status.
                    return SameCoding(a, b);
                }

                return string.Equals(Terminology.ClinicalText.Normalize(a.Text ?? a.Coding.FirstOrDefault()?.Display), Terminology.ClinicalText.Normalize(b.Text ?? b.Coding.FirstOrDefault()?.Display), StringComparison.Ordinal);
            case (DataType a, DataType b) when Deduplication.RecordFeatures.TimeOf(a) is { } ta && Deduplication.RecordFeatures.TimeOf(b) is { } tb:
                // A date and a timestamp on that date (in some time zone) agree.
                return ta.Low <= tb.High && tb.Low <= ta.High;
            case (PrimitiveType a, PrimitiveType b):
                return string.Equals(a.ToString()?.Trim(), b.ToString()?.Trim(), StringComparison.OrdinalIgnoreCase);
            default:
                return left.IsExactly(right);
        }
    }

    // A code shared by a coding of each, where the systems agree once spelling is set aside (a scheme dropped:
    // "//terminology.hl7.org/CodeSystem/allergyintolerance-clinical"; a trailing slash) or one coding has no system.
    private static bool SameCoding(CodeableConcept a, CodeableConcept b)
    {
        foreach (var x in a.Coding)
        {
            foreach (var y in b.Coding)
            {
                if (x.Code is { } cx && y.Code is { } cy && string.Equals(cx.Trim(), cy.Trim(), StringComparison.Ordinal)
                    && (string.IsNullOrWhiteSpace(x.System) || string.IsNullOrWhiteSpace(y.System) || string.Equals(LooseSystem(x.System), LooseSystem(y.System), StringComparison.OrdinalIgnoreCase)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string LooseSystem(string system)
    {
        var s = Terminology.CodeSystems.Normalize(system) ?? system.Trim();
        foreach (var prefix in (string[])["https://", "http://", "//"])
        {
            if (s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                s = s[prefix.Length..];
                break;
            }
        }

        return s.TrimEnd('/');
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
