using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HealthRecord.Cli.Infrastructure;

/// <summary>Builds the SDK's services the way a host application would, from command-line choices.</summary>
internal static class SdkHost
{
    public static ServiceProvider Build(string? store, IReadOnlyList<string>? priority = null, string? policy = null, bool verbose = false)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning));
        services.AddHealthRecord(hr =>
        {
            AdapterRegistration.AddAll(hr);
            if (store is not null)
            {
                ConfigureStore(hr, store);
            }
            else
            {
                hr.Configure(o => o.SaveToStore = false);
            }

            if (priority is { Count: > 0 })
            {
                hr.Configure(o =>
                {
                    foreach (var p in priority)
                    {
                        o.SourcePriority.Add(p);
                    }
                });
            }

            if (policy is not null)
            {
                var chosen = MergePolicies.FromName(policy);
                hr.ConfigureMerge(m => m.Default(chosen));
            }
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private static void ConfigureStore(IHealthRecordBuilder hr, string store)
    {
        var colon = store.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? store : store[..colon];
        var target = colon < 0 ? "" : store[(colon + 1)..];
        switch (kind)
        {
            case "sqlite" when target.Length > 0:
                hr.UseSqliteStore($"Data Source={target}");
                break;
            case "memory":
                hr.UseInMemoryStore();
                break;
            case "postgres":
                throw new CliUsageException("The PostgreSQL store is not part of this build yet; use --store sqlite:FILE.");
            default:
                throw new CliUsageException($"--store takes sqlite:FILE (or memory); got '{store}'.");
        }
    }

    public static IEhrStore Store(IServiceProvider services) => services.GetRequiredService<IEhrStore>();
}
