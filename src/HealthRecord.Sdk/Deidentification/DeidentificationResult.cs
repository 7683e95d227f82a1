using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>One person's de-identified EHR, with what was changed.</summary>
public sealed record DeidentificationResult
{
    /// <summary>The de-identified collection bundle: the transformed resources, in the input's order, without the removed ones.</summary>
    public required Bundle Bundle { get; init; }

    /// <summary>The person's research id: a keyed pseudonym of the person, the same in every source and run with the same key.</summary>
    public required string PersonId { get; init; }

    /// <summary>What was removed, generalised, shifted or pseudonymised.</summary>
    public required DeidentificationReport Report { get; init; }

    /// <summary>The quasi-identifiers of the output, for re-identification risk (<see cref="KAnonymity"/>).</summary>
    public required QuasiIdentifiers QuasiIdentifiers { get; init; }

    /// <summary>
    /// The person's age at each output record's clinical date, keyed by the output <c>Type/id</c>: whole years,
    /// or <c>90+</c> over 89 (computed from the input before de-identification).
    /// </summary>
    public IReadOnlyDictionary<string, string> AgeAtEvent { get; init; } = new Dictionary<string, string>();

    /// <summary>The date shift applied, in days (0 in <see cref="DeidentificationMode.SafeHarbor"/>).</summary>
    public int ShiftDays { get; init; }
}

/// <summary>The quasi-identifiers of a de-identified person, as released.</summary>
/// <param name="BirthYear">The birth year as released, <c>90+</c> when over 89, empty when unknown.</param>
/// <param name="Sex">The administrative gender code, empty when unknown.</param>
/// <param name="Zip3">The 3-digit postal code as released (<c>000</c> for restricted prefixes), empty when unknown.</param>
public sealed record QuasiIdentifiers(string BirthYear, string Sex, string Zip3);
