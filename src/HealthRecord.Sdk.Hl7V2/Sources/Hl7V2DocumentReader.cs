using System.Buffers;
using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.Sources;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Hl7V2.Sources;

/// <summary>
/// Reads HL7 v2 ER7 files (one or more messages, FHS/BHS batches, MLLP-framed dumps) and converts each
/// message to FHIR R4 records with <see cref="Hl7V2Converter"/>.
/// </summary>
/// <remarks>
/// A document that is not well-formed HL7 v2 fails as a whole with a <see cref="SourceReadException"/> naming the
/// line, segment and field. Records carry the conversion warnings of their segment. A practitioner or organisation
/// that several messages of one document name is read once. Thread-safe.
/// </remarks>
public sealed class Hl7V2DocumentReader : ISourceDocumentReader
{
    /// <summary>The format name.</summary>
    public const string FormatName = "hl7v2";

    private readonly HealthRecordOptions _options;
    private readonly Hl7V2ConversionOptions _conversion;
    private readonly Hl7V2ParserOptions _parser;

    /// <summary>Creates the reader.</summary>
    /// <param name="options">Limits (maximum document size).</param>
    /// <param name="conversion">Conversion options; defaults when <see langword="null"/>.</param>
    /// <param name="parser">Parser limits; defaults when <see langword="null"/>.</param>
    public Hl7V2DocumentReader(IOptions<HealthRecordOptions> options, Hl7V2ConversionOptions? conversion = null, Hl7V2ParserOptions? parser = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _conversion = conversion ?? Hl7V2ConversionOptions.Default;
        _parser = parser ?? Hl7V2ParserOptions.Default;
    }

    /// <summary>Creates the reader with default options.</summary>
    public Hl7V2DocumentReader()
        : this(Options.Create(new HealthRecordOptions()))
    {
    }

    /// <inheritdoc />
    public string Format => FormatName;

    // The parser limits this reader was given (what AddHl7V2 registered; for tests).
    internal Hl7V2ParserOptions ParserOptions => _parser;

    /// <inheritdoc />
    /// <remarks>Accepts content that starts, after an optional UTF-8 BOM, blank lines or an MLLP start block (0x0B), with <c>MSH</c>, <c>FHS</c> or <c>BHS</c> and a delimiter.</remarks>
    public bool CanRead(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("\uFEFF"u8))
        {
            head = head[3..];
        }

        head = head.TrimStart("\r\n\v \t"u8);
        if (head.Length < 4)
        {
            return false;
        }

        var id = head[..3];
        var separator = head[3];
        return (id.SequenceEqual("MSH"u8) || id.SequenceEqual("FHS"u8) || id.SequenceEqual("BHS"u8))
            && separator > 0x20 && separator < 0x7F && !char.IsAsciiLetterOrDigit((char)separator);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<SourceRecord> ReadAsync(SourceDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.EnsureWithin(_options.MaxDocumentBytes);
        return ReadCoreAsync(document, cancellationToken);
    }

    private async IAsyncEnumerable<SourceRecord> ReadCoreAsync(SourceDocument document, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var content = (await document.ReadAllBytesAsync(_options.MaxDocumentBytes, cancellationToken).ConfigureAwait(false)).ToArray();
        Hl7V2Batch batch;
        try
        {
            batch = Hl7V2Parser.Parse(content, _parser);
        }
        catch (Hl7V2ParseException ex)
        {
            throw new SourceReadException(ex.Code, document.SourceName, $"{document.DocumentId} {ex.Location}", ex.Reason, ex);
        }

        foreach (var record in Convert(document.SourceName, document.DocumentId, batch.Messages, cancellationToken))
        {
            yield return record;
        }
    }

    /// <summary>
    /// Converts one message that is already parsed (by the MLLP listener, say) into records, exactly as
    /// <see cref="ReadAsync"/> would from its bytes, without parsing it a second time.
    /// </summary>
    /// <param name="sourceName">The source name.</param>
    /// <param name="documentId">The document id the records' locations start with.</param>
    /// <param name="message">The parsed message.</param>
    /// <param name="cancellationToken">Cancels the conversion.</param>
    /// <returns>The records, in message order; a message the converter cannot handle is one rejected record with the reason.</returns>
    public IReadOnlyList<SourceRecord> Read(string sourceName, string documentId, Hl7V2Message message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        ArgumentException.ThrowIfNullOrEmpty(documentId);
        ArgumentNullException.ThrowIfNull(message);
        return Convert(sourceName, documentId, [message], cancellationToken).ToList();
    }

    private IEnumerable<SourceRecord> Convert(string sourceName, string documentId, IReadOnlyList<Hl7V2Message> messages, CancellationToken cancellationToken)
    {
        var emitted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = TryConvert(message, out var failure);
            if (result is null)
            {
                // One message the converter cannot handle is rejected with its reason; the other messages are still read.
                yield return SourceRecord.Rejected(sourceName, "Unknown", $"message-{message.Index}", $"{documentId}#message[{message.Index}]",
                    new SourceRejection(HealthRecordErrorCode.InvalidResource, $"{message.MessageType}^{message.TriggerEvent} {message.ControlId}: conversion failed ({failure})."));
                continue;
            }

            var origin = result.Report.Entries
                .Where(e => e.Resource is not null)
                .GroupBy(e => e.Resource!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            foreach (var resource in result.Resources)
            {
                var key = resource.TypeName + "/" + resource.Id;
                if (!emitted.Add(key))
                {
                    continue;
                }

                yield return ToRecord(sourceName, documentId, message, resource, origin.GetValueOrDefault(key));
            }
        }
    }

    private Hl7V2ConversionResult? TryConvert(Hl7V2Message message, out string? failure)
    {
        try
        {
            failure = null;
            return Hl7V2Converter.Convert(message, _conversion);
        }
#pragma warning disable CA1031 // A converter defect on one message must not stop the source: the message is rejected with the reason.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            failure = ex.GetType().Name + ": " + ex.Message;
            return null;
        }
    }

    private static SourceRecord ToRecord(string sourceName, string documentId, Hl7V2Message message, Resource resource, List<Hl7V2ReportEntry>? entries)
    {
        var first = entries?.FirstOrDefault();
        var location = first is null
            ? $"{documentId}#message[{message.Index}]"
            : $"{documentId}#message[{message.Index}]/{first.Segment}[{first.Position}] (line {first.Line})";
        var record = SourceRecord.FromResource(sourceName, resource, location, fullUrl: null, documentId: documentId);
        var warnings = entries?.Where(e => e.Outcome == Hl7V2SegmentOutcome.Warning && e.Detail is not null).Select(e => $"{e.Segment}[{e.Position}]: {e.Detail}").ToList();
        return warnings is { Count: > 0 }
            ? new SourceRecord
            {
                SourceName = record.SourceName,
                ResourceType = record.ResourceType,
                ResourceId = record.ResourceId,
                Location = record.Location,
                Resource = record.Resource,
                DocumentId = record.DocumentId,
                Warnings = warnings,
            }
            : record;
    }

}
