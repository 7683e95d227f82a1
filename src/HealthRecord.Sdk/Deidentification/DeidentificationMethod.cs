namespace HealthRecord.Sdk.Deidentification;

/// <summary>What a <see cref="DeidentificationRule"/> does to the elements its path selects.</summary>
public enum DeidentificationMethod
{
    /// <summary>Leave the element as it is (its children still meet the later rules).</summary>
    Keep = 0,

    /// <summary>Remove the element and everything under it (a whole resource when the path selects one).</summary>
    Remove = 1,

    /// <summary>
    /// Keep a coarser value: a date becomes its year (or is shifted in <see cref="DeidentificationMode.DateShift"/>),
    /// an <c>Address</c> keeps only its state, country and 3-digit postal code (<c>000</c> for restricted prefixes),
    /// an age over 89 becomes "90 or older"; any other element is removed.
    /// </summary>
    Generalize = 2,

    /// <summary>
    /// Replace by a keyed pseudonym (HMAC-SHA256 with the export key), the same for the same value in every resource,
    /// source and run: identifiers, resource ids, references and other strings. Elements of other types are removed.
    /// </summary>
    Pseudonymize = 3,

    /// <summary>
    /// Free text (narrative, notes, comments, strings) goes through the host's <see cref="DeidentificationOptions.TextScrubber"/>;
    /// without one, or when it returns <see langword="null"/>, the element is removed. Never passes text through unchanged.
    /// </summary>
    Scrub = 4,
}
