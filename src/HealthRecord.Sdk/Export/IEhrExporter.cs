using System.Text.Json;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Export;

/// <summary>Writes an EHR in one output format. Register more with the builder.</summary>
/// <remarks>Implementations must be thread-safe.</remarks>
public interface IEhrExporter
{
    /// <summary>The format name, e.g. <c>fhir-bundle</c>, <c>ndjson</c>.</summary>
    string Format { get; }

    /// <summary>Writes the EHR.</summary>
    /// <param name="aggregate">The EHR.</param>
    /// <param name="output">The stream to write to; left open.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the output is written.</returns>
    Task ExportAsync(EhrAggregate aggregate, Stream output, CancellationToken cancellationToken = default);
}

/// <summary>Writes the EHR as a FHIR R4 collection Bundle (indented JSON, LF line ends, a final line feed).</summary>
/// <remarks>
/// The bytes are those of Firely's <c>SerializeToBytes(bundle, pretty: true)</c>, but written entry by entry through a
/// small pooled buffer onto the stream, so memory does not grow with the size of the EHR; cancellation is checked
/// between entries.
/// </remarks>
public sealed class FhirBundleExporter : IEhrExporter
{
    /// <inheritdoc />
    public string Format => "fhir-bundle";

    /// <inheritdoc />
    public async Task ExportAsync(EhrAggregate aggregate, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(output);
        cancellationToken.ThrowIfCancellationRequested();

        // The envelope (id, identifier, type, timestamp) is a few hundred bytes: Firely writes it, so its element order and
        // value formats stay Firely's, and its properties are copied around the entries, which go one at a time.
        using var envelope = JsonDocument.Parse(Fhir.FhirJson.SerializeToUtf8(EhrBundleBuilder.Envelope(aggregate)));
        var (sink, json) = StreamingJsonSink.Open(output, indented: true);
        using (sink)
        using (json)
        {
            json.WriteStartObject();

            // The envelope holds only elements that come before Bundle.entry (EhrBundleBuilder.Envelope).
            foreach (var property in envelope.RootElement.EnumerateObject())
            {
                property.WriteTo(json);
            }

            json.WriteStartArray("entry");
            foreach (var resource in EhrBundleBuilder.Resources(aggregate))
            {
                cancellationToken.ThrowIfCancellationRequested();

                // An EHR entry is its fullUrl and its resource (EhrBundleBuilder), written as Firely writes a Bundle.entry.
                json.WriteStartObject();
                json.WriteString("fullUrl"u8, EhrBundleBuilder.FullUrl(resource));
                json.WritePropertyName("resource"u8);
                WriteResource(resource, json);
                json.WriteEndObject();
                await sink.CommitAsync(json, final: false, cancellationToken).ConfigureAwait(false);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            sink.Write((byte)'\n');
            await sink.CommitAsync(json, final: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One resource as FHIR JSON: the SDK's own Provenance by its writer, everything else by Firely.</summary>
    internal static void WriteResource(Resource resource, Utf8JsonWriter json)
    {
        if (resource is not Provenance provenance || !ProvenanceJson.TryWrite(provenance, json))
        {
            Fhir.FhirJson.Serializer.Serialize(resource, json);
        }
    }
}

/// <summary>Writes the EHR as NDJSON: one resource a line, in bundle order, as Bulk Data consumers read it.</summary>
/// <remarks>One JSON writer and one small pooled buffer serve all the lines; cancellation is checked between resources.</remarks>
public sealed class NdjsonExporter : IEhrExporter
{
    /// <inheritdoc />
    public string Format => "ndjson";

    /// <inheritdoc />
    public async Task ExportAsync(EhrAggregate aggregate, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(output);
        var (sink, json) = StreamingJsonSink.Open(output, indented: false);
        using (sink)
        using (json)
        {
            foreach (var resource in EhrBundleBuilder.Resources(aggregate))
            {
                cancellationToken.ThrowIfCancellationRequested();
                FhirBundleExporter.WriteResource(resource, json);
                json.Flush();
                sink.Write((byte)'\n');

                // Each line is its own JSON document.
                json.Reset();
                await sink.CommitAsync(json, final: false, cancellationToken).ConfigureAwait(false);
            }

            await sink.CommitAsync(json, final: true, cancellationToken).ConfigureAwait(false);
        }
    }
}
