using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Recognises identifiers that carry no identity: a null flavour written as the value (<c>UNK</c>, <c>ASKU</c>, <c>N/A</c>),
/// a value absent behind a data-absent-reason extension, a number made of one repeated digit (<c>000-00-0000</c>,
/// <c>999-99-9999</c>), and SSNs the Social Security Administration never issues (area 000 or 666, group 00, serial 0000,
/// the advertising range 987-65-4320 to 4329, and specimen numbers such as 123-45-6789 and 078-05-1120). Area 900–999 is kept:
/// it is an ITIN, a real number of the person. Such a value is never identity evidence: the matcher ignores it, and it
/// does not belong on the golden Patient. Also: a single-character value, a C-CDA id converted without its extension (value
/// <c>urn:oid:…</c> under system <c>urn:ietf:rfc:3986</c>), an SSN of more than nine digits or zero-padded (<c>00000-623</c>).
/// </summary>
internal static class PlaceholderIdentifiers
{
    private const string SsnSystem = "http://hl7.org/fhir/sid/us-ssn";
    private const string SsnOid = "urn:oid:2.16.840.1.113883.4.1";
    private const string IdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";
    private const string UriSystem = "urn:ietf:rfc:3986";
    private const string DataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

    /// <summary>Values that stand for "no value" (HL7 v3 null flavours and what EMRs type instead), upper case, punctuation removed.</summary>
    private static readonly HashSet<string> NullWords = new(StringComparer.Ordinal)
    {
        "UNK", "UNKNOWN", "ASKU", "NASK", "NAV", "NI", "NA", "NP", "MSK", "MASKED", "OTH", "NINF", "PINF", "QS", "TRC",
        "NONE", "NULL", "NIL", "EMPTY", "REFUSED", "DECLINED", "NOTGIVEN", "NOTAVAILABLE", "NOTAPPLICABLE", "X", "XX", "XXX",
        "TBD", "PENDING", "TEMP",
    };

    /// <summary>Published or famous specimen SSNs (advertising cards, documentation) that identify nobody.</summary>
    private static readonly HashSet<string> SpecimenSsns = new(StringComparer.Ordinal) { "123456789", "078051120", "219099999" };

    /// <summary>Whether <paramref name="identifier"/> is an SSN (by system, OID or type <c>SS</c>).</summary>
    public static bool IsSsn(Identifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return identifier.System is SsnSystem or SsnOid
            || identifier.Type?.Coding?.Any(c => c is not null && c.Code == "SS" && (c.System is null || c.System == IdentifierTypeSystem)) == true;
    }

    /// <summary>Whether the identifier carries no identity (see the class remarks).</summary>
    public static bool IsPlaceholder(Identifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (identifier.ValueElement?.Extension?.Any(e => e?.Url == DataAbsentReason) == true)
        {
            return true;
        }

        var value = identifier.Value;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        var alnum = new string(value.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray());
        if (alnum.Length <= 1 || NullWords.Contains(alnum))
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

    /// <summary>Whether the digits of an SSN are a number the SSA never issues to a person (nine digits), or one repeated digit.</summary>
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

    /// <summary>
    /// Removes placeholder identifiers from <paramref name="patient"/> (for the golden Patient: a placeholder is not a fact
    /// about the person). Returns how many were removed.
    /// </summary>
    public static int RemoveFrom(Patient patient)
    {
        ArgumentNullException.ThrowIfNull(patient);
        return patient.Identifier?.RemoveAll(i => i is null || IsPlaceholder(i)) ?? 0;
    }
}
