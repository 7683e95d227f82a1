using System.Collections.Frozen;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Terminology;

/// <summary>
/// Canonical URIs of the code systems EMRs use, and the normalisation that lets two sources' codings be
/// compared: C-CDA and HL7 v2 name systems by OID (<c>2.16.840.1.113883.6.96</c>, <c>urn:oid:…</c>),
/// FHIR by URI, and some exports add editions, trailing slashes or different letter case.
/// </summary>
/// <remarks>Thread-safe; the tables are immutable.</remarks>
public static class CodeSystems
{
    /// <summary>SNOMED CT.</summary>
    public const string Snomed = "http://snomed.info/sct";

    /// <summary>LOINC.</summary>
    public const string Loinc = "http://loinc.org";

    /// <summary>RxNorm.</summary>
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";

    /// <summary>CVX (vaccines administered).</summary>
    public const string Cvx = "http://hl7.org/fhir/sid/cvx";

    /// <summary>ICD-10-CM.</summary>
    public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";

    /// <summary>ICD-9-CM.</summary>
    public const string Icd9Cm = "http://hl7.org/fhir/sid/icd-9-cm";

    /// <summary>NDC (National Drug Code).</summary>
    public const string Ndc = "http://hl7.org/fhir/sid/ndc";

    /// <summary>UCUM.</summary>
    public const string Ucum = "http://unitsofmeasure.org";

    /// <summary>CPT.</summary>
    public const string Cpt = "http://www.ama-assn.org/go/cpt";

    /// <summary>MVX (vaccine manufacturers, HL7 v2 table 0227); the one URI every adapter writes.</summary>
    public const string Mvx = "http://hl7.org/fhir/sid/mvx";

    /// <summary>NCI Thesaurus (OID 2.16.840.1.113883.3.26.1.1), as the HL7 terminology names it.</summary>
    public const string NciThesaurus = "http://ncithesaurus-stage.nci.nih.gov";

    /// <summary>HCPCS Level II (OID 2.16.840.1.113883.6.285).</summary>
    public const string Hcpcs = "urn:oid:2.16.840.1.113883.6.285";

    /// <summary>CDT (dental procedures, OID 2.16.840.1.113883.6.13).</summary>
    public const string Cdt = "http://ada.org/cdt";

    /// <summary>The US National Provider Identifier.</summary>
    public const string Npi = "http://hl7.org/fhir/sid/us-npi";

