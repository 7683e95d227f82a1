using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Consent;

/// <summary>The outcome of a consent, a rule or the combination of them for one record or request.</summary>
public enum ConsentDecision
{
    /// <summary>No consent or rule applies.</summary>
    NotApplicable = 0,

    /// <summary>Sharing is permitted (possibly with obligations).</summary>
    Permit = 1,

    /// <summary>Sharing is denied.</summary>
    Deny = 2,
}

/// <summary>How a record is changed before it is disclosed.</summary>
public enum ObligationKind
{
    /// <summary>The element is removed (for request-level decisions: the records carrying the listed codes are withheld).</summary>
    Redact = 0,

    /// <summary>The element is kept but every text value in it is replaced by <see cref="ConsentObligation.MaskText"/>.</summary>
    Mask = 1,
}

/// <summary>A change the disclosure must make to a permitted record.</summary>
/// <param name="Kind">Redact or mask.</param>
/// <param name="Element">
/// The element, as a dotted path of FHIR element names with optional list indexes (<c>note</c>, <c>identifier[1]</c>,
/// <c>contact.telecom</c>); <c>*</c> for request-level redaction of whole records.
/// </param>
/// <param name="Reason">Why (names the consent, provision or rule).</param>
/// <param name="Codes">For request-level redaction: the labels, classes and codes whose records are withheld.</param>
public sealed record ConsentObligation(ObligationKind Kind, string Element, string Reason, IReadOnlyList<Coding>? Codes = null)
{
    /// <summary>The text that replaces masked values.</summary>
    public const string MaskText = "***";
}

/// <summary>Why a consent, a rule or the default decided as it did.</summary>
/// <param name="Decision">What it decided (NotApplicable when it did not apply).</param>
/// <param name="Authority"><c>Consent/{id}</c>, <c>rule:{name}</c>, <c>default</c> or <c>break-glass</c>.</param>
/// <param name="ProvisionPath">The deciding provision, e.g. <c>provision.provision[1]</c>; <see langword="null"/> for rules and the default.</param>
/// <param name="Attribute">The attributes of the deciding provision that matched (e.g. <c>actor,securityLabel</c>), or the attribute that made a consent not apply.</param>
/// <param name="Explanation">A sentence for people.</param>
/// <param name="Recorded">When the consent was given (<c>Consent.dateTime</c>), if known.</param>
public sealed record DecisionBasis(ConsentDecision Decision, string Authority, string? ProvisionPath, string Attribute, string Explanation, DateTimeOffset? Recorded = null);

/// <summary>The decision for one record.</summary>
/// <param name="Record"><c>Type/id</c> of the record (contained resources: <c>Type/id#containedId</c>).</param>
/// <param name="Decision">Permit or Deny (never NotApplicable: the configured default decides when nothing applies).</param>
/// <param name="Obligations">Changes to make before disclosing it.</param>
/// <param name="Basis">What decided: the deciding entry first, then the others that applied.</param>
/// <param name="BreakGlass">Whether it is permitted only through emergency access.</param>
public sealed record RecordDecision(string Record, ConsentDecision Decision, IReadOnlyList<ConsentObligation> Obligations, IReadOnlyList<DecisionBasis> Basis, bool BreakGlass = false)
{
    /// <summary>The deciding basis.</summary>
    public DecisionBasis Decisive => Basis[0];
}

/// <summary>A record-independent decision for a request (CDS Hooks / XACML style: permit, deny or no consent, with redaction obligations).</summary>
/// <param name="Decision">NotApplicable means no consent applies.</param>
/// <param name="Obligations">Request-level redactions: records carrying these labels, classes or codes must be withheld.</param>
/// <param name="Basis">The consents that applied and why.</param>
public sealed record AccessDecision(ConsentDecision Decision, IReadOnlyList<ConsentObligation> Obligations, IReadOnlyList<DecisionBasis> Basis);

/// <summary>Who receives the data: a reference and/or identifiers, and the organisations it acts for.</summary>
public sealed record ConsentRecipient
{
    /// <summary>A reference to the recipient (<c>Organization/54</c>, <c>Practitioner/f204</c>, <c>urn:uuid:…</c>), if known.</summary>
    public string? Reference { get; init; }

