using System.Collections.Frozen;

namespace HealthRecord.Sdk.Ccda;

/// <summary>Maps the OIDs C-CDA uses for code systems and identifier namespaces to FHIR URIs.</summary>
public static class CodeSystems
{
    /// <summary>SNOMED CT.</summary>
    public const string Snomed = "http://snomed.info/sct";

    /// <summary>LOINC.</summary>
    public const string Loinc = "http://loinc.org";

    /// <summary>UCUM.</summary>
    public const string Ucum = "http://unitsofmeasure.org";

    /// <summary>HL7 data-absent-reason.</summary>
    public const string DataAbsentReason = "http://terminology.hl7.org/CodeSystem/data-absent-reason";


    private static readonly FrozenDictionary<string, string> IdentifierSystems = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["2.16.840.1.113883.4.1"] = "http://hl7.org/fhir/sid/us-ssn",
        ["2.16.840.1.113883.4.6"] = "http://hl7.org/fhir/sid/us-npi",
        ["2.16.840.1.113883.4.2"] = "urn:oid:2.16.840.1.113883.4.2",
        ["2.16.840.1.113883.4.572"] = "http://hl7.org/fhir/sid/us-medicare",
        ["2.16.840.1.113883.4.927"] = "http://hl7.org/fhir/sid/us-mbi",
        ["2.16.840.1.113883.3.3719"] = "http://hl7.org/fhir/NamingSystem/fda-udi",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The FHIR code-system URI for a C-CDA <c>codeSystem</c> OID.</summary>
    /// <param name="oid">The OID (or, as some vendors write, a URI already).</param>
    /// <returns>The known URI, else <c>urn:oid:{oid}</c>; <see langword="null"/> for an empty input.</returns>
    public static string? ToUri(string? oid)
    {
        if (string.IsNullOrWhiteSpace(oid))
        {
            return null;
        }

        oid = oid.Trim();
        if (HealthRecord.Sdk.Terminology.CodeSystems.FromOid(oid) is { } uri)
        {
            return uri;
        }

        if (oid.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) || oid.StartsWith("http", StringComparison.OrdinalIgnoreCase))
        {
            return oid;
        }

        return IsOid(oid) ? "urn:oid:" + oid : (Guid.TryParse(oid, out _) ? "urn:uuid:" + oid.ToLowerInvariant() : null);
    }

    /// <summary>The FHIR identifier system for a C-CDA <c>id/@root</c> used with an <c>extension</c>.</summary>
    /// <param name="root">The root OID or UUID.</param>
    /// <returns>The known URI (SSN, NPI, …), else <c>urn:oid:</c>/<c>urn:uuid:</c> of the root.</returns>
    public static string? IdentifierSystem(string? root)
    {
        if (string.IsNullOrWhiteSpace(root))
        {
            return null;
        }

        root = root.Trim();
        if (IdentifierSystems.TryGetValue(root, out var uri))
        {
            return uri;
        }

        if (IsOid(root))
        {
            return "urn:oid:" + root;
        }

        return Guid.TryParse(root, out _) ? "urn:uuid:" + root.ToLowerInvariant() : (root.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) || root.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? root : null);
    }

    internal static bool IsOid(string value)
    {
        if (value.Length == 0 || !char.IsAsciiDigit(value[0]) || !char.IsAsciiDigit(value[^1]))
        {
            return false;
        }

        var previousDot = false;
        foreach (var c in value)
        {
            if (c == '.')
            {
                if (previousDot)
                {
                    return false;
                }

                previousDot = true;
            }
            else if (char.IsAsciiDigit(c))
            {
                previousDot = false;
            }
            else
            {
                return false;
            }
        }

        return true;
    }
}
