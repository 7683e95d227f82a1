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
        var (kind, target) = ParseStore(store);
        switch (kind)
        {
            case "sqlite":
                hr.UseSqliteStore($"Data Source={target}");
                break;
            case "memory":
                hr.UseInMemoryStore();
                break;
            case "postgres":
                // The store's tables go in the first schema of the connection string's Search Path, if it names one.
                var schema = new Npgsql.NpgsqlConnectionStringBuilder(target).SearchPath?.Split(',')[0].Trim();
                hr.UsePostgreSqlStore(target, string.IsNullOrEmpty(schema) ? Sdk.PostgreSql.PostgreSqlDatabase.DefaultSchema : schema);
                break;
        }
    }

    /// <summary>
    /// Splits <c>--store</c>: <c>sqlite:FILE</c>, <c>postgres:CONNECTION</c> (an Npgsql connection string, e.g.
    /// <c>postgres:Host=db;Database=ehr;Username=hr</c>, or a URL <c>postgres://user:password@host:port/database</c>),
    /// or <c>memory</c>.
    /// </summary>
    public static (string Kind, string Target) ParseStore(string store)
    {
        var colon = store.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? store : store[..colon];
        var target = colon < 0 ? "" : store[(colon + 1)..];
        return kind switch
        {
            "sqlite" when target.Length > 0 => (kind, target),
            "memory" => (kind, ""),
            "postgres" or "postgresql" when target.StartsWith("//", StringComparison.Ordinal) => ("postgres", FromUrl("postgres:" + target)),
            "postgres" or "postgresql" when target.Contains('=', StringComparison.Ordinal) => ("postgres", ValidConnectionString(target)),
            "postgres" or "postgresql" => throw new CliUsageException("--store postgres:CONNECTION takes an Npgsql connection string (postgres:Host=HOST;Database=DB;Username=USER) or a URL (postgres://USER@HOST:PORT/DB)."),
            _ => throw new CliUsageException($"--store takes sqlite:FILE, postgres:CONNECTION (or memory); got '{Truncate(store)}'."),
        };
    }

    /// <summary>The store of a command that only reads: a SQLite file must already exist (reading never creates one).</summary>
    public static void RequireExisting(string store)
    {
        var (kind, target) = ParseStore(store);
        if (kind == "sqlite" && !File.Exists(target))
        {
            throw new CliUsageException($"There is no store at '{target}'.");
        }
    }

    private static string ValidConnectionString(string text)
    {
        try
        {
            return new Npgsql.NpgsqlConnectionStringBuilder(text).ConnectionString;
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"--store postgres: the connection string is not valid: {ex.Message}");
        }
    }

    private static string FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new CliUsageException("--store postgres://… is not a valid URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE.");
        }

        var b = new Npgsql.NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0)
        {
            b.Port = uri.Port;
        }

        var user = uri.UserInfo.Split(':', 2);
        if (user[0].Length > 0)
        {
            b.Username = Uri.UnescapeDataString(user[0]);
        }

        if (user.Length > 1)
        {
            b.Password = Uri.UnescapeDataString(user[1]);
        }

        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } database)
        {
            b.Database = Uri.UnescapeDataString(database);
        }

        return b.ConnectionString;
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";

    public static IEhrStore Store(IServiceProvider services) => services.GetRequiredService<IEhrStore>();
}
