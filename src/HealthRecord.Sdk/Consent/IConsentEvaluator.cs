using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Consent;

/// <summary>Evaluates FHIR R4 privacy Consents and the host's <see cref="IConsentRule"/>s (semantics in docs/consent.md).</summary>
/// <remarks>Implementations are thread-safe.</remarks>
public interface IConsentEvaluator
{
    /// <summary>Decides, for every record of an EHR bundle (contained resources included), whether the request may receive it.</summary>
    /// <param name="ehr">The EHR collection bundle, already labelled (see <see cref="Security.SecurityLabeling"/>); it is not changed.</param>
    /// <param name="consents">The patient's consents.</param>
    /// <param name="request">Who, for what.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The decisions.</returns>
    ValueTask<ConsentEvaluation> EvaluateAsync(Bundle ehr, IReadOnlyList<Hl7.Fhir.Model.Consent> consents, AccessRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Decides the request without looking at records: permit, deny or not applicable, with request-level redaction
    /// obligations for the provisions restricted by label, class or code (the CDS Hooks / XACML style of consent services).
    /// </summary>
    /// <param name="consents">The patient's consents.</param>
    /// <param name="request">Who, for what.</param>
    /// <returns>The decision.</returns>
    AccessDecision DecideAccess(IReadOnlyList<Hl7.Fhir.Model.Consent> consents, AccessRequest request);
}

/// <summary>An evaluator that can reuse the resource graph the sharing pipeline already built and labelled (no second graph).</summary>
internal interface IGraphConsentEvaluator
{
    ConsentEvaluation Evaluate(Bundle ehr, Security.ResourceGraph graph, IReadOnlyList<Hl7.Fhir.Model.Consent> consents, AccessRequest request, CancellationToken cancellationToken);
}
