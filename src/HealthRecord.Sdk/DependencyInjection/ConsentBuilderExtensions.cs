using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Builder methods for consent-aware sharing and security labeling.</summary>
public static class ConsentBuilderExtensions
{
    /// <summary>Adds an organisation's own sharing rule, evaluated beside the patient's consents (its deny is final).</summary>
    /// <typeparam name="TRule">The rule type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddConsentRule<TRule>(this IHealthRecordBuilder builder)
        where TRule : class, IConsentRule
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IConsentRule, TRule>());
        return builder;
    }

    /// <summary>Adds a security labeler beside the built-in value-set labeler.</summary>
    /// <typeparam name="TLabeler">The labeler type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddSecurityLabeler<TLabeler>(this IHealthRecordBuilder builder)
        where TLabeler : class, ISecurityLabeler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ISecurityLabeler, TLabeler>());
        return builder;
    }

    /// <summary>Configures consent evaluation and sharing (combining, opt-in/opt-out default, break-glass, Part 2 notice, audit).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder ConfigureConsent(this IHealthRecordBuilder builder, Action<ConsentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures the built-in labeler's rule sets and label propagation.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options (e.g. <c>o.AddRuleSet(json, "my-rules")</c>).</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder ConfigureSecurityLabeling(this IHealthRecordBuilder builder, Action<SecurityLabelingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Sends audit events to a sink other than the in-memory default.</summary>
    /// <typeparam name="TSink">The sink type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UseAuditSink<TSink>(this IHealthRecordBuilder builder)
        where TSink : class, IAuditSink
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IAuditSink, TSink>());
        return builder;
    }

    /// <summary>Registers the consent engine's defaults; <c>AddHealthRecord</c> calls it, so hosts need not.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    internal static IServiceCollection AddConsentDefaults(this IServiceCollection services)
    {
        services.AddOptions<ConsentOptions>();
        services.AddOptions<SecurityLabelingOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISecurityLabeler, ValueSetSecurityLabeler>());
        services.TryAddSingleton<SecurityLabeling>();
        services.TryAddSingleton<IConsentEvaluator, ConsentEvaluator>();
        services.TryAddSingleton<IAuditSink, InMemoryAuditSink>();
        services.TryAddSingleton<IEhrSharing, EhrSharing>();
        return services;
    }
}
