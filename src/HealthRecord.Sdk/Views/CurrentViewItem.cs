using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Views;

/// <summary>
/// One entry of a <see cref="EhrCurrentView"/> list: the EHR record it stands for, its concept, its status
/// and the sources that assert it.
/// </summary>
/// <remarks>Immutable; <see cref="Concept"/> is part of the EHR resource and must not be changed.</remarks>
public abstract record CurrentViewItem
{
    /// <summary><c>Type/id</c> of the EHR record this entry stands for (use <see cref="EhrAggregate.Find"/> to read it).</summary>
    public required string Reference { get; init; }

    /// <summary>
    /// What the entry is about: the condition's or allergy's <c>code</c>, the medication's
    /// <c>medicationCodeableConcept</c> or the <c>code</c> of the referenced Medication;
    /// <see langword="null"/> when the record names none.
    /// </summary>
    public CodeableConcept? Concept { get; init; }

    /// <summary>
    /// A name for display: the concept's text, else the first coding's display, else its code, else the
    /// reference's display; <c>(unnamed)</c> when there is nothing.
    /// </summary>
    public required string Display { get; init; }

    /// <summary>
    /// The status code the entry was selected on: <c>clinicalStatus</c> for problems and allergies
    /// (<see langword="null"/> when the record has none), <c>status</c> for medications.
    /// </summary>
    public string? Status { get; init; }

    /// <summary>
    /// The source records that assert the entry, ordered by source then record: those of the EHR record
    /// and, for collapsed entries, those of the other records of the same concept that pass the rules.
    /// </summary>
    public required IReadOnlyList<SourceRecordRef> Sources { get; init; }

    /// <summary>
    /// The other EHR records (<c>Type/id</c>) of the same concept that this entry stands for, most recent first;
    /// empty when there are none.
    /// </summary>
    public IReadOnlyList<string> Collapsed { get; init; } = [];

    /// <summary>Disagreements between sources on the EHR record (e.g. one source says resolved); empty when they agree.</summary>
    public IReadOnlyList<EhrConflict> Conflicts { get; init; } = [];
}

/// <summary>An entry of the active problem list: a <see cref="Condition"/>.</summary>
public sealed record CurrentProblem : CurrentViewItem
{
    /// <summary>The <c>verificationStatus</c> code (<c>confirmed</c>, <c>provisional</c>, …), or <see langword="null"/>.</summary>
    public string? VerificationStatus { get; init; }

    /// <summary>The <c>category</c> codes (<c>problem-list-item</c>, <c>encounter-diagnosis</c>, …), in record order.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>The onset (<c>onsetDateTime</c>, or the start of <c>onsetPeriod</c>), in UTC; <see langword="null"/> when not given as a date.</summary>
    public DateTimeOffset? Onset { get; init; }

    /// <summary>When the condition was first recorded (<c>recordedDate</c>), in UTC, or <see langword="null"/>.</summary>
    public DateTimeOffset? Recorded { get; init; }
}

/// <summary>An entry of the active medication list: a <see cref="MedicationRequest"/> or a <see cref="MedicationStatement"/>.</summary>
public sealed record CurrentMedication : CurrentViewItem
{
    /// <summary>The request's <c>intent</c> (<c>order</c>, <c>plan</c>, …); <see langword="null"/> for statements.</summary>
    public string? Intent { get; init; }

    /// <summary>The EHR Medication record (<c>Medication/id</c>) the concept was read from, when the record referenced one.</summary>
    public string? Medication { get; init; }

    /// <summary>
    /// The date the "latest record" rule compares, in UTC: a request's <c>authoredOn</c>, a statement's
    /// <c>dateAsserted</c> else the start of its <c>effective[x]</c>; <see langword="null"/> when undated.
    /// </summary>
    public DateTimeOffset? Asserted { get; init; }

    /// <summary>A statement's <c>effective[x]</c> start, in UTC; <see langword="null"/> for requests or when not given.</summary>
    public DateTimeOffset? EffectiveStart { get; init; }

    /// <summary>A statement's <c>effectivePeriod.end</c>, in UTC (always after <see cref="EhrCurrentView.AsOf"/>); <see langword="null"/> when open or a request.</summary>
    public DateTimeOffset? EffectiveEnd { get; init; }
}

/// <summary>An entry of the allergy list: an <see cref="AllergyIntolerance"/>.</summary>
public sealed record CurrentAllergy : CurrentViewItem
{
    /// <summary>The <c>verificationStatus</c> code (<c>confirmed</c>, <c>unconfirmed</c>, …), or <see langword="null"/>.</summary>
    public string? VerificationStatus { get; init; }

    /// <summary>The <c>criticality</c> (<c>low</c>, <c>high</c>, <c>unable-to-assess</c>), or <see langword="null"/>.</summary>
    public string? Criticality { get; init; }

    /// <summary>The <c>category</c> codes (<c>food</c>, <c>medication</c>, <c>environment</c>, <c>biologic</c>), in record order.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>The onset (<c>onsetDateTime</c>, or the start of <c>onsetPeriod</c>), in UTC, or <see langword="null"/>.</summary>
    public DateTimeOffset? Onset { get; init; }

    /// <summary>When it was recorded (<c>recordedDate</c>), in UTC, or <see langword="null"/>.</summary>
    public DateTimeOffset? Recorded { get; init; }
}
