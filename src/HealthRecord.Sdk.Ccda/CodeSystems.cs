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

    private static readonly FrozenDictionary<string, string> Systems = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["2.16.840.1.113883.6.96"] = Snomed,
        ["2.16.840.1.113883.6.1"] = Loinc,
        ["2.16.840.1.113883.6.8"] = Ucum,
        ["2.16.840.1.113883.6.88"] = "http://www.nlm.nih.gov/research/umls/rxnorm",
        ["2.16.840.1.113883.6.90"] = "http://hl7.org/fhir/sid/icd-10-cm",
        ["2.16.840.1.113883.6.3"] = "http://hl7.org/fhir/sid/icd-10",
        ["2.16.840.1.113883.6.4"] = "http://www.cms.gov/Medicare/Coding/ICD10",
        ["2.16.840.1.113883.6.103"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["2.16.840.1.113883.6.104"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["2.16.840.1.113883.6.2"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["2.16.840.1.113883.6.42"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["2.16.840.1.113883.12.292"] = "http://hl7.org/fhir/sid/cvx",
        ["2.16.840.1.113883.12.227"] = "http://hl7.org/fhir/sid/mvx",
        ["2.16.840.1.113883.6.59"] = "http://hl7.org/fhir/sid/cvx",
        ["2.16.840.1.113883.6.69"] = "http://hl7.org/fhir/sid/ndc",
        ["2.16.840.1.113883.6.12"] = "http://www.ama-assn.org/go/cpt",
        ["2.16.840.1.113883.6.285"] = "urn:oid:2.16.840.1.113883.6.285",
        ["2.16.840.1.113883.6.14"] = "urn:oid:2.16.840.1.113883.6.14",
        ["2.16.840.1.113883.6.13"] = "http://ada.org/cdt",
        ["2.16.840.1.113883.4.9"] = "http://fdasis.nlm.nih.gov",
        ["2.16.840.1.113883.3.26.1.1"] = "http://ncimeta.nci.nih.gov",
        ["2.16.840.1.113883.3.26.1.5"] = "http://hl7.org/fhir/ndfrt",
        ["2.16.840.1.113883.6.345"] = "http://va.gov/terminology/medrt",
        ["2.16.840.1.113883.6.73"] = "http://www.whocc.no/atc",
        ["2.16.840.1.113883.6.101"] = "http://nucc.org/provider-taxonomy",
        ["2.16.840.1.113883.6.238"] = "urn:oid:2.16.840.1.113883.6.238",
        ["2.16.840.1.113883.6.121"] = "urn:ietf:bcp:47",
        ["2.16.840.1.113883.6.301.5"] = "https://www.nubc.org/CodeSystem/PatDischargeStatus",
        ["2.16.840.1.113883.3.88.12.80.17"] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationFunction",
        ["2.16.840.1.113883.5.1"] = "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender",
        ["2.16.840.1.113883.5.2"] = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
        ["2.16.840.1.113883.5.4"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        ["2.16.840.1.113883.5.6"] = "http://terminology.hl7.org/CodeSystem/v3-ActClass",
        ["2.16.840.1.113883.5.7"] = "http://terminology.hl7.org/CodeSystem/v3-ActPriority",
        ["2.16.840.1.113883.5.8"] = "http://terminology.hl7.org/CodeSystem/v3-ActReason",
        ["2.16.840.1.113883.5.14"] = "http://terminology.hl7.org/CodeSystem/v3-ActStatus",
        ["2.16.840.1.113883.5.25"] = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
        ["2.16.840.1.113883.5.43"] = "http://terminology.hl7.org/CodeSystem/v3-EntityNamePartQualifier",
        ["2.16.840.1.113883.5.45"] = "http://terminology.hl7.org/CodeSystem/v3-EntityNameUse",
        ["2.16.840.1.113883.5.60"] = "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityMode",
        ["2.16.840.1.113883.5.61"] = "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityProficiency",
        ["2.16.840.1.113883.5.83"] = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        ["2.16.840.1.113883.5.85"] = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm",
        ["2.16.840.1.113883.5.88"] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationFunction",
        ["2.16.840.1.113883.5.89"] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode",
        ["2.16.840.1.113883.5.90"] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
        ["2.16.840.1.113883.5.104"] = "http://terminology.hl7.org/CodeSystem/v3-Race",
        ["2.16.840.1.113883.5.110"] = "http://terminology.hl7.org/CodeSystem/v3-RoleClass",
        ["2.16.840.1.113883.5.111"] = "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
        ["2.16.840.1.113883.5.112"] = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
        ["2.16.840.1.113883.5.129"] = "http://terminology.hl7.org/CodeSystem/v3-SpecimenType",
        ["2.16.840.1.113883.5.139"] = "http://terminology.hl7.org/CodeSystem/v3-TimingEvent",
        ["2.16.840.1.113883.5.1001"] = "http://terminology.hl7.org/CodeSystem/v3-ActMood",
        ["2.16.840.1.113883.5.1008"] = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
        ["2.16.840.1.113883.5.1063"] = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        ["2.16.840.1.113883.5.1076"] = "http://terminology.hl7.org/CodeSystem/v3-ReligiousAffiliation",
        ["2.16.840.1.113883.5.1119"] = "http://terminology.hl7.org/CodeSystem/v3-AddressUse",
        ["2.16.840.1.113883.5.4642"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        ["2.16.840.1.113883.1.11.19185"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        ["2.16.840.1.113883.12.112"] = "http://terminology.hl7.org/CodeSystem/v2-0112",
        ["2.16.840.1.113883.12.443"] = "http://terminology.hl7.org/CodeSystem/v2-0443",
        ["2.16.840.1.113883.18.2"] = "http://terminology.hl7.org/CodeSystem/v2-0001",
        ["2.16.840.1.113883.6.259"] = "https://www.cdc.gov/nhsn/cdaportal/terminology/codesystem/hsloc.html",
        ["2.16.840.1.113883.3.221.5"] = "https://nahdo.org/sopt",
    }.ToFrozenDictionary(StringComparer.Ordinal);

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
        if (Systems.TryGetValue(oid, out var uri))
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
