using HealthRecord.Sdk.FhirServer.Configuration;
using HealthRecord.Sdk.FhirServer.Http;
using HealthRecord.Sdk.FhirServer.Sources;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Builder methods that add FHIR R4 servers as sources.</summary>
public static class FhirServerHealthRecordBuilderExtensions
{
    /// <summary>
    /// Adds a FHIR R4 server source with its own options (base URL, SMART Backend Services client, paging, Bulk Data,
    /// resilience), validated at start-up. Aggregate it with <c>new SourceRequest(name, "https://host/fhir?patient=ID")</c>
    /// or a Bulk Data URL (<c>…/$export</c>, <c>…/Patient/$export</c>, <c>…/Group/ID/$export</c>) on that base URL.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The source name (it appears in lineage and merge policies).</param>
    /// <param name="configure">Sets the source's options.</param>
    /// <returns>The builder.</returns>
    /// <example><code>
    /// hr.AddFhirServerSource("hospital-a", o =>
    /// {
    ///     o.BaseAddress = new Uri("https://fhir.hospital-a.example/r4");
    ///     o.ClientId = "healthrecord-aggregator";
    ///     o.PrivateKeyPem = File.ReadAllText("client-key.pem");
    ///     o.KeyId = "key-1";
    ///     o.Scopes = "system/*.read";
    /// });
    /// </code></example>
    public static IHealthRecordBuilder AddFhirServerSource(this IHealthRecordBuilder builder, string name, Action<FhirServerSourceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        var names = AddCore(builder.Services);
        if (!names.Contains(name))
        {
            names.Add(name);
            FhirServerHttp.AddClient(builder.Services, name);
        }

        builder.Services.AddOptions<FhirServerSourceOptions>(name).Configure(configure).ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Lets any source whose location is a FHIR server URL be read (the CLI's <c>--source NAME=https://…</c>), with
    /// these default options (authentication, paging, resilience); sources added with
    /// <see cref="AddFhirServerSource"/> keep their own.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the default options; <see langword="null"/> keeps the built-in defaults.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddFhirServerSources(this IHealthRecordBuilder builder, Action<FhirServerSourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddCore(builder.Services);
        var options = builder.Services.AddOptions<FhirServerSourceOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder;
    }

    private static FhirServerSourceNames AddCore(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(FhirServerSourceNames))?.ImplementationInstance is FhirServerSourceNames existing)
        {
            return existing;
        }

        var names = new FhirServerSourceNames();
        services.AddSingleton(names);
        services.AddHttpClient();
        FhirServerHttp.AddClient(services, Options.DefaultName);
        services.TryAddSingleton<FhirServerSyncStates>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FhirServerSourceOptions>, FhirServerOptionsValidation>());
        services.TryAddSingleton(sp => new FhirServerSourceAdapter(
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<IOptionsMonitor<FhirServerSourceOptions>>(),
            sp.GetServices<ISourceDocumentReader>(),
            sp.GetRequiredService<IOptions<HealthRecordOptions>>(),
            sp.GetRequiredService<FhirServerSyncStates>(),
            sp.GetRequiredService<FhirServerSourceNames>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEmrSourceAdapter, FhirServerSourceAdapter>(sp => sp.GetRequiredService<FhirServerSourceAdapter>()));
        return names;
    }
}
