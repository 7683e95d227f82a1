namespace HealthRecord.Sdk.Deidentification;

/// <summary>
/// One de-identification rule: a FHIRPath expression and what to do with the elements it selects, in the
/// spirit of the established FHIR anonymisers. Rules are tried in order; the first rule that selects an element decides it.
/// </summary>
/// <param name="Path">
/// Either <c>nodesByType('T')</c> (every element of FHIR type <c>T</c>, in every resource), <c>nodesByType('T').name</c>
/// (the child <c>name</c> of every element of type <c>T</c>), or any FHIRPath expression evaluated on each resource
/// (contained resources included), e.g. <c>Patient.birthDate</c> or <c>Observation.where(code.coding.code = '30525-0').value</c>.
/// A path that selects a resource itself with <see cref="DeidentificationMethod.Remove"/> drops the resource.
/// </param>
/// <param name="Method">What to do.</param>
/// <param name="Name">A short name for the change report; the path when <see langword="null"/>.</param>
public sealed record DeidentificationRule(string Path, DeidentificationMethod Method, string? Name = null)
{
    /// <summary>The name the change report uses.</summary>
    public string DisplayName => Name ?? Path;
}
