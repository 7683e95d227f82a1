using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using FluentValidation;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.Warmup;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>
/// A stopwatch probe of a host's first call, meant to run once per fresh process (cold), so that each step's
/// time is what the first use of it costs. Modes:
/// <list type="bullet">
/// <item><c>plain</c>: services, then the first and the second <c>AggregateAsync</c> of the same file.</item>
/// <item><c>breakdown</c>: services, then the first FHIR parse, FHIR serialisation, FluentValidation run and store
/// read, each on its own, then the first and second <c>AggregateAsync</c> (what is left for the first call).</item>
/// <item><c>warmup</c>: services, <see cref="IHealthRecordWarmup.WarmUpAsync"/>, then the first and second call.</item>
/// </list>
/// Each step prints its wall time and the JIT's own count of methods compiled and time spent compiling.
/// </summary>
/// <example><code>
/// dotnet tests/HealthRecord.Sdk.Benchmarks/bin/Release/net10.0/HealthRecord.Sdk.Benchmarks.dll coldstart-probe plain FILE
/// </code></example>
internal static class ColdStartProbe
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3 || args[1] is not ("plain" or "breakdown" or "warmup"))
        {
            await Console.Error.WriteLineAsync("usage: coldstart-probe plain|breakdown|warmup FILE [DB]").ConfigureAwait(false);
            return 2;
        }

        var mode = args[1];
        var file = Path.GetFullPath(args[2]);
        var db = args.Length > 3 ? args[3] : Path.Combine(Path.GetTempPath(), $"coldstart-{Environment.ProcessId}.db");
        var steps = new List<(string Name, double Ms, long Methods, double JitMs)>();
        var started = Stopwatch.GetTimestamp();

        async Task Step(string name, Func<Task> action)
        {
            var methods = JitInfo.GetCompiledMethodCount();
            var jit = JitInfo.GetCompilationTime();
            var t = Stopwatch.GetTimestamp();
            await action().ConfigureAwait(false);
            steps.Add((name, Stopwatch.GetElapsedTime(t).TotalMilliseconds, JitInfo.GetCompiledMethodCount() - methods, (JitInfo.GetCompilationTime() - jit).TotalMilliseconds));
        }

        ServiceProvider services = null!;
        IEhrAggregator aggregator = null!;
        try
        {
            await Step("services", () =>
            {
                var collection = new ServiceCollection();
                collection.AddHealthRecord(hr => hr.UseSqliteStore($"Data Source={db}"));
                services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
                aggregator = services.GetRequiredService<IEhrAggregator>();
                return Task.CompletedTask;
            }).ConfigureAwait(false);

            if (mode == "breakdown")
            {
                const string Json = """{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}""";
                Resource parsed = null!;
                await Step("first FHIR parse", () =>
                {
                    parsed = FhirJson.StructuralDeserializer.DeserializeResource(Json);
                    return Task.CompletedTask;
                }).ConfigureAwait(false);
                await Step("first FHIR serialise", () =>
                {
                    _ = FhirJson.Serialize(parsed);
                    return Task.CompletedTask;
                }).ConfigureAwait(false);
                await Step("first FluentValidation run", () =>
                {
                    foreach (var validator in services.GetServices<IValidator<Resource>>())
                    {
                        _ = validator.Validate(parsed);
                    }

                    return Task.CompletedTask;
                }).ConfigureAwait(false);
                await Step("first store read (SQLite open)", async () =>
                    _ = await services.GetRequiredService<IEhrStore>().FindPersonAsync(["coldstart-probe:Patient/none"]).ConfigureAwait(false)).ConfigureAwait(false);
            }
            else if (mode == "warmup")
            {
                await Step("WarmUpAsync", () => services.GetRequiredService<IHealthRecordWarmup>().WarmUpAsync()).ConfigureAwait(false);
            }

            var request = new AggregationRequest { Sources = [new SourceRequest("probe", file)] };
            await Step("first AggregateAsync", async () => _ = await aggregator.AggregateAsync(request).ConfigureAwait(false)).ConfigureAwait(false);
            await Step("second AggregateAsync", async () => _ = await aggregator.AggregateAsync(request).ConfigureAwait(false)).ConfigureAwait(false);
        }
        finally
        {
            await services.DisposeAsync().ConfigureAwait(false);
            if (args.Length <= 3)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                foreach (var f in new[] { db, db + "-wal", db + "-shm" })
                {
                    File.Delete(f);
                }
            }
        }

        foreach (var (name, ms, methods, jitMs) in steps)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode}\t{name}\t{ms:F0} ms\t{methods} methods JIT-compiled\t{jitMs:F0} ms in the JIT"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode}\tprocess total in Main\t{Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms\t{JitInfo.GetCompiledMethodCount()} methods\t{JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms in the JIT"));
        return 0;
    }
}
