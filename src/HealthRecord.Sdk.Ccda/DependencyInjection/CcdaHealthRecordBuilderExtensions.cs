using HealthRecord.Sdk.Ccda;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Registers the C-CDA document reader.</summary>
public static class CcdaHealthRecordBuilderExtensions
{
    /// <summary>
    /// Adds the C-CDA reader (format <c>ccda</c>): files of a source whose content is a CDA <c>ClinicalDocument</c>
    /// are converted to FHIR R4. Safe to call more than once.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets C-CDA limits and choices, if given.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddCcda(this IHealthRecordBuilder builder, Action<CcdaOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<CcdaOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o =>
        {
            try
            {
                o.Validate();
                return true;
            }
            catch (ArgumentOutOfRangeException)
            {
                return false;
            }
        }, "CcdaOptions: a limit is out of range (see CcdaOptions member docs).");
        return builder.AddDocumentReader<CcdaDocumentReader>();
    }
}
