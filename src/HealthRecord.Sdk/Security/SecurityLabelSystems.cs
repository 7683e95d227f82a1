using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Security;

/// <summary>Code systems, extension URLs and codes of HL7 security labels (DS4P) that the SDK reads and writes.</summary>
public static class SecurityLabelSystems
{
    /// <summary>HL7 v3 Confidentiality (U, L, M, N, R, V).</summary>
    public const string Confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

    /// <summary>HL7 v3 ActCode: sensitivity (ETH, PSY, HIV, …), policy (42CFRPart2) and refrain (NORDSCLCD) codes.</summary>
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    /// <summary>HL7 v3 ActReason: purposes of use (TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, BTG, …).</summary>
    public const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

    /// <summary>HL7 v3 ObservationValue: integrity and alteration labels (MASKED, REDACTED).</summary>
    public const string ObservationValue = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

    /// <summary>The DS4P extension that records why a label was assigned (on a <c>meta.security</c> coding).</summary>
    public const string BasisExtension = "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-sec-label-basis";

    /// <summary>The DS4P extension that labels a single element (inline label).</summary>
    public const string InlineLabelExtension = "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-inline-sec-label";

    /// <summary>
    /// The system prefix of the basis codings the SDK writes: <c>urn:healthrecord-sdk:label-rule:{rule set}</c>,
    /// with the rule id as code and the rule-set version as version. Labels carrying such a basis are the SDK's own
    /// and are recomputed when the rules change; other labels are kept as they are.
    /// </summary>
    public const string RuleBasisSystemPrefix = "urn:healthrecord-sdk:label-rule:";

    /// <summary>The 42 CFR Part 2 policy code (v3-ActCode).</summary>
    public const string Part2Policy = "42CFRPart2";

    /// <summary>The "no redisclosure without consent directive" refrain code (v3-ActCode).</summary>
    public const string NoRedisclosure = "NORDSCLCD";

    private static readonly string[] ConfidentialityOrder = ["U", "L", "M", "N", "R", "V"];

    /// <summary>Whether the coding is a confidentiality code (the ValueSet URL spelling is accepted too).</summary>
    /// <param name="coding">The coding.</param>
    /// <returns><see langword="true"/> for v3-Confidentiality codes.</returns>
    public static bool IsConfidentiality(Coding coding)
    {
        ArgumentNullException.ThrowIfNull(coding);
        return NormalizeSystem(coding.System) == Confidentiality && ConfidentialityRank(coding.Code) >= 0;
    }

    /// <summary>The rank of a confidentiality code: U=0, L=1, M=2, N=3, R=4, V=5; -1 when unknown.</summary>
    /// <param name="code">The code.</param>
    /// <returns>The rank.</returns>
    public static int ConfidentialityRank(string? code) => code is null ? -1 : Array.IndexOf(ConfidentialityOrder, code);

    /// <summary>The confidentiality code of a rank (see <see cref="ConfidentialityRank"/>).</summary>
    /// <param name="rank">The rank, 0 to 5.</param>
    /// <returns>The code.</returns>
    public static string ConfidentialityCode(int rank) => ConfidentialityOrder[Math.Clamp(rank, 0, ConfidentialityOrder.Length - 1)];

    /// <summary>A confidentiality coding with its display.</summary>
    /// <param name="code">U, L, M, N, R or V.</param>
    /// <returns>The coding.</returns>
    public static Coding ConfidentialityCoding(string code) => new(Confidentiality, code, code switch
    {
        "U" => "unrestricted",
        "L" => "low",
        "M" => "moderate",
        "N" => "normal",
        "R" => "restricted",
        "V" => "very restricted",
        _ => code,
    });

    /// <summary>
    /// The canonical code system of a label or purpose system: the ValueSet URLs that some consents use
    /// (<c>…/ValueSet/v3-InformationSensitivityPolicy</c>, <c>…/ValueSet/v3-PurposeOfUse</c>, …) map to their code
    /// system, the old <c>hl7.org/fhir/v3/…</c> URLs to the terminology URLs, and a trailing slash is dropped.
    /// </summary>
    /// <param name="system">The system as written.</param>
    /// <returns>The canonical system, or an empty string for none.</returns>
    public static string NormalizeSystem(string? system)
    {
        if (string.IsNullOrEmpty(system))
        {
            return "";
        }

        var s = system.TrimEnd('/');
        var name = s[(s.LastIndexOf('/') + 1)..];
        if (s.StartsWith("http://terminology.hl7.org/", StringComparison.Ordinal) || s.StartsWith("http://hl7.org/fhir/v3/", StringComparison.Ordinal))
        {
            return name switch
            {
                "v3-InformationSensitivityPolicy" or "v3-ActCode" or "ActCode" or "v3-SecurityPolicy" or "v3-ActPrivacyPolicy"
                    or "v3-ActCodeSensitivityPolicy" or "InformationSensitivityPolicy" or "v3-RefrainPolicy" or "v3-ObligationPolicy"
                    or "v3-ActPrivacyLaw" or "v3-ActConsentDirective" => ActCode,
                "v3-Confidentiality" or "Confidentiality" or "v3-ConfidentialityClassification" or "security-label-confidentiality" => Confidentiality,
                "v3-PurposeOfUse" or "v3-ActReason" or "ActReason" => ActReason,
                "v3-ObservationValue" or "ObservationValue" or "v3-SecurityIntegrityObservationValue" => ObservationValue,
                _ => s,
            };
        }

        return s;
    }
}
