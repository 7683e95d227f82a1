using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>
/// Which resource types belong to one patient, and which element names the patient.
/// Types not listed here (Practitioner, Organization, Location, Medication, …) are shared
/// reference data that joins an EHR when one of the patient's records refers to it.
/// </summary>
public static class PatientCompartment
{
    private static readonly Dictionary<string, string[]> SubjectElements = new(StringComparer.Ordinal)
    {
        ["AllergyIntolerance"] = ["patient"],
        ["CarePlan"] = ["subject"],
        ["CareTeam"] = ["subject"],
        ["Claim"] = ["patient"],
        ["ClinicalImpression"] = ["subject"],
        ["Communication"] = ["subject"],
        ["Composition"] = ["subject"],
        ["Condition"] = ["subject"],
        ["Consent"] = ["patient"],
        ["Coverage"] = ["beneficiary"],
        ["DetectedIssue"] = ["patient"],
        ["DeviceRequest"] = ["subject"],
        ["DeviceUseStatement"] = ["subject"],
        ["DiagnosticReport"] = ["subject"],
        ["DocumentReference"] = ["subject"],
        ["Encounter"] = ["subject"],
        ["EpisodeOfCare"] = ["patient"],
        ["ExplanationOfBenefit"] = ["patient"],
        ["FamilyMemberHistory"] = ["patient"],
        ["Flag"] = ["subject"],
        ["Goal"] = ["subject"],
        ["ImagingStudy"] = ["subject"],
        ["Immunization"] = ["patient"],
        ["ImmunizationRecommendation"] = ["patient"],
        ["List"] = ["subject"],
        ["MedicationAdministration"] = ["subject"],
        ["MedicationDispense"] = ["subject"],
        ["MedicationRequest"] = ["subject"],
        ["MedicationStatement"] = ["subject"],
        ["NutritionOrder"] = ["patient"],
        ["Observation"] = ["subject"],
        ["Procedure"] = ["subject"],
        ["QuestionnaireResponse"] = ["subject"],
        ["RelatedPerson"] = ["patient"],
        ["RiskAssessment"] = ["subject"],
        ["ServiceRequest"] = ["subject"],
        ["Specimen"] = ["subject"],
        ["SupplyDelivery"] = ["patient"],
    };

    /// <summary>Whether records of this type belong to a single patient and must name them.</summary>
    /// <param name="resourceType">The resource type.</param>
    /// <returns><see langword="true"/> for patient records (Condition, Observation, …).</returns>
    public static bool IsPatientRecord(string resourceType) => SubjectElements.ContainsKey(resourceType);

    /// <summary>The element that names the patient for a type (e.g. <c>subject</c>, <c>patient</c>).</summary>
    /// <param name="resourceType">The resource type.</param>
    /// <returns>The element name, or <see langword="null"/> when the type is not a patient record.</returns>
    public static string? SubjectElement(string resourceType) =>
        SubjectElements.TryGetValue(resourceType, out var e) ? e[0] : null;

    /// <summary>The reference that names the record's patient, if present.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The reference, or <see langword="null"/>.</returns>
    public static ResourceReference? SubjectOf(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var element = SubjectElement(resource.TypeName);
        return element is not null && resource.TryGetValue(element, out var value) ? value as ResourceReference : null;
    }
}
