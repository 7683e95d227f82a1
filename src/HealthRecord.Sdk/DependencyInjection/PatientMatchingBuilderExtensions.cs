using FluentValidation;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>
/// Tunes identity linking (<see cref="IPatientMatcher"/>). To take every source as one person, use
/// <c>hr.UsePatientMatcher&lt;SinglePersonMatcher&gt;()</c>.
/// </summary>
public static class PatientMatchingBuilderExtensions
{
    /// <summary>
    /// Uses the probabilistic matcher (the default) with the given settings, validated at start-up.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets thresholds and limits.</param>
    /// <returns>The builder.</returns>
    /// <example><code>services.AddHealthRecord(hr => hr.UseProbabilisticPatientMatcher(o => o.MatchThreshold = 16));</code></example>
    public static IHealthRecordBuilder UseProbabilisticPatientMatcher(this IHealthRecordBuilder builder, Action<ProbabilisticPatientMatcherOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var optionsBuilder = builder.Services.AddOptions<ProbabilisticPatientMatcherOptions>().ValidateOnStart();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        builder.Services.TryAddSingleton<IValidator<ProbabilisticPatientMatcherOptions>, ProbabilisticPatientMatcherOptionsValidator>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProbabilisticPatientMatcherOptions>, FluentValidateOptions<ProbabilisticPatientMatcherOptions>>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IPatientMatcher, ProbabilisticPatientMatcher>());
        return builder;
    }

    /// <summary>Stores reviewers' answers and pending possible links in <typeparamref name="TReview"/> (for example a database) instead of memory.</summary>
    /// <typeparam name="TReview">The review store.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UseLinkReview<TReview>(this IHealthRecordBuilder builder)
        where TReview : class, ILinkReview
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<ILinkReview, TReview>());
        return builder;
    }
}
