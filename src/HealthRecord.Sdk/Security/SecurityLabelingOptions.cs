namespace HealthRecord.Sdk.Security;

/// <summary>Options of the built-in value-set labeler and of label propagation.</summary>
public sealed class SecurityLabelingOptions
{
    /// <summary>The rule sets the built-in labeler applies.</summary>
    /// <value>The default is <see cref="SensitivityRuleSet.Core"/>; <see cref="SensitivityRuleSet.AsuShares"/> is shipped but opt-in.</value>
    public IList<SensitivityRuleSet> RuleSets { get; } = [SensitivityRuleSet.Core];

    /// <summary>
    /// Whether a record that refers to a sensitive record gets its sensitivity labels (a medication whose reason is
    /// an opioid use disorder, a report whose result is an HIV viral load, a Provenance whose target is sensitive).
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool PropagateThroughReferences { get; set; } = true;

    /// <summary>
    /// Target types that do not pass their labels to the records that refer to them: context and party
    /// resources, which many unrelated records point at.
    /// </summary>
    /// <value>The default is Patient, Practitioner, PractitionerRole, Organization, Location, Device, RelatedPerson,
    /// Group, Person, Encounter, EpisodeOfCare, Coverage, HealthcareService and Endpoint.</value>
    public ISet<string> PropagationExcludedTargetTypes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Device", "RelatedPerson", "Group",
        "Person", "Encounter", "EpisodeOfCare", "Coverage", "HealthcareService", "Endpoint",
    };

    /// <summary>Adds a rule set read from JSON (see <see cref="SensitivityRuleSet.Parse"/>).</summary>
    /// <param name="json">The rule-set JSON.</param>
    /// <param name="id">The id when the file names none.</param>
    /// <param name="version">The version when the file gives none.</param>
    /// <returns>These options.</returns>
    public SecurityLabelingOptions AddRuleSet(string json, string id, string? version = null)
    {
        RuleSets.Add(SensitivityRuleSet.Parse(json, id, version));
        return this;
    }
}
