using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.TestSupport;

/// <summary>Builds the SDK as a host would, for tests.</summary>
public static class TestHost
{
    /// <summary>A service provider with HealthRecord.Sdk (in-memory store) and the given configuration.</summary>
    /// <param name="configure">Extra builder configuration.</param>
    /// <returns>The provider; dispose it.</returns>
    public static ServiceProvider Create(Action<IHealthRecordBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => configure?.Invoke(hr));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>Aggregates the sources with a fresh host.</summary>
    /// <param name="sources">NAME, PATH pairs.</param>
    /// <param name="configure">Extra builder configuration.</param>
    /// <returns>The result.</returns>
    public static async Task<AggregationResult> AggregateAsync(IEnumerable<(string Name, string Path)> sources, Action<IHealthRecordBuilder>? configure = null)
    {
        using var sp = Create(configure);
        return await sp.GetRequiredService<IEhrAggregator>()
            .AggregateAsync(new AggregationRequest { Sources = sources.Select(s => new SourceRequest(s.Name, s.Path)).ToList() });
    }

    /// <summary>The demo's sample EMRs (committed under docs/samples/data), highest priority first.</summary>
    public static IReadOnlyList<(string Name, string Path)> SampleSources { get; } =
    [
        ("valley-primary-care", Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data", "valley-primary-care.json")),
        ("st-marys-hospital", Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data", "st-marys-hospital.json")),
        ("northeast-lab", Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data", "northeast-lab")),
    ];

    /// <summary>A fresh temporary folder, deleted when disposed.</summary>
    /// <returns>The folder.</returns>
    public static TempFolder TempFolder() => new();
}

/// <summary>A temporary folder that deletes itself.</summary>
public sealed class TempFolder : IDisposable
{
    /// <summary>Creates the folder.</summary>
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hr-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder path.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    /// <param name="name">The relative name.</param>
    /// <returns>The path.</returns>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a file and returns its path.</summary>
    /// <param name="name">The relative name.</param>
    /// <param name="content">The content.</param>
    /// <returns>The path.</returns>
    public string Write(string name, string content)
    {
        var path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a pooled connection; the OS cleans temp eventually.
        }
    }
}
