using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Security;

/// <summary>
/// The clinical codes of a record: the codings of the elements that say what the record is about
/// (<c>code</c>, <c>vaccineCode</c>, <c>medication</c> (a referenced or contained Medication's code included),
/// <c>value</c>, <c>reasonCode</c>, <c>conclusionCode</c>, <c>diagnosis</c>, <c>substance</c>, and the <c>type</c>
/// of documents), at any depth outside <c>meta</c>, <c>text</c> and <c>contained</c>. Used by the labelers and by
/// consent <c>provision.code</c> matching.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public static class ClinicalCodes
{
    /// <summary>SNOMED CT.</summary>
    public const string Snomed = "http://snomed.info/sct";

    /// <summary>LOINC.</summary>
    public const string Loinc = "http://loinc.org";

    /// <summary>RxNorm.</summary>
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";

    /// <summary>ICD-10-CM (ICD-10 WHO codes are compared in the same space).</summary>
    public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";

    /// <summary>ICD-9-CM (diagnoses); older records and HL7 v2 feeds still carry it.</summary>
    public const string Icd9Cm = "http://hl7.org/fhir/sid/icd-9-cm";

    private static readonly HashSet<string> CodeElements = new(StringComparer.Ordinal)
    {
        "code", "vaccineCode", "medication", "value", "reasonCode", "conclusionCode", "diagnosis", "substance", "item",
    };

    private static readonly HashSet<string> DocumentTypes = new(StringComparer.Ordinal) { "DocumentReference", "Composition" };

    /// <summary>The record's clinical codes, canonical (see <see cref="Canonical"/>), without duplicates, in document order.</summary>
    /// <param name="resource">The record.</param>
    /// <param name="resolve">Resolves a reference (to read a referenced Medication's code); may be <see langword="null"/>.</param>
    /// <returns>The codes.</returns>
    public static IReadOnlyList<CodeKey> Of(Resource resource, Func<ResourceReference, Resource?>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var seen = new HashSet<CodeKey>();
        var result = new List<CodeKey>();
        void Add(Coding c)
        {
            if (!string.IsNullOrEmpty(c.Code) && seen.Add(Canonical(c.System, c.Code)))
            {
                result.Add(Canonical(c.System, c.Code));
            }
        }

        void Take(object? value, bool resolveMedication)
        {
            switch (value)
            {
                case CodeableConcept cc:
                    foreach (var c in cc.Coding)
                    {
                        Add(c);
                    }

                    break;
                case Coding c:
                    Add(c);
                    break;
                case ResourceReference r when resolveMedication && resolve?.Invoke(r) is Medication m && m.Code is not null:
                    Take(m.Code, false);
                    break;
            }
        }

        if (DocumentTypes.Contains(resource.TypeName) && resource.TryGetValue("type", out var docType))
        {
            Take(docType, false);
        }

        var stack = new Stack<Base>();
        stack.Push(resource);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            foreach (var child in node.EnumerateElements())
            {
                if (child.Key is "meta" or "text" or "contained" or "extension" or "modifierExtension" or "identifier")
                {
                    continue;
                }

                var items = child.Value is System.Collections.IEnumerable list and not string ? list.Cast<object>() : [child.Value];
                foreach (var item in items)
                {
                    if (CodeElements.Contains(child.Key))
                    {
                        Take(item, child.Key is "medication" or "item");
                    }

                    if (item is Base b and not PrimitiveType and not CodeableConcept and not Coding && b is not Resource)
                    {
                        stack.Push(b);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The canonical form of a code: OIDs and aliases (<c>$SNOMED</c>, <c>$ICD10</c>, <c>$LOINC</c>, <c>$RXNORM</c>,
    /// <c>$ACT-CODE</c>, <c>$ICD9</c>) and trailing slashes become the canonical system URL; ICD-10 and ICD-9-CM codes lose
    /// their dot and are upper case.
    /// </summary>
    /// <param name="system">The system as written (may be empty).</param>
    /// <param name="code">The code.</param>
    /// <returns>The key.</returns>
    public static CodeKey Canonical(string? system, string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var s = CanonicalSystem(system);
        var c = code.Trim();
        if (s is Icd10Cm or Icd9Cm)
        {
            c = c.Replace(".", "", StringComparison.Ordinal).ToUpperInvariant();
        }

        return new CodeKey(s, c);
    }

    /// <summary>The canonical system URL (see <see cref="Canonical"/>).</summary>
    /// <param name="system">The system as written.</param>
    /// <returns>The canonical system, or an empty string.</returns>
    public static string CanonicalSystem(string? system)
    {
        if (string.IsNullOrWhiteSpace(system))
        {
            return "";
        }

        var s = system.Trim().TrimEnd('/');
        return s.ToUpperInvariant() switch
        {
            "$SNOMED" or "$SCT" or "URN:OID:2.16.840.1.113883.6.96" or "HTTP://SNOMED.INFO/SCT" => Snomed,
            "$LOINC" or "URN:OID:2.16.840.1.113883.6.1" or "HTTP://LOINC.ORG" or "HTTPS://LOINC.ORG" => Loinc,
            "$RXNORM" or "URN:OID:2.16.840.1.113883.6.88" or "HTTP://WWW.NLM.NIH.GOV/RESEARCH/UMLS/RXNORM" => RxNorm,
            "$ICD10" or "$ICD10CM" or "$ICD-10" or "$ICD-10-CM" or "URN:OID:2.16.840.1.113883.6.90" or "URN:OID:2.16.840.1.113883.6.3"
                or "HTTP://HL7.ORG/FHIR/SID/ICD-10-CM" or "HTTP://HL7.ORG/FHIR/SID/ICD-10" => Icd10Cm,
            "$ICD9" or "$ICD9CM" or "$ICD-9-CM" or "URN:OID:2.16.840.1.113883.6.103" or "URN:OID:2.16.840.1.113883.6.2"
                or "HTTP://HL7.ORG/FHIR/SID/ICD-9-CM" or "HTTP://HL7.ORG/FHIR/SID/ICD-9" => Icd9Cm,
            "$ACT-CODE" or "$ACTCODE" => SecurityLabelSystems.ActCode,
            "$CONFIDENTIALITY" => SecurityLabelSystems.Confidentiality,
            _ => SecurityLabelSystems.NormalizeSystem(Terminology.CodeSystems.Normalize(s) ?? s),
        };
    }
}

/// <summary>A code in canonical form (see <see cref="ClinicalCodes.Canonical"/>).</summary>
/// <param name="System">The canonical system URL (empty when the source gave none).</param>
/// <param name="Code">The code.</param>
public readonly record struct CodeKey(string System, string Code)
{
    /// <inheritdoc />
    public override string ToString() => $"{System}|{Code}";
}
