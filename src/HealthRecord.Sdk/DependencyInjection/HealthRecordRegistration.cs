using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>
/// What one service collection's HealthRecord registration has chosen so far, kept in the collection itself so that
/// every <c>AddHealthRecord</c> call and every builder method sees it: the one builder, the one store, and which
/// registrations are the SDK's own (defaults a host or store may replace) rather than the host's (never replaced).
/// </summary>
internal sealed class HealthRecordRegistration
{
    private readonly HashSet<ServiceDescriptor> _sdkAdded = new(ReferenceEqualityComparer.Instance);

    private HealthRecordRegistration(IServiceCollection services)
    {
        Builder = new HealthRecordBuilder(services);
    }

    /// <summary>The one builder every <c>AddHealthRecord</c> call of the collection configures.</summary>
    public IHealthRecordBuilder Builder { get; }

    /// <summary>The store chosen: its name (for errors) and what identifies it (equal keys: the same store).</summary>
    public (string Name, object Key)? Store { get; private set; }

    /// <summary>The registration of a collection, created (and added to it) on first use.</summary>
    /// <param name="services">The services.</param>
    /// <param name="created">Whether this call created it (the first <c>AddHealthRecord</c>).</param>
    /// <returns>The registration.</returns>
    public static HealthRecordRegistration Of(IServiceCollection services, out bool created)
    {
        created = false;
        foreach (var d in services)
        {
            if (d.ServiceType == typeof(HealthRecordRegistration) && d.ImplementationInstance is HealthRecordRegistration existing)
            {
                return existing;
            }
        }

        var registration = new HealthRecordRegistration(services);
        services.AddSingleton(registration);
        created = true;
        return registration;
    }

    /// <summary>The registration of a collection, created on first use.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The registration.</returns>
    public static HealthRecordRegistration Of(IServiceCollection services) => Of(services, out _);

    /// <summary>Marks registrations as the SDK's own (defaults, or a store package's services).</summary>
    /// <param name="descriptors">The registrations.</param>
    public void MarkSdkAdded(IEnumerable<ServiceDescriptor> descriptors)
    {
        foreach (var d in descriptors)
        {
            _sdkAdded.Add(d);
        }
    }

    /// <summary>
    /// Chooses the store. The same store again (equal name and key) changes nothing; a different one, or a store the
    /// host registered on the service collection itself, is refused.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">Names the store in errors (no secrets).</param>
    /// <param name="key">Identifies the store.</param>
    /// <param name="descriptor">The store's registration.</param>
    /// <returns>Whether the store was registered now (false: it was already).</returns>
    /// <exception cref="HealthRecordConfigurationException">Another store was registered before.</exception>
    public bool ChooseStore(IServiceCollection services, string name, object key, ServiceDescriptor descriptor)
    {
        if (Store is { } chosen)
        {
            if (chosen.Name == name && Equals(chosen.Key, key))
            {
                return false;
            }

            throw TwoStores(chosen.Name, name);
        }

        var hosts = services.Where(d => d.ServiceType == typeof(IEhrStore) && !_sdkAdded.Contains(d)).ToList();
        if (hosts.Count > 0)
        {
            throw TwoStores($"an IEhrStore registered on the service collection ({Describe(hosts[0])})", name);
        }

        RemoveSdkAdded(services, typeof(IEhrStore));
        services.Add(descriptor);
        _sdkAdded.Add(descriptor);
        Store = (name, key);
        return true;
    }

    /// <summary>Registers a service a store keeps beside its EHRs, unless the host registered its own (the host's wins, whatever the order).</summary>
    /// <param name="services">The services.</param>
    /// <param name="descriptor">The store's registration.</param>
    /// <returns>Whether it was registered.</returns>
    public bool AddStoreService(IServiceCollection services, ServiceDescriptor descriptor)
    {
        if (services.Any(d => d.ServiceType == descriptor.ServiceType && !_sdkAdded.Contains(d)))
        {
            return false;
        }

        RemoveSdkAdded(services, descriptor.ServiceType);
        services.Add(descriptor);
        _sdkAdded.Add(descriptor);
        return true;
    }

    /// <summary>Moves the SDK's file-system adapter after every other adapter (adapters are asked in registration order).</summary>
    /// <param name="services">The services.</param>
    public static void KeepFileSystemAdapterLast(IServiceCollection services)
    {
        var fileSystem = services.Where(d => d.ServiceType == typeof(IEmrSourceAdapter) && d.ImplementationType == typeof(FileSystemSourceAdapter)).ToList();
        foreach (var d in fileSystem)
        {
            services.Remove(d);
            services.Add(d);
        }
    }

    private void RemoveSdkAdded(IServiceCollection services, Type serviceType)
    {
        foreach (var d in services.Where(d => d.ServiceType == serviceType && _sdkAdded.Contains(d)).ToList())
        {
            services.Remove(d);
        }
    }

    private static HealthRecordConfigurationException TwoStores(string first, string second) =>
        new($"Two EHR stores were registered: {first}, then {second}. A host keeps its EHRs in one store, so the second registration was refused "
            + "(calling AddHealthRecord again, or another Use…Store, never moves the EHRs to another store). Register one store; to move EHRs, copy them from one store to the other.");

    private static string Describe(ServiceDescriptor d) =>
        d.ImplementationType?.Name ?? d.ImplementationInstance?.GetType().Name ?? (d.ImplementationFactory is not null ? "a factory" : d.ServiceType.Name);
}
