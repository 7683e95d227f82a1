using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Views;

/// <summary>
/// The current view of an EHR beside its complete history: the active problem list, the active
/// medication list and the allergy list, computed from the EHR records with documented rules
/// (<c>docs/current-view.md</c>).
/// </summary>
/// <remarks>
/// <para>
/// Problems are <c>Condition</c> records whose <c>clinicalStatus</c> is <c>active</c>, <c>recurrence</c>,
/// <c>relapse</c> or absent, not <c>refuted</c> or <c>entered-in-error</c>, with no abatement at or before
/// <see cref="AsOf"/>, of any category. Medications are <c>MedicationRequest</c> (<c>active</c>, <c>on-hold</c>;
/// intent not <c>proposal</c>/<c>option</c>) and <c>MedicationStatement</c> (<c>active</c>, <c>intended</c>,
/// <c>on-hold</c>, effective period not ended) records, one entry per drug concept, where the latest record of
/// the drug decides: a later <c>stopped</c> or <c>completed</c> record ends an older active one. Allergies are
/// <c>AllergyIntolerance</c> records whose <c>clinicalStatus</c> is <c>active</c> or absent, not <c>refuted</c>
/// or <c>entered-in-error</c>. Records of the same concept (a shared <c>system|code</c>, or the same text when
/// uncoded) collapse into one entry that names the others in <see cref="CurrentViewItem.Collapsed"/>.
/// </para>
/// <para>
/// The view is a pure function of the aggregate and <see cref="AsOf"/>: deterministic, and it reads no clock.
/// It is not a reconstruction of the past: statuses are those the sources give now, whatever <see cref="AsOf"/>.
/// Instances are immutable and thread-safe to read.
/// </para>
/// </remarks>
public sealed record EhrCurrentView
{
    /// <summary>The person (EHR) the view is of.</summary>
    public required string PersonId { get; init; }

    /// <summary>
    /// The instant the view is computed for: abatements and statement end dates at or before it count as past.
    /// <see langword="null"/> when neither the caller nor the aggregate gave one; every dated end then counts as past.
    /// </summary>
    public DateTimeOffset? AsOf { get; init; }

    /// <summary>The active problem list, ordered by display name (case-insensitive) then reference.</summary>
    public required IReadOnlyList<CurrentProblem> Problems { get; init; }

    /// <summary>The active medication list, one entry per drug concept, ordered by display name then reference.</summary>
    public required IReadOnlyList<CurrentMedication> Medications { get; init; }

    /// <summary>The allergy and intolerance list, ordered by display name then reference.</summary>
    public required IReadOnlyList<CurrentAllergy> Allergies { get; init; }

    /// <summary>Computes the current view of an EHR.</summary>
    /// <param name="ehr">The aggregate.</param>
    /// <param name="asOf">
    /// The instant to judge end dates against; default: the aggregate's <see cref="EhrAggregate.AsOf"/> (the latest
    /// date in its data, so the result does not depend on when it is computed). Pass <c>TimeProvider.GetUtcNow()</c>
    /// to judge against today.
    /// </param>
    /// <returns>The view.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ehr"/> is <see langword="null"/>.</exception>
    public static EhrCurrentView Of(EhrAggregate ehr, DateTimeOffset? asOf = null)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        var when = asOf ?? ehr.AsOf;
        var rules = new CurrentViewRules(ehr, when);
        return new EhrCurrentView
        {
            PersonId = ehr.PersonId,
            AsOf = when,
            Problems = rules.Problems(),
            Medications = rules.Medications(),
            Allergies = rules.Allergies(),
        };
    }
}
