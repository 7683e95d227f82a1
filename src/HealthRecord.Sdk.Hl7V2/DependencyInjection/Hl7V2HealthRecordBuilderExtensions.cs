using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.Hl7V2.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Registers the HL7 v2 adapter.</summary>
public static class Hl7V2HealthRecordBuilderExtensions
{
    /// <summary>
    /// Adds the <c>hl7v2</c> document format: files (or MLLP dumps) of ER7 messages found in a source are parsed and
    /// converted to FHIR R4. Safe to call more than once.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="conversion">Conversion options; <see cref="Hl7V2ConversionOptions.Default"/> when omitted.</param>
    /// <param name="parser">Parser limits; <see cref="Hl7V2ParserOptions.Default"/> when omitted.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddHl7V2(this IHealthRecordBuilder builder, Hl7V2ConversionOptions? conversion = null, Hl7V2ParserOptions? parser = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Sdk.Sources.ISourceDocumentReader, Hl7V2DocumentReader>(
            sp => new Hl7V2DocumentReader(sp.GetRequiredService<IOptions<HealthRecordOptions>>(), conversion, parser)));
        return builder;
    }
}
