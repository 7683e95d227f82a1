using System.Collections.Frozen;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>
/// Values that stand for "no value": HL7 null flavors written as values (<c>UNK</c>, <c>ASKU</c>, <c>NI</c>…),
/// words such as <c>unknown</c> or <c>none</c>, an element carrying only a data-absent-reason, and social
/// security numbers that are fillers (<c>000-00-0000</c>, <c>999-99-9999</c>, area 000 or 666, group 00,
/// serial 0000, one digit repeated). Area 9xx is kept: never issued as an SSN, but test data (Synthea) and
/// some EMRs use it for real people's stand-in numbers, and identity linking may rely on it.
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

    private static readonly FrozenSet<string> SsnSystems = new[]
    {
        "http://hl7.org/fhir/sid/us-ssn", "urn:oid:2.16.840.1.113883.4.1", "2.16.840.1.113883.4.1",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a text value stands for "no value".</summary>
    /// <param name="value">The value.</param>
    /// <returns>Whether it is empty or a placeholder word.</returns>
    public static bool IsPlaceholder(string? value) => string.IsNullOrWhiteSpace(value) || Words.Contains(value.Trim());

    /// <summary>Whether an identifier is a placeholder: no real value, a null flavor, or an SSN that cannot exist.</summary>
    /// <param name="identifier">The identifier.</param>
    /// <returns>Whether it identifies nothing.</returns>
    public static bool IsPlaceholder(Identifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (IsPlaceholder(identifier.Value) || identifier.ValueElement?.GetExtension(DataAbsentReason) is not null)
        {
            return true;
        }

        return identifier.System is { } system && SsnSystems.Contains(system.Trim()) && !IsPossibleSsn(identifier.Value!);
    }

    /// <summary>Removes a resource's placeholder identifiers.</summary>
    /// <param name="resource">The resource (changed in place).</param>
    /// <returns>The number removed.</returns>
    public static int RemovePlaceholderIdentifiers(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return ResourceIdentifiers.ListOf(resource) is { } list ? list.RemoveAll(IsPlaceholder) : 0;
    }

    // A US social security number that is not a filler: nine digits, area not 000 or 666, group not 00, serial not 0000,
    // and not one digit repeated.
    private static bool IsPossibleSsn(string value)
    {
        Span<char> digits = stackalloc char[9];
        var n = 0;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                if (n == 9)
                {
                    return false;
                }

                digits[n++] = c;
            }
            else if (c is not ('-' or ' '))
            {
                return false;
            }
        }

        if (n != 9)
        {
            return false;
        }

        var area = digits[..3];
        return !area.SequenceEqual("000") && !area.SequenceEqual("666")
            && !digits.Slice(3, 2).SequenceEqual("00") && !digits[5..].SequenceEqual("0000")
            && digits.Count(digits[0]) != 9;
    }
}
