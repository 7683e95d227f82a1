using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Security;

/// <summary>
/// Assigns security labels (DS4P sensitivity codes such as ETH, OPIOIDUD, PSY, HIV, and confidentiality codes)
/// to a record. <see cref="SecurityLabeling"/> calls every registered labeler twice per record: first with the
/// labels the record already carried, then again after sensitivity labels have been propagated from the
/// records it refers to, so that label-derived rules (sensitivity → confidentiality) see them. Return the same
/// labels for the same input; duplicates across labelers and passes are merged.
/// </summary>
/// <remarks>Implementations must be thread-safe and must not change the resource.</remarks>
public interface ISecurityLabeler
{
    /// <summary>The rule sets this labeler applies, with their versions; labels are recomputed when one changes.</summary>
    IReadOnlyList<RuleSetVersion> RuleSets { get; }

    /// <summary>The labels the record gets.</summary>
    /// <param name="resource">The record (do not change it).</param>
    /// <param name="context">Its clinical codes, the labels known so far, and a reference resolver.</param>
    /// <returns>The labels, each with its basis.</returns>
    IEnumerable<SecurityLabelAssignment> Assign(Resource resource, SecurityLabelingContext context);
}

/// <summary>A rule set and its version.</summary>
/// <param name="Id">The rule-set id.</param>
/// <param name="Version">The version.</param>
public sealed record RuleSetVersion(string Id, string Version);

/// <summary>A label and why it was given: the rule set, its version and the rule (written as the DS4P label basis).</summary>
/// <param name="Label">The label (a v3-ActCode sensitivity code, a v3-Confidentiality code, …).</param>
/// <param name="RuleSetId">The rule set.</param>
/// <param name="RuleSetVersion">The rule-set version.</param>
/// <param name="RuleId">The rule.</param>
/// <param name="Policy">The policy the rule implements (e.g. v3-ActCode#42CFRPart2), if any.</param>
public sealed record SecurityLabelAssignment(Coding Label, string RuleSetId, string RuleSetVersion, string RuleId, Coding? Policy = null);

/// <summary>What a labeler knows about the record it labels.</summary>
public sealed class SecurityLabelingContext
{
    internal SecurityLabelingContext(IReadOnlyList<CodeKey> clinicalCodes, IReadOnlyList<Coding> labels, Func<ResourceReference, Resource?> resolve, int pass)
    {
        ClinicalCodes = clinicalCodes;
        Labels = labels;
        Resolve = resolve;
        Pass = pass;
    }

    /// <summary>The record's clinical codes (see <see cref="Security.ClinicalCodes"/>).</summary>
    public IReadOnlyList<CodeKey> ClinicalCodes { get; }

    /// <summary>The labels known so far: the record's own, plus (in pass 2) those assigned and propagated.</summary>
    public IReadOnlyList<Coding> Labels { get; }

    /// <summary>Resolves a reference inside the labelled set (bundle entries, contained resources).</summary>
    public Func<ResourceReference, Resource?> Resolve { get; }

    /// <summary>1 for the first pass, 2 after propagation.</summary>
    public int Pass { get; }
}
