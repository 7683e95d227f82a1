using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Security;

/// <summary>
/// The built-in labeler: gives the labels of every rule (of <see cref="SecurityLabelingOptions.RuleSets"/>) whose
/// code sets contain one of the record's clinical codes or one of its labels.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class ValueSetSecurityLabeler : ISecurityLabeler
{
    private readonly IReadOnlyList<SensitivityRuleSet> _sets;

    /// <summary>Creates the labeler.</summary>
    /// <param name="options">The rule sets.</param>
    public ValueSetSecurityLabeler(IOptions<SecurityLabelingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _sets = [.. options.Value.RuleSets];
        RuleSets = [.. _sets.Select(s => new RuleSetVersion(s.Id, s.Version))];
    }

    /// <inheritdoc />
    public IReadOnlyList<RuleSetVersion> RuleSets { get; }

    /// <inheritdoc />
    public IEnumerable<SecurityLabelAssignment> Assign(Resource resource, SecurityLabelingContext context)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(context);
        var keys = new List<CodeKey>(context.ClinicalCodes);
        foreach (var label in context.Labels)
        {
            if (!string.IsNullOrEmpty(label.Code))
            {
                keys.Add(ClinicalCodes.Canonical(label.System, label.Code));
            }
        }

        foreach (var set in _sets)
        {
            foreach (var key in keys)
            {
                foreach (var rule in set.Match(key))
                {
                    foreach (var label in rule.Labels)
                    {
                        yield return new SecurityLabelAssignment(label, set.Id, set.Version, rule.Id, rule.Policy);
                    }
                }
            }
        }
    }
}
