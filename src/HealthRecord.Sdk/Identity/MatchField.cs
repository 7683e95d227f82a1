namespace HealthRecord.Sdk.Identity;

/// <summary>A field the probabilistic matcher compares between two Patients.</summary>
public enum MatchField
{
    /// <summary>Given name: exact, nickname, close (Jaro–Winkler ≥ 0.92, a middle name, a given/family swap), jw88 (JW ≥ 0.88), similar (JW ≥ 0.80, an initial), different.</summary>
    GivenName,

    /// <summary>Family name: exact, close (JW ≥ 0.92, or one a prefix of the other), jw88 (JW ≥ 0.88), two-edits (at most two edits), similar (JW ≥ 0.80), different.</summary>
    FamilyName,

    /// <summary>Birth date: exact, one-digit typo, day/month swap, close (two digits, or same year and month), different, years apart (ten or more).</summary>
    BirthDate,

    /// <summary>Administrative gender (male/female only): same, different.</summary>
    Sex,

    /// <summary>Street lines, normalised (abbreviations, unit numbers): exact, close (JW ≥ 0.92, or equal without spaces), jw88, reordered (the same words in another order, or at most two edits), similar (JW ≥ 0.80), different.</summary>
    AddressLine,

    /// <summary>City: exact (spaces ignored), close (JW ≥ 0.90), similar (JW ≥ 0.80, or at most two edits), different.</summary>
    City,

    /// <summary>Postal code (first five characters): exact, one typo, different.</summary>
    PostalCode,

    /// <summary>Phone number (last ten digits): exact, one typo, different.</summary>
    Phone,

    /// <summary>E-mail address (case-folded): exact, different.</summary>
    Email,

    /// <summary>US Social Security number: exact, two adjacent digits transposed, one digit different (100 or more apart), near (less than 100 apart: a typo in the last digits, or consecutive numbers of twins), different.</summary>
    SocialSecurityNumber,

    /// <summary>Driver's licence number of the same issuer: exact, different.</summary>
    DriversLicense,

    /// <summary>Any other identifier (MRN, member id) of the same system: exact, different.</summary>
    LocalIdentifier,
}

/// <summary>How one field of a compared pair contributed to its score.</summary>
/// <param name="Field">The field.</param>
/// <param name="Level">The comparison outcome, e.g. <c>exact</c>, <c>nickname</c>, <c>different</c>, or <c>missing</c> when either side lacks it.</param>
/// <param name="Weight">The log2 likelihood ratio log2(m/u) the outcome adds (0 when missing).</param>
public sealed record FieldEvidence(MatchField Field, string Level, double Weight);
