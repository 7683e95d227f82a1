namespace HealthRecord.Sdk.Deidentification;

/// <summary>The default rules: HIPAA Safe Harbor's 18 identifiers in every resource and element (docs/research-exports.md).</summary>
public static class SafeHarborRules
{
    /// <summary>The code system of the HIPAA identifier types removed outright (HL7 v2 table 0203).</summary>
    public const string IdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";

    /// <summary>
    /// Identifiers Safe Harbor names and that are removed rather than pseudonymised: SSN, medical record, health plan
    /// member and subscriber, account, licence, passport, Medicare/Medicaid numbers.
    /// </summary>
    public const string HipaaIdentifierPredicate =
        "type.coding.where(system = '" + IdentifierTypeSystem + "' and code in ('SS' | 'SB' | 'MR' | 'MRT' | 'MB' | 'SN' | 'AN' | 'ACSN' | 'DL' | 'PPN' | 'MA' | 'MC' | 'MCN' | 'BA' | 'BC' | 'NH' | 'NIIP' | 'PEN' | 'DR' | 'CZ' | 'VS')).exists()"
        + " or system in ('http://hl7.org/fhir/sid/us-ssn' | 'urn:oid:2.16.840.1.113883.4.1' | 'http://hl7.org/fhir/sid/us-medicare' | 'http://hl7.org/fhir/sid/us-mbi')"
        + " or system.startsWith('urn:oid:2.16.840.1.113883.4.3.') or system.startsWith('http://hl7.org/fhir/sid/passport')";

    /// <summary>The Safe Harbor rules, in the order they are tried.</summary>
    /// <param name="mode">How dates are treated (year, or shift): both use <see cref="DeidentificationMethod.Generalize"/>.</param>
    /// <returns>The rules.</returns>
    public static IReadOnlyList<DeidentificationRule> For(DeidentificationMode mode)
    {
        _ = mode;
        return Default;
    }

    private static readonly IReadOnlyList<DeidentificationRule> Default =
    [
        // Whole resources that only carry identifying or operational content.
        new("Provenance", DeidentificationMethod.Remove, "provenance (source organisations and record ids)"),
        new("AuditEvent", DeidentificationMethod.Remove, "audit events (network addresses)"),
        new("Binary", DeidentificationMethod.Remove, "binary content"),
        new("Media", DeidentificationMethod.Remove, "photographs and media"),
        new("Endpoint", DeidentificationMethod.Remove, "endpoints (URLs)"),

        // Free text and attachments: never passed through.
        new("nodesByType('Narrative')", DeidentificationMethod.Scrub, "narrative"),
        new("nodesByType('Annotation')", DeidentificationMethod.Scrub, "notes and comments"),
        new("nodesByType('Attachment')", DeidentificationMethod.Remove, "attachments (documents, photographs, biometrics)"),
        new("nodesByType('Signature')", DeidentificationMethod.Remove, "signatures"),

        // Names, contacts, geography.
        new("nodesByType('HumanName')", DeidentificationMethod.Remove, "names"),
        new("nodesByType('ContactPoint')", DeidentificationMethod.Remove, "phone, fax, email, URL"),
        new("nodesByType('Address')", DeidentificationMethod.Generalize, "addresses (state, 3-digit ZIP)"),
        new("Location.position", DeidentificationMethod.Remove, "geographic coordinates"),

        // Identifiers: HIPAA's named ones removed, device identifiers removed, the others pseudonymised.
        new("nodesByType('Identifier').where(" + HipaaIdentifierPredicate + ")", DeidentificationMethod.Remove, "SSN, MRN, plan, account, licence numbers"),
        new("Device.identifier", DeidentificationMethod.Remove, "device identifiers"),
        new("Device.udiCarrier", DeidentificationMethod.Remove, "device identifiers (UDI)"),
        new("nodesByType('Identifier')", DeidentificationMethod.Pseudonymize, "other identifiers"),
        new("nodesByType('Reference')", DeidentificationMethod.Pseudonymize, "references"),
        new("Resource.id", DeidentificationMethod.Pseudonymize, "resource ids"),
        new("Bundle.entry.fullUrl", DeidentificationMethod.Pseudonymize, "resource ids"),
        new("nodesByType('Meta').lastUpdated", DeidentificationMethod.Remove, "record metadata"),
        new("nodesByType('Meta').versionId", DeidentificationMethod.Remove, "record metadata"),
        new("nodesByType('Meta').source", DeidentificationMethod.Remove, "record metadata"),

        // Ages over 89 and dates.
        new("nodesByType('Age')", DeidentificationMethod.Generalize, "ages over 89"),
        new("Observation.where(code.coding.where(system = 'http://loinc.org' and code in ('30525-0' | '21612-7' | '29553-5')).exists()).value", DeidentificationMethod.Generalize, "ages over 89"),
        new("nodesByType('date')", DeidentificationMethod.Generalize, "dates"),
        new("nodesByType('dateTime')", DeidentificationMethod.Generalize, "dates"),
        new("nodesByType('instant')", DeidentificationMethod.Generalize, "dates"),

        // Clinical codes and values are kept (numbers, booleans, codes and quantities need no rule; free-text values are scrubbed below).
        new("nodesByType('Coding').display", DeidentificationMethod.Keep, "codes"),
        new("nodesByType('Coding').system", DeidentificationMethod.Keep, "codes"),
        new("nodesByType('Coding').version", DeidentificationMethod.Keep, "codes"),
        new("nodesByType('Quantity').unit", DeidentificationMethod.Keep, "values"),
        new("nodesByType('Quantity').system", DeidentificationMethod.Keep, "values"),
        new("nodesByType('Extension').url", DeidentificationMethod.Keep, "extension definitions"),

        // Everything else that can carry free text or an address: scrubbed or removed.
        new("nodesByType('string')", DeidentificationMethod.Scrub, "free text"),
        new("nodesByType('markdown')", DeidentificationMethod.Scrub, "free text"),
        new("nodesByType('uri')", DeidentificationMethod.Remove, "URLs and other addresses"),
        new("nodesByType('url')", DeidentificationMethod.Remove, "URLs and other addresses"),
        new("nodesByType('oid')", DeidentificationMethod.Remove, "URLs and other addresses"),
        new("nodesByType('uuid')", DeidentificationMethod.Remove, "URLs and other addresses"),
        new("nodesByType('base64Binary')", DeidentificationMethod.Remove, "binary content"),
        new("nodesByType('xhtml')", DeidentificationMethod.Remove, "narrative"),
    ];
}
