using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>How <see cref="Deidentifier"/> de-identifies an EHR (docs/research-exports.md).</summary>
public sealed class DeidentificationOptions
{
    /// <summary>Year-only dates (Safe Harbor) or a per-person date shift.</summary>
    /// <value>Default <see cref="DeidentificationMode.SafeHarbor"/>.</value>
    public DeidentificationMode Mode { get; set; } = DeidentificationMode.SafeHarbor;

    /// <summary>
    /// The secret key of the keyed HMAC behind pseudonyms and date shifts: the same key gives the same pseudonyms and
    /// shifts in every run, another key different ones. At least 16 bytes; keep it apart from the export.
    /// </summary>
    public ReadOnlyMemory<byte> Key { get; set; }

    /// <summary>
    /// The host's rules, tried before the Safe Harbor defaults (the first rule that selects an element decides it),
    /// so a host can keep, remove or scrub an element the defaults would treat otherwise.
    /// </summary>
    public IList<DeidentificationRule> Rules { get; } = [];

    /// <summary>Whether the Safe Harbor defaults (<see cref="SafeHarborRules.For"/>) follow the host's rules.</summary>
    /// <value>Default <see langword="true"/>. Without them, elements no rule selects are kept.</value>
    public bool UseSafeHarborDefaults { get; set; } = true;

    /// <summary>
    /// Scrubs free text for <see cref="DeidentificationMethod.Scrub"/> (narrative, notes, comments, strings): returns the
    /// text to keep, or <see langword="null"/> to remove it. Without a scrubber all such text is removed.
    /// </summary>
    public Func<string, string?>? TextScrubber { get; set; }

    /// <summary>
    /// The stable key of a person behind the date shift and the research person id; the default is the birth date,
    /// family name and first given name (normalised), which every source of the same person shares, so a person's shift
    /// is the same whether their sources are aggregated separately or together.
    /// </summary>
    public Func<Patient, string?>? PersonKey { get; set; }

    /// <summary>The 3-digit postal code prefixes replaced by <c>000</c>.</summary>
    /// <value>Default <see cref="RestrictedZipPrefixes.Census2000"/>.</value>
    public IList<string> RestrictedZipPrefixes { get; } = [.. Deidentification.RestrictedZipPrefixes.Census2000];

    /// <summary>The largest date shift, in days, either way.</summary>
    /// <value>Default 365.</value>
    public int MaxShiftDays { get; set; } = 365;
}
