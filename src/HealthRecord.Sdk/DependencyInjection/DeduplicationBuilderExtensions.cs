using HealthRecord.Sdk.Deduplication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Builder methods for deduplication: the built-in matcher's tolerances per resource type, and where manual merge decisions are kept.</summary>
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

    /// <summary>Keeps reviewers' merge decisions ("never merge these", "always merge these") in <typeparamref name="TReview"/> (for example a database) instead of memory.</summary>
    /// <typeparam name="TReview">The decision store.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UseMergeReview<TReview>(this IHealthRecordBuilder builder)
        where TReview : class, IMergeReview
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IMergeReview, TReview>());
        return builder;
    }
}
