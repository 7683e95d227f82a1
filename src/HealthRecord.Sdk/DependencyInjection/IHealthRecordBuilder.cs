using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>
/// Configures HealthRecord.Sdk inside <c>services.AddHealthRecord(hr => …)</c>. Adapter and store
/// packages add their own extension methods to it (<c>AddCcda()</c>, <c>UseSqliteStore(…)</c>).
/// </summary>
public interface IHealthRecordBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}

internal sealed class HealthRecordBuilder(IServiceCollection services) : IHealthRecordBuilder
{
    public IServiceCollection Services { get; } = services;
}
