using HealthRecord.Sdk.Model;

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

/// <summary>Writes the EHR as a FHIR R4 collection Bundle (indented JSON, LF line ends).</summary>
public sealed class FhirBundleExporter : IEhrExporter
{
    /// <inheritdoc />
    public string Format => "fhir-bundle";

    /// <inheritdoc />
    public async Task ExportAsync(EhrAggregate aggregate, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(output);
        var bytes = Fhir.FhirJson.SerializeToUtf8(EhrBundleBuilder.Build(aggregate), pretty: true);
        await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Writes the EHR as NDJSON: one resource a line, in bundle order, as Bulk Data consumers read it.</summary>
public sealed class NdjsonExporter : IEhrExporter
{
    /// <inheritdoc />
    public string Format => "ndjson";

    /// <inheritdoc />
    public async Task ExportAsync(EhrAggregate aggregate, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(output);
        foreach (var entry in EhrBundleBuilder.Build(aggregate).Entry.Where(e => e.Resource is not null))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await output.WriteAsync(Fhir.FhirJson.SerializeToUtf8(entry.Resource!), cancellationToken).ConfigureAwait(false);
            await output.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }
    }
}
