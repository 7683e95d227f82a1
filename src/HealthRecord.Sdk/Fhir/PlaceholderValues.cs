using System.Collections.Frozen;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>
/// Values that stand for "no value": HL7 null flavors written as values (<c>UNK</c>, <c>ASKU</c>, <c>NI</c>…),
/// words such as <c>unknown</c> or <c>none</c>, an element carrying only a data-absent-reason, and social
/// security numbers that are fillers (see <see cref="IsPlaceholder(Identifier)"/>). One owner for the rule:
/// deduplication, identity linking, merging and validation all ask here.
/// They are not facts: they never identify anyone or anything, never count as evidence that two records
/// are one, and never reach an EHR record's identifiers.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal static class PlaceholderValues
{
    private const string DataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

    private static readonly FrozenSet<string> Words = new[]
    {
        // HL7 v3 NullFlavor codes, as C-CDA converters sometimes copy them into values.
        "UNK", "ASKU", "NAV", "NASK", "NI", "NA", "NP", "MSK", "OTH", "NINF", "PINF", "UNC", "DER", "TRC", "QS", "INV",
        "UNKNOWN", "NONE", "NULL", "N/A", "NOT APPLICABLE", "NOT AVAILABLE", "NOT ASKED", "ASKED BUT UNKNOWN", "MASKED", "-", "?",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private const string IdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";
    private const string UriSystem = "urn:ietf:rfc:3986";

    /// <summary>What EMRs type into identifier values for "none", upper case, punctuation removed.</summary>
    private static readonly FrozenSet<string> IdentifierNullWords = new[]
    {
        "UNK", "UNKNOWN", "ASKU", "NASK", "NAV", "NI", "NA", "NP", "MSK", "MASKED", "OTH", "NINF", "PINF", "QS", "TRC",
        "NONE", "NULL", "NIL", "EMPTY", "REFUSED", "DECLINED", "NOTGIVEN", "NOTAVAILABLE", "NOTAPPLICABLE", "X", "XX", "XXX",
        "TBD", "PENDING", "TEMP",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Published or famous specimen SSNs (advertising cards, documentation) that identify nobody.</summary>
    private static readonly FrozenSet<string> SpecimenSsns = new[] { "123456789", "078051120", "219099999" }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> SsnSystems = new[]
    {
        "http://hl7.org/fhir/sid/us-ssn", "urn:oid:2.16.840.1.113883.4.1", "2.16.840.1.113883.4.1",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a text value stands for "no value".</summary>
    /// <param name="value">The value.</param>
    /// <returns>Whether it is empty or a placeholder word.</returns>
    public static bool IsPlaceholder(string? value) => string.IsNullOrWhiteSpace(value) || Words.Contains(value.Trim());

    /// <summary>
    /// Whether an identifier carries no identity: a null flavour or filler word as the value, a value absent behind a
    /// data-absent-reason extension, a single character, one repeated digit (<c>000-00-0000</c>, <c>999-99-9999</c>), a
    /// C-CDA id converted without its extension (value <c>urn:oid:…</c> under system <c>urn:ietf:rfc:3986</c>), or an SSN
    /// the Social Security Administration never issues (area 000 or 666, group 00, serial 0000, the advertising range
    /// 987-65-4320 to 4329, specimen numbers such as 123-45-6789, more than nine digits or zero-padded). Area 900–999 is
    /// kept: it is an ITIN, a real number of the person (and Synthea uses it).
    /// </summary>
    /// <param name="identifier">The identifier.</param>
    /// <returns>Whether it identifies nothing.</returns>
    public static bool IsPlaceholder(Identifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (identifier.ValueElement?.Extension?.Any(e => e?.Url == DataAbsentReason) == true)
        {
            return true;
        }

        var value = identifier.Value;
        if (string.IsNullOrWhiteSpace(value) || Words.Contains(value.Trim()))
        {
            return true;
        }

        var alnum = new string(value.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray());
        if (alnum.Length <= 1 || IdentifierNullWords.Contains(alnum))
        {
            // Nothing, a null flavour, or a single character (an NPI "1" on a certification sample's Patient).
            return true;
        }

        if (identifier.System == UriSystem && value.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase))
        {
            // A C-CDA id with a root and no extension, converted: the OID of an identifier system (the SSN's
            // 2.16.840.1.113883.4.1 with the number left out) or a vendor's test root, shared by every patient it exports.
            return true;
        }

        var digits = new string(value.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length == alnum.Length && digits.Length >= 3 && digits.All(d => d == digits[0]))
        {
            // 0000000, 999-99-9999: a number made of one repeated digit.
            return true;
        }

        return IsSsn(identifier) && IsPlaceholderSsn(digits);
    }

    /// <summary>Whether <paramref name="identifier"/> is a US social security number (by system, OID or type <c>SS</c>).</summary>
    /// <param name="identifier">The identifier.</param>
    /// <returns>Whether it is an SSN.</returns>
    public static bool IsSsn(Identifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return identifier.System is { } system && SsnSystems.Contains(system.Trim())
            || identifier.Type?.Coding?.Any(c => c is not null && c.Code == "SS" && (c.System is null || c.System == IdentifierTypeSystem)) == true;
    }

    /// <summary>Whether the digits of an SSN are a number the SSA never issues to a person (nine digits), or one repeated digit.</summary>
    /// <param name="digits">The SSN's digits.</param>
    /// <returns>Whether it is a filler.</returns>
    public static bool IsPlaceholderSsn(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Length > 9 || digits.Length < 9 && digits.StartsWith("000", StringComparison.Ordinal))
        {
            // Too long to be an SSN (123-101-5230 on two different NIST test patients), or zero-padded (00000-623).
            return true;
        }

        if (digits.Length != 9)
        {
            // Partial numbers ("last four") and other national formats are judged only by the repeated-digit rule.
            return digits.Length > 0 && digits.All(d => d == digits[0]);
        }

        var area = digits.AsSpan(0, 3);
        return area.SequenceEqual("000") || area.SequenceEqual("666") || digits.StartsWith("98765432", StringComparison.Ordinal)
            || digits.AsSpan(3, 2).SequenceEqual("00") || digits.AsSpan(5, 4).SequenceEqual("0000")
            || digits.All(d => d == digits[0]) || SpecimenSsns.Contains(digits);
    }

    /// <summary>Removes a resource's placeholder identifiers (a placeholder is not a fact about anyone).</summary>
    /// <param name="resource">The resource (changed in place).</param>
    /// <returns>The number removed.</returns>
    public static int RemovePlaceholderIdentifiers(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return ResourceIdentifiers.ListOf(resource) is { } list ? list.RemoveAll(i => i is null || IsPlaceholder(i)) : 0;
    }
}
