using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Export.Ips;

/// <summary>
/// Writes the EHR as an International Patient Summary document (FHIR R4 JSON, indented, LF line ends), without
/// consent filtering: for a recipient, call <see cref="IIpsDocumentBuilder"/> with an <see cref="IpsRequest"/> instead.
/// </summary>
/// <param name="builder">The IPS builder.</param>
public sealed class IpsExporter(IIpsDocumentBuilder builder) : IEhrExporter
{
    /// <inheritdoc />
    public string Format => "ips";

    /// <inheritdoc />
    public async Task ExportAsync(EhrAggregate aggregate, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(output);
        var document = await builder.BuildAsync(aggregate, null, cancellationToken).ConfigureAwait(false);
        var bytes = Fhir.FhirJson.SerializeToUtf8(document.Bundle, pretty: true);
        await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }
}
