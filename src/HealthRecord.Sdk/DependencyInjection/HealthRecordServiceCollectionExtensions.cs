using FluentValidation;
using HealthRecord.Sdk;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.Validation;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// The registration entry point lives in the DI namespace, as the ecosystem's other AddXxx methods do.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers HealthRecord.Sdk.</summary>
public static class HealthRecordServiceCollectionExtensions
{
    /// <summary>
    /// Adds HealthRecord.Sdk: the aggregator, the FHIR JSON reader, the built-in validators, matchers and
    /// merge policies, and an in-memory store unless <paramref name="configure"/> chooses another.
    /// </summary>
    /// <remarks>
    /// <para>Safe to call more than once, by these rules (docs/getting-started.md, "Registering twice"):</para>
    /// <list type="bullet">
    /// <item>Every call configures the same registration (the same <see cref="IHealthRecordBuilder"/>); each service is registered once.</item>
    /// <item>Options merge: every <c>Configure…</c> action of every call runs, in call order, so a later call's value wins for the properties it sets.</item>
    /// <item>One store per service collection: choosing the same store again changes nothing; a different store (another
    /// <c>Use…Store</c>, another file or database, or an <see cref="IEhrStore"/> the host registered itself) throws
    /// <see cref="HealthRecord.Sdk.Errors.HealthRecordConfigurationException"/> naming both, at registration. The in-memory default is used only when no call chose a store.</item>
    /// <item>Reviewer services (<see cref="ILinkReview"/>, <see cref="IMergeReview"/>, <see cref="HealthRecord.Sdk.Consent.IAuditSink"/>): a store
    /// registers its own only where the host registered none; a host's registration wins whatever the order.</item>
    /// <item>The file-system adapter stays after every adapter the host adds.</item>
    /// </list>
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Adds adapters, a store, policies and rules.</param>
    /// <returns>The services.</returns>
    /// <example><code>
    /// services.AddHealthRecord(hr => hr
    ///     .UseSqliteStore("Data Source=ehr.db")
    ///     .ConfigureMerge(m => m.Default(MergePolicies.SourcePriority("hospital-a", "clinic-b"))));
    /// </code></example>
    public static IServiceCollection AddHealthRecord(this IServiceCollection services, Action<IHealthRecordBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var registration = HealthRecordRegistration.Of(services, out var first);
        if (!first)
        {
            // A later call: the same registration, configured further; the defaults are in already.
            configure?.Invoke(registration.Builder);
            HealthRecordRegistration.KeepFileSystemAdapterLast(services);
            return services;
        }

        services.AddOptions<HealthRecordOptions>().ValidateOnStart();
        services.AddOptions<MergeOptions>();
        services.TryAddSingleton<IValidator<HealthRecordOptions>, HealthRecordOptionsValidator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HealthRecordOptions>, FluentValidateOptions<HealthRecordOptions>>());
        services.AddOptions<DeduplicationOptions>().ValidateOnStart();
        services.TryAddSingleton<IValidator<DeduplicationOptions>, DeduplicationOptionsValidator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeduplicationOptions>, FluentValidateOptions<DeduplicationOptions>>());

        configure?.Invoke(registration.Builder);

        // Defaults go in after the host's choices, so TryAdd leaves those choices alone; they are marked as the SDK's,
        // so that a store chosen by a later call may replace them (a host's own registrations are never replaced).
        var hosts = new HashSet<ServiceDescriptor>(services, ReferenceEqualityComparer.Instance);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISourceDocumentReader, FhirJsonDocumentReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISourceDocumentReader, FhirXmlDocumentReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEmrSourceAdapter, FileSystemSourceAdapter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidator<Resource>, SourceRecordValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEhrExporter, FhirBundleExporter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEhrExporter, NdjsonExporter>());
        services.TryAddSingleton<HealthRecord.Sdk.Export.Ips.IIpsDocumentBuilder>(sp => new HealthRecord.Sdk.Export.Ips.IpsDocumentBuilder(sp.GetRequiredService<HealthRecord.Sdk.Consent.IEhrSharing>(), sp.GetRequiredService<HealthRecord.Sdk.Security.SecurityLabeling>(), sp.GetService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEhrExporter, HealthRecord.Sdk.Export.Ips.IpsExporter>());
        services.TryAddSingleton(sp => new ClinicalRecordMatcher(sp.GetRequiredService<IOptions<DeduplicationOptions>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRecordMatcher, ClinicalRecordMatcher>(sp => sp.GetRequiredService<ClinicalRecordMatcher>()));
        services.TryAddSingleton<ILinkReview, InMemoryLinkReview>();
        services.TryAddSingleton<IMergeReview, InMemoryMergeReview>();
        services.TryAddSingleton<IPatientMatcher, ProbabilisticPatientMatcher>();
        services.TryAddSingleton<IEhrStore>(sp => new InMemoryEhrStore(sp.GetService<TimeProvider>()));
        services.TryAddSingleton(sp => new EhrAggregator(
            sp.GetServices<IEmrSourceAdapter>(), sp.GetServices<IValidator<Resource>>(), sp.GetRequiredService<IPatientMatcher>(), sp.GetServices<IRecordMatcher>(),
            sp.GetRequiredService<IEhrStore>(), sp.GetRequiredService<IOptions<HealthRecordOptions>>(), sp.GetRequiredService<IOptions<MergeOptions>>(),
            sp.GetService<Microsoft.Extensions.Logging.ILogger<EhrAggregator>>(), sp.GetService<IMergeReview>(), defaultMatcher: sp.GetRequiredService<ClinicalRecordMatcher>()));
        services.TryAddSingleton<IEhrAggregator>(sp => sp.GetRequiredService<EhrAggregator>());
        services.TryAddSingleton<IPersonLinker>(sp => sp.GetRequiredService<EhrAggregator>());
        services.TryAddSingleton<IPopulationAggregator>(sp => sp.GetRequiredService<EhrAggregator>());
        services.TryAddSingleton<HealthRecord.Sdk.Warmup.IHealthRecordWarmup>(sp => new HealthRecord.Sdk.Warmup.HealthRecordWarmup(
            sp.GetServices<ISourceDocumentReader>(), sp.GetRequiredService<IEhrAggregator>(), sp.GetRequiredService<IEhrStore>(), sp.GetServices<IEhrExporter>(),
            sp.GetService<Microsoft.Extensions.Logging.ILogger<HealthRecord.Sdk.Warmup.HealthRecordWarmup>>()));
        services.AddConsentDefaults();
        registration.MarkSdkAdded(services.Where(d => !hosts.Contains(d)).ToList());
        return services;
    }
}
