using System.Diagnostics;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.TestSupport.Storage;
using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.Sqlite.Tests;

/// <summary>
/// Population runs into one SQLite file as processes (the worker in tests/HealthRecord.Sdk.StoreWorker): a run killed
/// between people keeps the people it said it saved, and running it again completes the rest; two shards of one run
/// save what one unsplit run saves.
/// </summary>
public sealed class SqlitePopulationRunTests : IDisposable
{
    private const int People = 12;
    private readonly TempFolder _tmp = TestHost.TempFolder();

    [Fact]
    public async Task PopulationRun_KilledBetweenPeople_KeepsThosePrintedAndARerunCompletesTheRest()
    {
        var sources = ShardPopulation.Write(_tmp.File("pop"), People);
        var store = "sqlite:" + _tmp.File("ehr.db");

        var printed = new List<string>();
        var info = WorkerInfo(store, "-", sources);
        info.Environment["STOREWORKER_PAUSE_MS"] = "400";
        using (var worker = Process.Start(info) ?? throw new InvalidOperationException("The store worker did not start."))
        {
            worker.ErrorDataReceived += (_, _) => { };
            worker.BeginErrorReadLine();
            while (printed.Count < 3 && await worker.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("saved ", StringComparison.Ordinal))
                {
                    printed.Add(line.Split(' ')[1]);
                }
            }

            worker.Kill(); // SIGKILL, between two people (the worker pauses after each)
            await worker.WaitForExitAsync();
        }

        Assert.Equal(3, printed.Count);
        var stored = await PersonsAsync();
        Assert.Subset(stored.Keys.ToHashSet(StringComparer.Ordinal), printed.ToHashSet(StringComparer.Ordinal)); // every person it named is saved
        Assert.True(stored.Count < People, "the run was not stopped part-way");
        Assert.All(stored.Values, v => Assert.Equal(1, v));
        Assert.Empty(await ((IEhrStoreIntegrity)Open()).CheckIntegrityAsync());

        var (exit, output) = await RunWorkerAsync(store, "-", sources);
        Assert.True(exit == 0 && output.Contains($"done {People}", StringComparison.Ordinal), output);
        var after = await PersonsAsync();
        Assert.Equal(People, after.Count);
        Assert.All(after.Values, v => Assert.Equal(1, v)); // the people saved before the kill were unchanged: no second version
        Assert.Empty(await ((IEhrStoreIntegrity)Open()).CheckIntegrityAsync());
    }

    [Fact]
    public async Task PopulationRun_TwoShardsAtOnce_SaveWhatOneUnsplitRunSaves()
    {
        var sources = ShardPopulation.Write(_tmp.File("pop"), People);
        var (whole, wholeOutput) = await RunWorkerAsync("sqlite:" + _tmp.File("whole.db"), "-", sources);
        Assert.True(whole == 0, wholeOutput);

        var shards = await Task.WhenAll(RunWorkerAsync("sqlite:" + _tmp.File("split.db"), "1/2", sources), RunWorkerAsync("sqlite:" + _tmp.File("split.db"), "2/2", sources));
        Assert.All(shards, s => Assert.True(s.ExitCode == 0, s.Output));

        var expected = Saved(wholeOutput).Order(StringComparer.Ordinal).ToList();
        var split = shards.SelectMany(s => Saved(s.Output)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(People, expected.Count);
        Assert.Equal(expected, split); // same persons and record counts; none twice, none missing
        Assert.All(shards, s => Assert.NotEmpty(Saved(s.Output)));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    private SqliteEhrStore Open() => new($"Data Source={_tmp.File("ehr.db")}");

    private async Task<Dictionary<string, int>> PersonsAsync()
    {
        var persons = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var p in Open().ListPersonsAsync())
        {
            persons[p.PersonId] = p.Version;
        }

        SqliteConnection.ClearAllPools();
        return persons;
    }

    // "PERSON VERSION RECORDS" per saved person.
    private static List<string> Saved(string output) =>
        output.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith("saved ", StringComparison.Ordinal)).Select(l => l["saved ".Length..]).ToList();

    private static ProcessStartInfo WorkerInfo(string store, string shard, IReadOnlyList<string> sources)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { StoreProcessTests.WorkerPath(), "population", store, shard }.Concat(sources))
        {
            info.ArgumentList.Add(a);
        }

        return info;
    }

    private static async Task<(int ExitCode, string Output)> RunWorkerAsync(string store, string shard, IReadOnlyList<string> sources)
    {
        using var process = Process.Start(WorkerInfo(store, shard, sources)) ?? throw new InvalidOperationException("The store worker did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, $"[worker {shard}]\n" + await output + await error);
    }
}
