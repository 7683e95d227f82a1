namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>How HL7 v2 messages become FHIR R4 resources.</summary>
public sealed class Hl7V2ConversionOptions
{
    /// <summary>The default options.</summary>
    public static Hl7V2ConversionOptions Default { get; } = new();

    /// <summary>
    /// The UTC offset assumed for HL7 times written without one (FHIR requires an offset on every time).
    /// <see langword="null"/> keeps only the date of such times and reports the loss.
    /// </summary>
    /// <value><see cref="TimeSpan.Zero"/> (UTC), as the HL7 v2-to-FHIR reference conversions do.</value>
    public TimeSpan? AssumedUtcOffset { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// The prefix of the identifier system given to identifiers whose assigning authority is only a local
    /// namespace (no OID, UUID or URI), e.g. <c>urn:healthrecord-sdk:hl7v2:authority:HOSP</c>.
    /// </summary>
    /// <value><c>urn:healthrecord-sdk:hl7v2:authority:</c>.</value>
    public string LocalAuthoritySystemPrefix { get; init; } = "urn:healthrecord-sdk:hl7v2:authority:";
}
