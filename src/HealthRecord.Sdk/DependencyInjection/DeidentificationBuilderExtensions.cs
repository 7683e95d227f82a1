using HealthRecord.Sdk.Deidentification;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Builder methods for de-identified research exports.</summary>
public static class DeidentificationBuilderExtensions
{
    /// <summary>Adds the de-identifier (<see cref="IDeidentifier"/>) with its options (a key is required; rules are optional).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the key, the mode and the host's rules.</param>
    /// <returns>The builder.</returns>
    /// <example><code>
    /// hr.AddDeidentification(o =&gt; { o.Key = key; o.Mode = DeidentificationMode.DateShift; });
    /// </code></example>
    public static IHealthRecordBuilder AddDeidentification(this IHealthRecordBuilder builder, Action<DeidentificationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        builder.Services.TryAddSingleton<IDeidentifier>(sp => new Deidentifier(sp.GetRequiredService<IOptions<DeidentificationOptions>>(), sp.GetService<TimeProvider>()));
        return builder;
    }
}
