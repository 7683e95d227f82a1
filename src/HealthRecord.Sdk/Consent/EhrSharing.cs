using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Consent;

/// <summary>The built-in <see cref="IEhrSharing"/> (see the interface, and docs/consent.md for the rules it follows).</summary>
/// <remarks>Thread-safe.</remarks>
public sealed class EhrSharing : IEhrSharing
{
    /// <summary>The extension on the disclosure's <c>meta</c> that carries the 42 CFR Part 2 redisclosure notice.</summary>
    public const string RedisclosureNoticeExtension = "http://healthrecord-sdk.org/fhir/StructureDefinition/redisclosure-notice";

    private readonly IConsentEvaluator _evaluator;
    private readonly SecurityLabeling _labeling;
    private readonly IAuditSink _audit;
    private readonly ConsentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the service.</summary>
    /// <param name="evaluator">The consent evaluator.</param>
    /// <param name="labeling">The security labeling.</param>
    /// <param name="audit">Where audit events go.</param>
    /// <param name="options">Consent options.</param>
    /// <param name="timeProvider">The clock (the system clock when <see langword="null"/>).</param>
    /// <param name="logger">The logger.</param>
    public EhrSharing(IConsentEvaluator evaluator, SecurityLabeling labeling, IAuditSink audit, IOptions<ConsentOptions> options, TimeProvider? timeProvider = null, ILogger<EhrSharing>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(labeling);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(options);
        _evaluator = evaluator;
        _labeling = labeling;
        _audit = audit;
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public Task<ShareResult> ShareAsync(EhrAggregate ehr, ShareRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        return ShareAsync(EhrBundleBuilder.Build(ehr), request, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ShareResult> ShareAsync(Bundle ehr, ShareRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        ArgumentNullException.ThrowIfNull(request);
        var now = _time.GetUtcNow();

        // Work on a labelled copy: labels are recomputed under the current rules, the input stays as it was.
        var labelled = (Bundle)ehr.DeepCopy();
        var copyRequest = request with { Directory = [.. request.Directory.Select(r => (Resource)r.DeepCopy())] };
        var graph = ConsentEvaluator.BuildGraph(labelled, copyRequest);
        _labeling.LabelInPlace(graph);
        var evaluation = _evaluator is IGraphConsentEvaluator graphAware
            ? graphAware.Evaluate(labelled, graph, request.Consents, copyRequest, cancellationToken)
            : await _evaluator.EvaluateAsync(labelled, request.Consents, copyRequest, cancellationToken).ConfigureAwait(false);
        var decisions = evaluation.Decisions.GroupBy(d => d.Record, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var kept = new Disclosure(graph, decisions).Build(labelled.Entry.Where(e => e.Resource is not null).Select(e => (e.FullUrl, e.Resource!)));

        // Relabel what is disclosed, over the disclosure alone: a label a record only inherited from a withheld record
        // would restate what was withheld.
        // (When nothing was withheld or changed, the labels are those already computed.)
        if (kept.Count != labelled.Entry.Count(e => e.Resource is not null) || decisions.Values.Any(d => d.Obligations.Count > 0))
        {
            _labeling.LabelInPlace(new ResourceGraph(kept.Select(k => (k.Resource, k.FullUrl))));
        }

        var keys = kept.Select(k => $"{k.Resource.TypeName}/{k.Resource.Id}").ToList();
        var bundleId = EhrIds.From(
        [
            "disclosure", ehr.Id ?? "", request.Recipient.ToString(),
            string.Join(",", request.PurposeOfUse.Select(p => p.Code)), request.BreakGlass ? "btg" : "",
            string.Join(",", evaluation.Consents.Select(c => c.Authority).Order(StringComparer.Ordinal)),
            string.Join(",", keys.Order(StringComparer.Ordinal)),
        ]);
        var disclosure = new Bundle { Id = bundleId, Type = Bundle.BundleType.Collection, Timestamp = now, Meta = new Meta() };
        foreach (var (fullUrl, resource) in kept)
        {
            disclosure.Entry.Add(new Bundle.EntryComponent { FullUrl = fullUrl, Resource = resource });
        }

        // The bundle says only how confidential it is (the high-water mark of what it holds), never what was removed.
        var highWater = kept.Select(k => ConfidentialityOf(k.Resource)).DefaultIfEmpty(SecurityLabelSystems.ConfidentialityRank("N")).Max();
        disclosure.Meta.Security.Add(SecurityLabelSystems.ConfidentialityCoding(SecurityLabelSystems.ConfidentialityCode(highWater)));
        if (kept.Any(k => IsPart2(k.Resource)))
        {
            disclosure.Meta.Security.Add(new Coding(SecurityLabelSystems.ActCode, SecurityLabelSystems.Part2Policy, "42 CFR Part2"));
            disclosure.Meta.Security.Add(new Coding(SecurityLabelSystems.ActCode, SecurityLabelSystems.NoRedisclosure, "no redisclosure without consent directive"));
            disclosure.Meta.Extension.Add(new Extension(RedisclosureNoticeExtension, new FhirString(_options.Part2Notice)));
        }

        var events = ShareAudit.Build(_options, ehr, request, evaluation, disclosure, now);
        await _audit.WriteAsync(events, cancellationToken).ConfigureAwait(false);

        var topLevel = evaluation.Decisions.Where(d => !d.Record.Contains('#', StringComparison.Ordinal)).ToList();
        var breakGlass = topLevel.Count(d => d.BreakGlass);
        if (breakGlass > 0)
        {
            ConsentLog.BreakGlassUsed(_logger, breakGlass);
        }

        ConsentLog.Shared(_logger, kept.Count, topLevel.Count, topLevel.Count - kept.Count, breakGlass, string.Join(",", request.PurposeOfUse.Select(p => p.Code)));
        return new ShareResult(disclosure, events, evaluation.Decisions);
    }

    private static int ConfidentialityOf(Resource r) =>
        (r.Meta?.Security ?? []).Where(SecurityLabelSystems.IsConfidentiality).Select(c => SecurityLabelSystems.ConfidentialityRank(c.Code)).DefaultIfEmpty(SecurityLabelSystems.ConfidentialityRank("N")).Max();

    private bool IsPart2(Resource r) => (r.Meta?.Security ?? []).Any(c =>
        (SecurityLabelSystems.NormalizeSystem(c.System) == SecurityLabelSystems.ActCode && c.Code is not null && (_options.Part2Labels.Contains(c.Code) || c.Code == SecurityLabelSystems.Part2Policy))
        || c.Extension.Any(e => e.Url == SecurityLabelSystems.BasisExtension && e.Value is Coding { Code: SecurityLabelSystems.Part2Policy }));
}
