using System.Collections.Frozen;
using System.Xml.Linq;

namespace HealthRecord.Sdk.Ccda;

/// <summary>The section kinds the converter knows, recognised by templateId (any version) or, failing that, LOINC code.</summary>
internal static class SectionKind
{
    public const string Allergies = "Allergies";
    public const string Problems = "Problems";
    public const string Medications = "Medications";
    public const string Immunizations = "Immunizations";
    public const string Results = "Results";
    public const string VitalSigns = "VitalSigns";
    public const string Procedures = "Procedures";
    public const string Encounters = "Encounters";
    public const string SocialHistory = "SocialHistory";
    public const string PlanOfTreatment = "PlanOfTreatment";
    public const string FunctionalStatus = "FunctionalStatus";
    public const string MentalStatus = "MentalStatus";
    public const string FamilyHistory = "FamilyHistory";
    public const string MedicalEquipment = "MedicalEquipment";
    public const string Goals = "Goals";
    public const string HealthConcerns = "HealthConcerns";
    public const string Notes = "Notes";
    public const string Nutrition = "Nutrition";
    public const string AdvanceDirectives = "AdvanceDirectives";
    public const string Findings = "Findings";
    public const string Unsupported = "Unsupported";

    private const string S = "2.16.840.1.113883.10.20.22.2.";
    private const string Ccd1 = "2.16.840.1.113883.10.20.1.";

    private static readonly FrozenDictionary<string, string> ByTemplate = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [S + "6"] = Allergies, [S + "6.1"] = Allergies, [Ccd1 + "2"] = Allergies,
        [S + "5"] = Problems, [S + "5.1"] = Problems, [Ccd1 + "11"] = Problems,
        [S + "20"] = Problems, // past medical history
        [S + "24"] = Problems, // discharge diagnosis
        [S + "43"] = Problems, // admission diagnosis
        [S + "34"] = Problems, // preoperative diagnosis
        [S + "35"] = Problems, // postoperative diagnosis
        [S + "36"] = Problems, // postprocedure diagnosis
        [S + "37"] = Problems, // complications
        [S + "28"] = Problems, // procedure findings
        [S + "8"] = Problems, // assessment (diagnosis acts)
        [S + "9"] = PlanOfTreatment, // assessment and plan
        ["1.3.6.1.4.1.19376.1.5.3.1.3.1"] = PlanOfTreatment, // reason for referral
        [S + "63"] = Findings, // physical findings of skin
        ["2.16.840.1.113883.10.20.6.1.2"] = Findings, // imaging findings
        [S + "1"] = Medications, [S + "1.1"] = Medications, [Ccd1 + "8"] = Medications,
        [S + "11"] = Medications, [S + "11.1"] = Medications, // discharge medications
        [S + "38"] = Medications, // medications administered
        [S + "44"] = Medications, // admission medications
        [S + "2"] = Immunizations, [S + "2.1"] = Immunizations, [Ccd1 + "6"] = Immunizations,
        [S + "3"] = Results, [S + "3.1"] = Results, [Ccd1 + "14"] = Results,
        [S + "4"] = VitalSigns, [S + "4.1"] = VitalSigns, [Ccd1 + "16"] = VitalSigns,
        [S + "7"] = Procedures, [S + "7.1"] = Procedures, [Ccd1 + "12"] = Procedures,
        [S + "25"] = Procedures, // anesthesia
        [S + "29"] = Procedures, // procedure indications
        [S + "22"] = Encounters, [S + "22.1"] = Encounters, [Ccd1 + "3"] = Encounters,
        [S + "17"] = SocialHistory, [Ccd1 + "15"] = SocialHistory,
        [S + "10"] = PlanOfTreatment, [Ccd1 + "10"] = PlanOfTreatment,
        [S + "30"] = PlanOfTreatment, // planned procedure
        [S + "41"] = PlanOfTreatment, // hospital discharge instructions
        [S + "45"] = PlanOfTreatment, // instructions
        [S + "14"] = FunctionalStatus, [Ccd1 + "5"] = FunctionalStatus,
        [S + "56"] = MentalStatus,
        [S + "15"] = FamilyHistory, [Ccd1 + "4"] = FamilyHistory,
        [S + "23"] = MedicalEquipment, [Ccd1 + "7"] = MedicalEquipment,
        [S + "60"] = Goals,
        [S + "58"] = HealthConcerns,
        [S + "65"] = Notes,
        [S + "57"] = Nutrition,
        [S + "21"] = AdvanceDirectives, [S + "21.1"] = AdvanceDirectives, [Ccd1 + "1"] = AdvanceDirectives,
        ["2.16.840.1.113883.10.20.21.2.3"] = PlanOfTreatment, // interventions (care plan)
        ["2.16.840.1.113883.10.20.22.2.61"] = PlanOfTreatment, // health status evaluations and outcomes
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> ByLoinc = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["48765-2"] = Allergies, ["11450-4"] = Problems, ["11348-0"] = Problems, ["10160-0"] = Medications, ["10183-2"] = Medications,
        ["11369-6"] = Immunizations, ["30954-2"] = Results, ["8716-3"] = VitalSigns, ["47519-4"] = Procedures, ["46240-8"] = Encounters,
        ["29762-2"] = SocialHistory, ["18776-5"] = PlanOfTreatment, ["47420-5"] = FunctionalStatus, ["10190-7"] = MentalStatus,
        ["10157-6"] = FamilyHistory, ["46264-8"] = MedicalEquipment, ["61146-7"] = Goals, ["75310-3"] = HealthConcerns,
        ["61144-2"] = Nutrition, ["42348-3"] = AdvanceDirectives,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The kind of a section.</summary>
    public static string Of(XElement section)
    {
        foreach (var root in section.TemplateIds())
        {
            if (ByTemplate.TryGetValue(root, out var kind))
            {
                return kind;
            }
        }

        return section.E("code").A("code") is { } code && ByLoinc.TryGetValue(code, out var byCode) ? byCode : Unsupported;
    }
}
