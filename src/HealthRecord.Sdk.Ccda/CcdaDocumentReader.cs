using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Ccda;

/// <summary>
/// Reads C-CDA documents (format <c>ccda</c>) into FHIR R4 source records. Detected from content: the root
/// element is <c>ClinicalDocument</c> in the <c>urn:hl7-org:v3</c> namespace.
/// </summary>
/// <remarks>
/// Every converted resource becomes an accepted record (location <c>{document}#{XPath}</c>, with the warnings
/// raised on its part of the document); every entry that was not converted becomes a rejected record with code
/// <see cref="HealthRecordErrorCode.NotConverted"/> and the reason, so nothing is lost silently. Thread-safe.
/// </remarks>
public sealed class CcdaDocumentReader : ISourceDocumentReader
{
    /// <summary>The format name.</summary>
    public const string FormatName = "ccda";

    private readonly HealthRecordOptions _options;
    private readonly CcdaConverter _converter;

    /// <summary>Creates the reader.</summary>
    /// <param name="options">SDK limits (maximum document size).</param>
    /// <param name="ccdaOptions">C-CDA parsing limits and choices.</param>
    public CcdaDocumentReader(IOptions<HealthRecordOptions> options, IOptions<CcdaOptions> ccdaOptions)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ccdaOptions);
        _options = options.Value;
        _converter = new CcdaConverter(ccdaOptions.Value);
    }

    /// <summary>Creates the reader with default options.</summary>
    public CcdaDocumentReader()
        : this(Options.Create(new HealthRecordOptions()), Options.Create(new CcdaOptions()))
    {
    }

    /// <inheritdoc />
    public string Format => FormatName;

    /// <inheritdoc />
    public bool CanRead(ReadOnlySpan<byte> head) => CcdaConverter.LooksLikeCcda(head);

    /// <inheritdoc />
    public IAsyncEnumerable<SourceRecord> ReadAsync(SourceDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.EnsureWithin(_options.MaxDocumentBytes);
        return ReadCoreAsync(document, cancellationToken);
    }

    private async IAsyncEnumerable<SourceRecord> ReadCoreAsync(SourceDocument document, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var content = await document.ReadAllBytesAsync(_options.MaxDocumentBytes, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var result = _converter.Convert(content, document.DocumentId, document.SourceName);
        var warnings = result.Report.Warnings;
        var locations = result.Resources.Select(r => result.Locations[r]).ToList();
        var warningsByResource = new List<string>[result.Resources.Count];
        foreach (var warning in warnings)
        {
            var best = -1;
            for (var i = 0; i < locations.Count; i++)
            {
                var location = locations[i];
                if ((warning.XPath == location || warning.XPath.StartsWith(location + "/", StringComparison.Ordinal)) && (best < 0 || location.Length > locations[best].Length))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                (warningsByResource[best] ??= []).Add($"{warning.Message} ({warning.XPath})");
            }
        }

        for (var i = 0; i < result.Resources.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var resource = result.Resources[i];
            yield return new SourceRecord
            {
                SourceName = document.SourceName,
                ResourceType = resource.TypeName,
                ResourceId = resource.Id!,
                Location = document.DocumentId + "#" + locations[i],
                Resource = resource,
                DocumentId = document.DocumentId,
                Warnings = warningsByResource[i] ?? [],
            };
        }

        foreach (var skipped in result.Report.NotConverted)
        {
            yield return SourceRecord.Rejected(document.SourceName, "Unknown", EhrIds.From("ccda-not-converted", result.DocumentKey, skipped.XPath),
                document.DocumentId + "#" + skipped.XPath, new SourceRejection(HealthRecordErrorCode.NotConverted, $"{skipped.Section}: {skipped.Reason}"));
        }
    }
}