    private static readonly FrozenDictionary<string, string> ByOid = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["2.16.840.1.113883.6.96"] = Snomed,
        ["2.16.840.1.113883.6.1"] = Loinc,
        ["2.16.840.1.113883.6.88"] = RxNorm,
        ["2.16.840.1.113883.12.292"] = Cvx,
        ["2.16.840.1.113883.6.90"] = Icd10Cm,
        ["2.16.840.1.113883.6.103"] = Icd9Cm,
        ["2.16.840.1.113883.6.104"] = Icd9Cm,
        ["2.16.840.1.113883.6.69"] = Ndc,
        ["2.16.840.1.113883.6.8"] = Ucum,
        ["2.16.840.1.113883.6.12"] = Cpt,
        ["2.16.840.1.113883.4.6"] = Npi,
        ["2.16.840.1.113883.6.259"] = "https://www.cdc.gov/nhsn/cdaportal/terminology/codesystem/hsloc.html",
        ["2.16.840.1.113883.6.238"] = "urn:oid:2.16.840.1.113883.6.238",
        ["2.16.840.1.113883.5.4"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        ["2.16.840.1.113883.5.1"] = "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender",
        ["2.16.840.1.113883.5.83"] = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        ["2.16.840.1.113883.3.26.1.1"] = NciThesaurus,
        ["2.16.840.1.113883.3.26.1.5"] = "http://hl7.org/fhir/ndfrt",
        ["2.16.840.1.113883.4.9"] = "http://fdasis.nlm.nih.gov",
        ["2.16.840.1.113883.6.101"] = "http://nucc.org/provider-taxonomy",
            ["2.16.840.1.113883.6.3"] = "http://hl7.org/fhir/sid/icd-10",
        ["2.16.840.1.113883.6.4"] = "http://www.cms.gov/Medicare/Coding/ICD10",
        ["2.16.840.1.113883.6.2"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["2.16.840.1.113883.6.42"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["2.16.840.1.113883.12.227"] = Mvx,
        ["2.16.840.1.113883.6.59"] = "http://hl7.org/fhir/sid/cvx",
        ["2.16.840.1.113883.6.285"] = Hcpcs,
        ["2.16.840.1.113883.6.14"] = "urn:oid:2.16.840.1.113883.6.14",
        ["2.16.840.1.113883.6.13"] = Cdt,
        ["2.16.840.1.113883.6.345"] = "http://va.gov/terminology/medrt",
        ["2.16.840.1.113883.6.73"] = "http://www.whocc.no/atc",
        ["2.16.840.1.113883.6.121"] = "urn:ietf:bcp:47",
        ["2.16.840.1.113883.6.301.5"] = "https://www.nubc.org/CodeSystem/PatDischargeStatus",
        ["2.16.840.1.113883.3.88.12.80.17"] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationFunction",
        ["2.16.840.1.113883.5.2"] = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
        ["2.16.840.1.113883.5.6"] = "http://terminology.hl7.org/CodeSystem/v3-ActClass",
        ["2.16.840.1.113883.5.7"] = "http://terminology.hl7.org/CodeSystem/v3-ActPriority",
        ["2.16.840.1.113883.5.8"] = "http://terminology.hl7.org/CodeSystem/v3-ActReason",
        ["2.16.840.1.113883.5.14"] = "http://terminology.hl7.org/CodeSystem/v3-ActStatus",
        ["2.16.840.1.113883.5.25"] = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
        ["2.16.840.1.113883.5.43"] = "http://terminology.hl7.org/CodeSystem/v3-EntityNamePartQualifier",
        ["2.16.840.1.113883.5.45"] = "http://terminology.hl7.org/CodeSystem/v3-EntityNameUse",
        ["2.16.840.1.113883.5.60"] = "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityMode",
        ["2.16.840.1.113883.5.61"] = "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityProficiency",
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
        ["2.16.840.1.113883.3.221.5"] = "https://nahdo.org/sopt",
}.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> ByAlias = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["http://snomed.info/sct"] = Snomed,
        ["https://snomed.info/sct"] = Snomed,
        ["http://www.snomed.org"] = Snomed,
        ["http://snomed.org"] = Snomed,
        ["http://snomed.org/sct"] = Snomed,
        ["snomed"] = Snomed,
        ["snomed ct"] = Snomed,
        ["snomed-ct"] = Snomed,
        ["sct"] = Snomed,
        ["http://loinc.org"] = Loinc,
        ["https://loinc.org"] = Loinc,
        ["loinc"] = Loinc,
        ["ln"] = Loinc,
        ["http://www.nlm.nih.gov/research/umls/rxnorm"] = RxNorm,
        ["https://www.nlm.nih.gov/research/umls/rxnorm"] = RxNorm,
        ["rxnorm"] = RxNorm,
        ["http://hl7.org/fhir/sid/cvx"] = Cvx,
        ["cvx"] = Cvx,
        ["http://hl7.org/fhir/sid/icd-10-cm"] = Icd10Cm,
        ["http://hl7.org/fhir/sid/icd-10"] = Icd10Cm,
        ["icd-10-cm"] = Icd10Cm,
        ["icd10cm"] = Icd10Cm,
        ["i10"] = Icd10Cm,
        ["http://hl7.org/fhir/sid/icd-9-cm"] = Icd9Cm,
        ["icd-9-cm"] = Icd9Cm,
        ["i9"] = Icd9Cm,
        ["http://hl7.org/fhir/sid/ndc"] = Ndc,
        ["ndc"] = Ndc,
        ["http://unitsofmeasure.org"] = Ucum,
        ["ucum"] = Ucum,
        ["http://www.ama-assn.org/go/cpt"] = Cpt,
        ["cpt"] = Cpt,
        ["http://hl7.org/fhir/sid/us-npi"] = Npi,
        ["npi"] = Npi,
        ["http://hl7.org/fhir/sid/mvx"] = Mvx,
        ["http://terminology.hl7.org/CodeSystem/MVX"] = Mvx,
        ["http://terminology.hl7.org/CodeSystem/v2-0227"] = Mvx,
        ["mvx"] = Mvx,
        ["http://ncithesaurus-stage.nci.nih.gov"] = NciThesaurus,
        ["http://ncit.nci.nih.gov"] = NciThesaurus,
        ["ncit"] = NciThesaurus,
        ["nci thesaurus"] = NciThesaurus,
        ["hcpcs"] = Hcpcs,
        ["cdt"] = Cdt,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The code systems C-CDA writers name in <c>codeSystemName</c>, in the spellings the corpus shows (compared without case, spaces, hyphens or underscores).</summary>
    private static readonly FrozenDictionary<string, string> ByName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["snomed"] = Snomed, ["snomedct"] = Snomed, ["sct"] = Snomed, ["snomedctus"] = Snomed,
        ["loinc"] = Loinc, ["ln"] = Loinc,
        ["rxnorm"] = RxNorm,
        ["cvx"] = Cvx,
        ["icd10cm"] = Icd10Cm, ["icd10"] = Icd10Cm,
        ["icd9cm"] = Icd9Cm, ["icd9"] = Icd9Cm,
        ["ndc"] = Ndc,
        ["ucum"] = Ucum,
        ["cpt"] = Cpt, ["cpt4"] = Cpt,
        ["hcpcs"] = Hcpcs, ["hcpcsl2"] = Hcpcs, ["hcpcslevelii"] = Hcpcs,
        ["cdt"] = Cdt, ["cdt2"] = Cdt,
        ["mvx"] = Mvx,
        ["ncithesaurus"] = NciThesaurus, ["ncit"] = NciThesaurus, ["nci"] = NciThesaurus, ["nationalcancerinstitutencithesaurus"] = NciThesaurus,
        ["vaccinesadministeredcvx"] = Cvx, ["icd9diagnosis"] = Icd9Cm, ["icd9cmdiagnosiscodes"] = Icd9Cm, ["icd10diagnosis"] = Icd10Cm,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The FHIR URI of a code system known by its OID (the one table every adapter uses).</summary>
    /// <param name="oid">A bare OID.</param>
    /// <returns>The URI, or <see langword="null"/> when the OID is not a known code system.</returns>
    public static string? FromOid(string? oid) =>
        oid is not null && ByOid.TryGetValue(oid.Trim(), out var uri) ? uri : null;

    /// <summary>
    /// The URI of a code system known by the name a document writes beside its OID (C-CDA <c>codeSystemName</c>):
    /// SNOMED CT, LOINC, RxNorm, CVX, ICD-10-CM, ICD-9-CM, NDC, UCUM, CPT, HCPCS, CDT, MVX, NCI Thesaurus.
    /// </summary>
    /// <param name="name">The name as written; case, spaces, hyphens, underscores and dots do not matter.</param>
    /// <returns>The URI, or <see langword="null"/> for a name the table does not know.</returns>
    public static string? FromName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var key = new string([.. name.Where(ch => char.IsAsciiLetterOrDigit(ch))]);
        return ByName.TryGetValue(key, out var uri) ? uri : null;
    }

    /// <summary>The canonical URI of a code system as a source names it.</summary>
    /// <param name="system">A URI, an <c>urn:oid:</c>, a bare OID or a common alias; may be <see langword="null"/>.</param>
    /// <returns>The canonical URI; an unknown system comes back trimmed and without a trailing slash; <see langword="null"/> for none.</returns>
    /// <example><c>Normalize("urn:oid:2.16.840.1.113883.6.96")</c> is <c>http://snomed.info/sct</c>.</example>
    public static string? Normalize(string? system)
    {
        if (string.IsNullOrWhiteSpace(system))
        {
            return null;
        }

        // Sources use few systems: each spelling is normalised once. The size check runs only on a miss,
        // because ConcurrentDictionary.Count takes every lock of the dictionary.
        if (Normalized.TryGetValue(system, out var cached))
        {
            return cached;
        }

        var normalized = NormalizeUncached(system);
        if (Normalized.Count < 4096)
        {
            Normalized.TryAdd(system, normalized);
        }

        return normalized;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Normalized = new(StringComparer.Ordinal);

    private static string NormalizeUncached(string system)
    {
        // Some converters write "urn: oid: 2.16…" or wrap lines inside the value: whitespace never belongs in a system URI.
        var s = RemoveWhitespace(system).TrimEnd('/');
        if (ByAlias.TryGetValue(s, out var known))
        {
            return known;
        }

        var oid = s.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase) ? s[8..] : s;
        if (ByOid.TryGetValue(oid, out known))
        {
            return known;
        }

        // SNOMED CT editions and versions (http://snomed.info/sct/731000124108/version/…) are the same code system.
        if (s.StartsWith("http://snomed.info/sct/", StringComparison.OrdinalIgnoreCase))
        {
            return Snomed;
        }

        return IsBareOid(s) ? "urn:oid:" + s : s;
    }

    /// <summary>The code as it compares across sources: trimmed; ICD codes upper-case without the dot; NDC without hyphens.</summary>
    /// <param name="normalizedSystem">The system from <see cref="Normalize"/>.</param>
    /// <param name="code">The code.</param>
    /// <returns>The comparable code, or <see langword="null"/> when there is none.</returns>
    public static string? NormalizeCode(string? normalizedSystem, string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return null;
        }

        var c = code.Trim();
        return normalizedSystem switch
        {
            Icd10Cm or Icd9Cm => c.Replace(".", "", StringComparison.Ordinal).ToUpperInvariant(),
            Ndc => c.Replace("-", "", StringComparison.Ordinal),
            _ => c,
        };
    }

