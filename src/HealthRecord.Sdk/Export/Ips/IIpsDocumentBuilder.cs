using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Export.Ips;

/// <summary>
/// Builds the HL7 International Patient Summary (IPS, FHIR R4) of an EHR: a <c>document</c> Bundle whose first entry
/// is the Composition, with the required sections (problems, allergies, medications) always present and the
/// recommended ones when the EHR has something for them, a generated narrative for every section, and every
/// reference resolving inside the document. See docs/ips.md.
/// </summary>
/// <remarks>
/// Consent comes first: when <see cref="IpsRequest.Recipient"/> is given, the EHR is passed through
/// <see cref="IEhrSharing"/> and the document is built only from what it releases. Implementations are thread-safe
/// and never change their input.
/// </remarks>
public interface IIpsDocumentBuilder
{
    /// <summary>Builds the IPS of an aggregated EHR.</summary>
    /// <param name="ehr">The EHR.</param>
    /// <param name="request">Recipient, purpose and consents, and document options; <see langword="null"/> for the defaults (no consent filtering).</param>
    /// <param name="cancellationToken">Cancels the build.</param>
    /// <returns>The document and what went into it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ehr"/> is <see langword="null"/>.</exception>
    /// <exception cref="IpsException">The EHR (or what consent releases of it) has no Patient to summarise.</exception>
    Task<IpsDocument> BuildAsync(EhrAggregate ehr, IpsRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>Builds the IPS of an EHR bundle (a <c>collection</c> Bundle as <see cref="EhrBundleBuilder"/> writes it, or read from a file).</summary>
    /// <param name="ehr">The EHR bundle; its id names the person (the golden Patient's id), else its only Patient is the subject.</param>
    /// <param name="request">Recipient, purpose and consents, and document options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the build.</param>
    /// <returns>The document and what went into it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ehr"/> is <see langword="null"/>.</exception>
    /// <exception cref="IpsException">The bundle has no Patient, or several and none named by its id.</exception>
    Task<IpsDocument> BuildAsync(Bundle ehr, IpsRequest? request = null, CancellationToken cancellationToken = default);
}

/// <summary>What an IPS is built for, and how.</summary>
public sealed record IpsRequest
{
    /// <summary>
    /// Who receives the summary. When set, the EHR goes through <see cref="IEhrSharing"/> with <see cref="Consents"/> and
    /// <see cref="PurposeOfUse"/> first, and the document holds only what is released; when <see langword="null"/>, no
    /// consent is applied (the host's own use).
    /// </summary>
    public ConsentRecipient? Recipient { get; init; }

    /// <summary>The purposes of use (v3-ActReason).</summary>
    /// <value>The default is TREAT.</value>
    public IReadOnlyList<Coding> PurposeOfUse { get; init; } = [AccessRequest.Purpose("TREAT")];

    /// <summary>The patient's consents to honour (only used with a <see cref="Recipient"/>).</summary>
    public IReadOnlyList<Hl7.Fhir.Model.Consent> Consents { get; init; } = [];

    /// <summary>Emergency access (see <see cref="AccessRequest.BreakGlass"/>).</summary>
    public bool BreakGlass { get; init; }

    /// <summary>Whether the document carries the Provenance of each entry (which sources said it, and their conflicts).</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool IncludeProvenance { get; init; }

    /// <summary>
    /// The author of the document (a Practitioner, PractitionerRole, Organization or Device); it is added to the
    /// document. Default: a Device standing for HealthRecord.Sdk, which assembled the summary.
    /// </summary>
    public Resource? Author { get; init; }

    /// <summary>
    /// The organisation that keeps the document. Default: the patient's <c>managingOrganization</c> when the document
    /// holds it; otherwise the Composition has no custodian.
    /// </summary>
    public Organization? Custodian { get; init; }

    /// <summary>Who attests the document (a Practitioner, PractitionerRole or Organization), in <c>legal</c> mode; none by default.</summary>
    public Resource? Attester { get; init; }

    /// <summary>The document date. Default: now, from the builder's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset? Date { get; init; }
}

/// <summary>An IPS document and what went into it.</summary>
/// <param name="Bundle">The FHIR R4 <c>document</c> Bundle (Composition first).</param>
/// <param name="Sections">One line per section of the Composition, in order.</param>
/// <param name="Share">The sharing result when a recipient was given (decisions and AuditEvents for the host's records; never part of the document).</param>
public sealed record IpsDocument(Bundle Bundle, IReadOnlyList<IpsSectionSummary> Sections, ShareResult? Share)
{
    /// <summary>The Composition (the first entry).</summary>
    public Composition Composition => (Composition)Bundle.Entry[0].Resource!;
}

/// <summary>What one section of an IPS holds.</summary>
/// <param name="Code">The section's LOINC code.</param>
/// <param name="Title">The section title.</param>
/// <param name="Entries">How many entries it references.</param>
/// <param name="EmptyReason">The <c>emptyReason</c> code when it has none (<c>unavailable</c>), else <see langword="null"/>.</param>
/// <param name="NoKnown">Whether its single entry is the IPS "no known …" statement.</param>
public sealed record IpsSectionSummary(string Code, string Title, int Entries, string? EmptyReason, bool NoKnown);

/// <summary>An IPS could not be built from the input (it has no patient to summarise).</summary>
public sealed class IpsException : Errors.HealthRecordException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing.</param>
    public IpsException(string message)
        : base(Errors.HealthRecordErrorCode.MissingRequiredData, message)
    {
    }
}
