using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Consent;

/// <summary>
/// Produces the disclosure of an EHR for a recipient and a purpose of use: labels the records, evaluates the
/// consents and rules for each, removes denied records and every trace of them (references, displays, narrative,
/// contained copies, Provenance), applies obligations, marks the bundle with the high-water confidentiality and the
/// 42 CFR Part 2 notice where needed, and audits the disclosure and each decision.
/// </summary>
/// <remarks>Implementations are thread-safe; the input is never changed.</remarks>
public interface IEhrSharing
{
    /// <summary>Shares an EHR bundle (a <c>collection</c> Bundle as <see cref="Export.EhrBundleBuilder"/> writes it, or read from a file).</summary>
    /// <param name="ehr">The EHR bundle.</param>
    /// <param name="request">The consents, recipient, purposes and break-glass flag.</param>
    /// <param name="cancellationToken">Cancels the share.</param>
    /// <returns>The disclosure, its audit events and the decisions.</returns>
    Task<ShareResult> ShareAsync(Bundle ehr, ShareRequest request, CancellationToken cancellationToken = default);

    /// <summary>Shares an aggregated EHR.</summary>
    /// <param name="ehr">The EHR.</param>
    /// <param name="request">The consents, recipient, purposes and break-glass flag.</param>
    /// <param name="cancellationToken">Cancels the share.</param>
    /// <returns>The disclosure, its audit events and the decisions.</returns>
    Task<ShareResult> ShareAsync(EhrAggregate ehr, ShareRequest request, CancellationToken cancellationToken = default);
}
