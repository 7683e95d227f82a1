namespace HealthRecord.Sdk.Deidentification;

/// <summary>
/// The 3-digit ZIP code prefixes whose geographic unit held 20,000 people or fewer, which Safe Harbor
/// (45 CFR 164.514(b)(2)(i)(B)) requires to be replaced by <c>000</c>.
/// </summary>
/// <remarks>
/// Source: U.S. Department of Health and Human Services, Office for Civil Rights, "Guidance Regarding Methods for
/// De-identification of Protected Health Information in Accordance with the HIPAA Privacy Rule" (November 26, 2012),
/// section 3.4, which lists the 17 restricted prefixes from the 2000 Census: 036, 059, 063, 102, 203, 556, 692, 790,
/// 821, 823, 830, 831, 878, 879, 884, 890 and 893. A host with a newer census table passes its own list in
/// <see cref="DeidentificationOptions.RestrictedZipPrefixes"/>.
/// </remarks>
public static class RestrictedZipPrefixes
{
    /// <summary>The source of <see cref="Census2000"/>.</summary>
    public const string Source = "HHS OCR, Guidance Regarding Methods for De-identification of Protected Health Information in Accordance with the HIPAA Privacy Rule (2012-11-26), section 3.4; 2000 Census";

    /// <summary>The 17 restricted 3-digit prefixes of the 2000 Census, as the HHS guidance lists them.</summary>
    public static IReadOnlyList<string> Census2000 { get; } =
        ["036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884", "890", "893"];
}
