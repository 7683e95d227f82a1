using FluentValidation;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>The core builder methods: options, sources, matching, merging, storage and export.</summary>
public static class HealthRecordBuilderExtensions
{
    /// <summary>Configures <see cref="HealthRecordOptions"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder Configure(this IHealthRecordBuilder builder, Action<HealthRecordOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures merge policies (a default and per-type ones).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets policies.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder ConfigureMerge(this IHealthRecordBuilder builder, Action<MergeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Adds a document reader (a format) to the file-system adapter; formats are tried in registration order.</summary>
    /// <typeparam name="TReader">The reader type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddDocumentReader<TReader>(this IHealthRecordBuilder builder)
        where TReader : class, ISourceDocumentReader
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ISourceDocumentReader, TReader>());
        return builder;
    }

    /// <summary>Adds a source adapter (a kind of source other than files, e.g. a server); asked before the file-system adapter.</summary>
    /// <typeparam name="TAdapter">The adapter type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddSourceAdapter<TAdapter>(this IHealthRecordBuilder builder)
        where TAdapter : class, IEmrSourceAdapter
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEmrSourceAdapter, TAdapter>());
        return builder;
    }

    /// <summary>
    /// Adds the <see cref="InMemorySourceAdapter"/>: resolve it, add documents, then aggregate
    /// sources located at <c>memory:NAME</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddInMemorySources(this IHealthRecordBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<InMemorySourceAdapter>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEmrSourceAdapter, InMemorySourceAdapter>(sp => sp.GetRequiredService<InMemorySourceAdapter>()));
        return builder;
    }

    /// <summary>Replaces identity linking.</summary>
    /// <typeparam name="TMatcher">The matcher type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UsePatientMatcher<TMatcher>(this IHealthRecordBuilder builder)
        where TMatcher : class, IPatientMatcher
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IPatientMatcher, TMatcher>());
        return builder;
    }

    /// <summary>Replaces identity linking with an instance.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="matcher">The matcher.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UsePatientMatcher(this IHealthRecordBuilder builder, IPatientMatcher matcher)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(matcher);
        builder.Services.Replace(ServiceDescriptor.Singleton(matcher));
        return builder;
    }

    /// <summary>Adds a record matcher; it replaces the built-in matcher for the types it names.</summary>
    /// <typeparam name="TMatcher">The matcher type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddRecordMatcher<TMatcher>(this IHealthRecordBuilder builder)
        where TMatcher : class, IRecordMatcher
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IRecordMatcher, TMatcher>());
        return builder;
    }

    /// <summary>Adds a record validator; a record any validator fails is rejected with the messages as its reason.</summary>
    /// <typeparam name="TValidator">The validator type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddRecordValidator<TValidator>(this IHealthRecordBuilder builder)
        where TValidator : class, IValidator<Resource>
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidator<Resource>, TValidator>());
        return builder;
    }

    /// <summary>Uses a store other than the default. One store per service collection: calling it again with the same type changes nothing.</summary>
    /// <typeparam name="TStore">The store type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="Errors.HealthRecordConfigurationException">Another store was registered before (see <c>AddHealthRecord</c>'s remarks).</exception>
    public static IHealthRecordBuilder UseStore<TStore>(this IHealthRecordBuilder builder)
        where TStore : class, IEhrStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        HealthRecordRegistration.Of(builder.Services).ChooseStore(builder.Services, $"UseStore<{typeof(TStore).Name}>()", typeof(TStore), ServiceDescriptor.Singleton<IEhrStore, TStore>());
        return builder;
    }

    /// <summary>Uses a store instance, or a factory for one. One store per service collection: calling it again with the same factory changes nothing.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Creates the store.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="Errors.HealthRecordConfigurationException">Another store was registered before (see <c>AddHealthRecord</c>'s remarks).</exception>
    public static IHealthRecordBuilder UseStore(this IHealthRecordBuilder builder, Func<IServiceProvider, IEhrStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        HealthRecordRegistration.Of(builder.Services).ChooseStore(builder.Services, "UseStore(factory)", factory, ServiceDescriptor.Singleton(factory));
        return builder;
    }

    /// <summary>
    /// Uses a store a store package provides, named for errors: the same name again is the same store and changes
    /// nothing; any other store is refused. Store packages call it (<c>UseSqliteStore</c>, <c>UsePostgreSqlStore</c>).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">Names the store and what it writes to, e.g. <c>the SQLite store '/data/ehr.db'</c>; no secrets.</param>
    /// <param name="factory">Creates the store.</param>
    /// <returns>Whether the store was registered now; <see langword="false"/> when the same store was registered before.</returns>
    /// <exception cref="Errors.HealthRecordConfigurationException">Another store was registered before.</exception>
    public static bool UseStore(this IHealthRecordBuilder builder, string name, Func<IServiceProvider, IEhrStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        return HealthRecordRegistration.Of(builder.Services).ChooseStore(builder.Services, name, name, ServiceDescriptor.Singleton(factory));
    }

    /// <summary>
    /// Registers a service a store keeps beside its EHRs (reviewers' answers, the audit log) unless the host registered
    /// its own: a host's registration wins, whether it came before or after the store. Store packages call it.
    /// </summary>
    /// <typeparam name="TService">The service type, e.g. <see cref="ILinkReview"/>.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Creates the store's implementation.</param>
    /// <returns>Whether it was registered; <see langword="false"/> when the host's own registration stays.</returns>
    public static bool AddStoreService<TService>(this IHealthRecordBuilder builder, Func<IServiceProvider, TService> factory)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        return HealthRecordRegistration.Of(builder.Services).AddStoreService(builder.Services, ServiceDescriptor.Singleton(factory));
    }

    /// <summary>Keeps EHRs in process memory (the default when no store is configured).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UseInMemoryStore(this IHealthRecordBuilder builder) => builder.UseStore<InMemoryEhrStore>();

    /// <summary>Adds an exporter (an output format).</summary>
    /// <typeparam name="TExporter">The exporter type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddExporter<TExporter>(this IHealthRecordBuilder builder)
        where TExporter : class, IEhrExporter
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEhrExporter, TExporter>());
        return builder;
    }
}
