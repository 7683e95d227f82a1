using HealthRecord.Sdk.Deduplication;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Builder methods for deduplication: the built-in matcher's tolerances per resource type.</summary>
public static class DeduplicationBuilderExtensions
{
    /// <summary>Configures <see cref="DeduplicationOptions"/> (validated at start-up).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets tolerances.</param>
    /// <returns>The builder.</returns>
    /// <example><code>hr.ConfigureDeduplication(d => d.For("Observation", r => r.TimeTolerance = TimeSpan.FromHours(2)));</code></example>
    public static IHealthRecordBuilder ConfigureDeduplication(this IHealthRecordBuilder builder, Action<DeduplicationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }
}