    /// <summary>The recipient's identifiers (matched against the identifiers of the actors consents name).</summary>
    public IReadOnlyList<Identifier> Identifiers { get; init; } = [];

    /// <summary>References to organisations the recipient belongs to (a practitioner's employer), besides those PractitionerRole resources state.</summary>
    public IReadOnlyList<string> Affiliations { get; init; } = [];

    /// <summary>A display name for audit records.</summary>
    public string? Display { get; init; }

    /// <summary>Reads a recipient from text: <c>Type/id</c> (or any reference) or <c>system|value</c> (an identifier).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The recipient.</returns>
    public static ConsentRecipient Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        return bar > 0 && !text.Contains('/', StringComparison.Ordinal) || bar > 0 && text.StartsWith("urn:", StringComparison.Ordinal) || bar > 0 && text.StartsWith("http", StringComparison.Ordinal)
            ? new ConsentRecipient { Identifiers = [new Identifier(text[..bar], text[(bar + 1)..])] }
            : new ConsentRecipient { Reference = text };
    }

    /// <inheritdoc />
    public override string ToString() => Reference ?? string.Join(",", Identifiers.Select(i => $"{i.System}|{i.Value}"));
}

/// <summary>What is asked: who receives the data, for which purposes and actions, and whether it is emergency access.</summary>
public record AccessRequest
{
    /// <summary>The consentaction system.</summary>
    public const string ConsentActionSystem = "http://terminology.hl7.org/CodeSystem/consentaction";

    /// <summary>The recipient.</summary>
    public required ConsentRecipient Recipient { get; init; }

    /// <summary>The purposes of use (v3-ActReason: TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, …).</summary>
    /// <value>The default is TREAT.</value>
    public IReadOnlyList<Coding> PurposeOfUse { get; init; } = [Purpose("TREAT")];

    /// <summary>The consentaction codes the request performs.</summary>
    /// <value>The default is <c>access</c> and <c>disclose</c>.</value>
    public IReadOnlyList<string> Actions { get; init; } = ["access", "disclose"];

    /// <summary>Emergency access (with purpose ETREAT): records a consent denies are released when a consent permits emergency treatment (see docs/consent.md).</summary>
    public bool BreakGlass { get; init; }

    /// <summary>For request-level decisions: the classes (resource types) asked for; empty means all.</summary>
    public IReadOnlyList<Coding> RequestedClasses { get; init; } = [];

    /// <summary>Organizations, Practitioners and PractitionerRoles the host knows besides the EHR's, to resolve the actors consents name.</summary>
    public IReadOnlyList<Resource> Directory { get; init; } = [];

    /// <summary>A v3-ActReason purpose-of-use coding.</summary>
    /// <param name="code">The code (TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, …).</param>
    /// <returns>The coding.</returns>
    public static Coding Purpose(string code) => new(SecurityLabelSystems.ActReason, code);
}

/// <summary>A sharing request: the consents to honour, and who receives the data for which purpose.</summary>
public sealed record ShareRequest : AccessRequest
{
    /// <summary>The patient's consents (any status; only active privacy consents apply).</summary>
    public IReadOnlyList<Hl7.Fhir.Model.Consent> Consents { get; init; } = [];
}

/// <summary>The result of a share: the disclosure bundle, the audit events and the decisions.</summary>
/// <param name="Disclosure">The bundle to send (a <c>collection</c>).</param>
/// <param name="AuditEvents">One AuditEvent for the disclosure, then one per record decision.</param>
/// <param name="Decisions">The decision for every record of the EHR.</param>
public sealed record ShareResult(Bundle Disclosure, IReadOnlyList<AuditEvent> AuditEvents, IReadOnlyList<RecordDecision> Decisions)
{
    /// <summary>The records withheld (<c>Type/id</c>).</summary>
    public IReadOnlyList<string> Withheld => [.. Decisions.Where(d => d.Decision == ConsentDecision.Deny).Select(d => d.Record)];
}

/// <summary>The per-record evaluation of an EHR.</summary>
/// <param name="Decisions">One decision per record (contained resources included), in bundle order.</param>
/// <param name="Consents">For each consent given: whether it applies at all, and why not.</param>
public sealed record ConsentEvaluation(IReadOnlyList<RecordDecision> Decisions, IReadOnlyList<DecisionBasis> Consents);
