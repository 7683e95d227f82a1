using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Consent;

/// <summary>
/// An organisation's own sharing rule, evaluated beside the patient's FHIR Consents for every record
/// (for example "never disclose psychotherapy notes"). A rule's deny is final: no consent and no combining
/// algorithm overrides it, and break-glass does not either. A rule's permit counts as one more vote, and its
/// obligations (masking, redaction) apply when the record is permitted.
/// </summary>
/// <remarks>Implementations must be thread-safe and must not change the record.</remarks>
public interface IConsentRule
{
    /// <summary>The rule's name, written in decisions and audit events as <c>rule:{Name}</c>.</summary>
    string Name { get; }

    /// <summary>Evaluates the rule for one record.</summary>
    /// <param name="context">The record, its labels and codes, and the request.</param>
    /// <returns>The vote, or <see langword="null"/> when the rule does not apply.</returns>
    ConsentRuleVote? Evaluate(ConsentRuleContext context);
}

/// <summary>A rule's vote.</summary>
/// <param name="Decision">Permit or Deny.</param>
/// <param name="Explanation">Why, for people and audit (no patient data).</param>
/// <param name="Obligations">Changes to the record when it is permitted.</param>
public sealed record ConsentRuleVote(ConsentDecision Decision, string Explanation, IReadOnlyList<ConsentObligation>? Obligations = null);

/// <summary>What a rule sees.</summary>
public sealed class ConsentRuleContext
{
    internal ConsentRuleContext(Resource record, IReadOnlyList<Coding> labels, IReadOnlyList<CodeKey> clinicalCodes, AccessRequest request, DateTimeOffset now)
    {
        Record = record;
        Labels = labels;
        ClinicalCodes = clinicalCodes;
        Request = request;
        Now = now;
    }

    /// <summary>The record (labelled; do not change it).</summary>
    public Resource Record { get; }

    /// <summary>The record's security labels.</summary>
    public IReadOnlyList<Coding> Labels { get; }

    /// <summary>The record's clinical codes.</summary>
    public IReadOnlyList<CodeKey> ClinicalCodes { get; }

    /// <summary>The request.</summary>
    public AccessRequest Request { get; }

    /// <summary>The evaluation time.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>Whether the record carries the label (system compared in canonical form).</summary>
    /// <param name="system">The label system.</param>
    /// <param name="code">The label code.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    public bool HasLabel(string system, string code) =>
        Labels.Any(l => l.Code == code && SecurityLabelSystems.NormalizeSystem(l.System) == SecurityLabelSystems.NormalizeSystem(system));

    /// <summary>Whether one of the request's purposes has this v3-ActReason code.</summary>
    /// <param name="code">The purpose code.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    public bool HasPurpose(string code) => Request.PurposeOfUse.Any(p => p.Code == code);
}