    /// <summary>A key <c>system|code</c> that two sources' codings of the same concept share.</summary>
    /// <param name="coding">The coding.</param>
    /// <returns>The key, or <see langword="null"/> when the coding has no system or no code.</returns>
    public static string? KeyOf(Coding? coding)
    {
        if (coding is null)
        {
            return null;
        }

        var system = Normalize(coding.System);
        var code = NormalizeCode(system, coding.Code);
        return system is null || code is null ? null : system + "|" + code;
    }

    /// <summary>The distinct <c>system|code</c> keys of a concept, in ordinal order.</summary>
    /// <param name="concept">The concept.</param>
    /// <returns>The keys; empty when the concept has no usable coding.</returns>
    public static IReadOnlyList<string> KeysOf(CodeableConcept? concept)
    {
        if (concept is null || concept.Coding.Count == 0)
        {
            return [];
        }

        var keys = new List<string>(concept.Coding.Count);
        foreach (var c in concept.Coding)
        {
            if (KeyOf(c) is { } k && !keys.Contains(k))
            {
                keys.Add(k);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    private static string RemoveWhitespace(string text)
    {
        var span = text.AsSpan().Trim();
        if (!span.ContainsAny(" \t\r\n"))
        {
            return span.ToString();
        }

        var sb = new System.Text.StringBuilder(span.Length);
        foreach (var ch in span)
        {
            if (!char.IsWhiteSpace(ch))
            {
                sb.Append(ch);
            }
        }

        return sb.ToString();
    }

    private static bool IsBareOid(string s)
    {
        if (s.Length < 3 || !char.IsAsciiDigit(s[0]) || !s.Contains('.', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var ch in s)
        {
            if (!char.IsAsciiDigit(ch) && ch != '.')
            {
                return false;
            }
        }

        return true;
    }
}
