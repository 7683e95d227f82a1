using System.Diagnostics;
using HealthRecord.Sdk.Storage;
using Hl7.Fhir.Model;
using Xunit;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.TestSupport.Storage;

/// <summary>
/// Crash and concurrency tests with real processes (tests/HealthRecord.Sdk.StoreWorker): workers killed with
/// SIGKILL at random points, and several workers writing overlapping people at once. A backend's test class
/// derives from it and says how to name and open its store.
/// </summary>
public abstract class StoreProcessTests
{
    /// <summary>The store as the worker's first argument (<c>sqlite:FILE</c> or <c>postgres:CONNECTION|SCHEMA</c>).</summary>
    protected abstract string WorkerStore { get; }

    /// <summary>Opens a fresh instance of the store the workers write.</summary>
    /// <returns>The store.</returns>
    protected abstract IEhrStore OpenStore();

    [SkippableFact]
    public async Task Workers_FourAtOnceOnOverlappingPeople_LoseAndDuplicateNoUpdate()
    {
        const int Workers = 4, People = 3, Updates = 6;
        var runs = Enumerable.Range(0, Workers).Select(w => RunWorkerAsync(w, People, Updates)).ToList();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0 && r.Output.Contains("done", StringComparison.Ordinal), r.Output));

        var store = OpenStore();
        var persons = await ToListAsync(store.ListPersonsAsync());
        Assert.Equal(People, persons.Count);
        var seen = new List<string>();
        foreach (var person in persons)
        {
            var latest = await store.GetRequiredAsync(person.PersonId);
            var updates = latest.Records.Select(r => ((Observation)r.Resource).Identifier[0].Value ?? "").ToList();
            seen.AddRange(updates);
            Assert.Equal(person.Version, updates.Count); // one version per update, each on top of the last
            Assert.Equal(Enumerable.Range(1, person.Version), (await ToListAsync(store.ListVersionsAsync(person.PersonId))).Select(v => v.Version));
        }

        var expected = Enumerable.Range(0, Workers).SelectMany(w => Enumerable.Range(0, Updates).Select(u => $"w{w}-u{u}")).Order(StringComparer.Ordinal);
        Assert.Equal(expected, seen.Order(StringComparer.Ordinal)); // none lost, none duplicated
        for (var p = 0; p < People; p++)
        {
            Assert.Contains(await store.FindPersonAsync([$"registry:Patient/p{p}"]), persons.Select(x => x.PersonId));
        }

        Assert.Empty(await ((IEhrStoreIntegrity)store).CheckIntegrityAsync());
    }

    [SkippableFact]
    public async Task Worker_KilledAtRandomPoints_EveryEarlierVersionIntactAndTheNextRunCompletes()
    {
        const int Trials = 50;
        var random = new Random(20261201);
        var kept = new Dictionary<(string, int), string>();
        for (var trial = 0; trial < Trials; trial++)
        {
            using (var worker = StartWorker(trial, 2, 100_000))
            {
                await Task.Delay(random.Next(150, 1200));
                worker.Kill(); // SIGKILL on Unix
                await worker.WaitForExitAsync();
            }

            var store = OpenStore();
            var problems = await ((IEhrStoreIntegrity)store).CheckIntegrityAsync();
            Assert.True(problems.Count == 0, $"trial {trial}: {string.Join("; ", problems)}");
            var now = new Dictionary<(string, int), string>();
            await foreach (var person in store.ListPersonsAsync())
            {
                await foreach (var v in store.ListVersionsAsync(person.PersonId))
                {
                    now[(v.PersonId, v.Version)] = v.ContentHash;
                }

                var latest = await store.GetRequiredAsync(person.PersonId);
                Assert.Equal(person.Version, latest.Records.Count);
            }

            foreach (var (version, hash) in kept)
            {
                Assert.True(now.TryGetValue(version, out var after) && after == hash, $"trial {trial}: version {version} changed or vanished");
            }

            kept = now;
            Release();
        }

        var last = await RunWorkerAsync(Trials, 2, 4);
        Assert.True(last.ExitCode == 0 && last.Output.Contains("done", StringComparison.Ordinal), last.Output);
        Assert.Empty(await ((IEhrStoreIntegrity)OpenStore()).CheckIntegrityAsync());
    }

    /// <summary>Lets go of what the test's store instances hold (e.g. pooled connections) between trials.</summary>
    protected virtual void Release()
    {
    }

    private Process StartWorker(int worker, int people, int updates)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { WorkerPath(), WorkerStore, worker.ToString(System.Globalization.CultureInfo.InvariantCulture), people.ToString(System.Globalization.CultureInfo.InvariantCulture), updates.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("The store worker did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task<(int ExitCode, string Output)> RunWorkerAsync(int worker, int people, int updates)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { WorkerPath(), WorkerStore, worker.ToString(System.Globalization.CultureInfo.InvariantCulture), people.ToString(System.Globalization.CultureInfo.InvariantCulture), updates.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("The store worker did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>The store worker's dll: built beside the tests (a ProjectReference that only orders the build), in the same configuration.</summary>
    /// <returns>The path.</returns>
    public static string WorkerPath()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(Corpus.RepositoryRoot, "tests", "HealthRecord.Sdk.StoreWorker", "bin", configuration, "net10.0", "HealthRecord.Sdk.StoreWorker.dll");
        Assert.True(File.Exists(path), $"The store worker is not built at {path}.");
        return path;
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var i in items)
        {
            list.Add(i);
        }

        return list;
    }
}
