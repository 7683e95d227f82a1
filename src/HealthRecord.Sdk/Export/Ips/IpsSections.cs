namespace HealthRecord.Sdk.Export.Ips;

/// <summary>The sections of an International Patient Summary, in the order the document carries them.</summary>
public static class IpsSections
{
    /// <summary>The LOINC system.</summary>
    public const string Loinc = "http://loinc.org";

    /// <summary>The Composition type: LOINC 60591-5 Patient summary Document.</summary>
    public const string DocumentType = "60591-5";

    /// <summary>The IPS code system for absent and unknown data (<c>no-known-allergies</c>, …).</summary>
    public const string AbsentUnknownSystem = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips";

    /// <summary>The code system of <c>section.emptyReason</c>.</summary>
    public const string ListEmptyReasonSystem = "http://terminology.hl7.org/CodeSystem/list-empty-reason";

    /// <summary>Problems (required).</summary>
    public const string Problems = "11450-4";

    /// <summary>Allergies and intolerances (required).</summary>
    public const string Allergies = "48765-2";

    /// <summary>Medication summary (required).</summary>
    public const string Medications = "10160-0";

    /// <summary>Immunizations.</summary>
    public const string Immunizations = "11369-6";

    /// <summary>Results.</summary>
    public const string Results = "30954-2";

    /// <summary>History of procedures.</summary>
    public const string Procedures = "47519-4";

    /// <summary>Medical devices.</summary>
    public const string Devices = "46264-8";

    /// <summary>Vital signs.</summary>
    public const string VitalSigns = "8716-3";

    /// <summary>Past history of illness.</summary>
    public const string PastIllness = "11348-0";

    /// <summary>Functional status.</summary>
    public const string FunctionalStatus = "47420-5";

    /// <summary>Plan of care.</summary>
    public const string PlanOfCare = "18776-5";

    /// <summary>Social history.</summary>
    public const string SocialHistory = "29762-2";

    /// <summary>History of pregnancy.</summary>
    public const string Pregnancy = "10162-6";

    /// <summary>Advance directives.</summary>
    public const string AdvanceDirectives = "42348-3";

    /// <summary>Every section, in document order: the three required ones first.</summary>
    public static IReadOnlyList<IpsSectionDefinition> All { get; } =
    [
        new(Problems, "Problems", "Problem list", true),
        new(Allergies, "Allergies and intolerances", "Allergies and adverse reactions Document", true),
        new(Medications, "Medication summary", "History of Medication use Narrative", true),
        new(Immunizations, "Immunizations", "History of Immunization Narrative", false),
        new(Results, "Results", "Relevant diagnostic tests/laboratory data Narrative", false),
        new(Procedures, "History of procedures", "History of Procedures Document", false),
        new(Devices, "Medical devices", "History of medical device use", false),
        new(VitalSigns, "Vital signs", "Vital signs", false),
        new(PastIllness, "Past history of illness", "History of Past illness Narrative", false),
        new(FunctionalStatus, "Functional status", "Functional status assessment note", false),
        new(PlanOfCare, "Plan of care", "Plan of care note", false),
        new(SocialHistory, "Social history", "Social history Narrative", false),
        new(Pregnancy, "History of pregnancy", "History of pregnancies Narrative", false),
        new(AdvanceDirectives, "Advance directives", "Advance directives", false),
    ];
}

/// <summary>One IPS section.</summary>
/// <param name="Code">The LOINC code of the section.</param>
/// <param name="Title">The title the document shows.</param>
/// <param name="LoincDisplay">The LOINC display of the code.</param>
/// <param name="Required">Whether the IPS requires it (it is then present even when the EHR has nothing for it).</param>
public sealed record IpsSectionDefinition(string Code, string Title, string LoincDisplay, bool Required);
