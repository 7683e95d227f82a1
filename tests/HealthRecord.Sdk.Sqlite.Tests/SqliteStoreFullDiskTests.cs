using System.Diagnostics;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Sqlite.Tests;

/// <summary>
/// A full disk under the SQLite store: a small tmpfs mounted for the test when it can be (root, and <c>mount</c>
/// succeeds), filled to the last byte; otherwise a database capped with <c>PRAGMA max_page_count</c> (the test output
/// says which). Either way the save fails with a typed <see cref="EhrStoreErrorKind.Full"/> error and the previous
/// version stays intact.
/// </summary>
public sealed class SqliteStoreFullDiskTests : IDisposable
{
    private static readonly Lazy<EhrAggregate> Sample = new(() => TestHost.AggregateAsync(TestHost.SampleSources).GetAwaiter().GetResult().Ehrs.Single());
    private readonly TempFolder _tmp = TestHost.TempFolder();
    private readonly ITestOutputHelper _output;
    private string? _mounted;

    public SqliteStoreFullDiskTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SaveAsync_DiskFull_ThrowsFullAndKeepsThePreviousVersion()
    {
        var folder = _tmp.File("disk");
        Directory.CreateDirectory(folder);
        var tmpfs = Environment.GetEnvironmentVariable("HEALTHRECORD_FULL_DISK") != "page-count" && TryMountTmpfs(folder, "8m");
        _output.WriteLine(tmpfs
            ? $"full disk: a tmpfs of 8 MiB mounted on {folder}, filled to the last byte"
            : "full disk: simulated with PRAGMA max_page_count (no tmpfs: not root, mount refused, or HEALTHRECORD_FULL_DISK=page-count)");
        var path = Path.Combine(folder, "ehr.db");
        var store = new SqliteEhrStore($"Data Source={path}");
        var first = await store.SaveAsync(Sample.Value);
        var firstHash = (await ToListAsync(store.ListVersionsAsync(first.PersonId))).Single().ContentHash;
        string? filler = null;
        if (tmpfs)
        {
            filler = Path.Combine(folder, "filler");
            FillDisk(filler);
        }
        else
        {
            store.Database.MaxPageCount = PageCount(path) + 1;
        }

        // Larger than the first version, so it cannot fit in the space the write-ahead log already holds.
        var next = Sample.Value with { Records = Sample.Value.Records.Skip(1).ToList(), SourceRecords = [.. Sample.Value.SourceRecords, .. Sample.Value.SourceRecords] };
        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => store.SaveAsync(next));

        _output.WriteLine($"error: {ex.Kind}: {ex.Message}");
        Assert.Equal(EhrStoreErrorKind.Full, ex.Kind);
        Assert.Contains("the disk is full", ex.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was written", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("disk I/O error", ex.Message, StringComparison.OrdinalIgnoreCase);

        // The previous version is intact, still the latest, and readable while the disk is full.
        var reader = new SqliteEhrStore($"Data Source={path}");
        var versions = await ToListAsync(reader.ListVersionsAsync(first.PersonId));
        Assert.Equal([(1, firstHash)], versions.Select(v => (v.Version, v.ContentHash)));
        Assert.Equal(Sample.Value.Records.Count, (await reader.GetRequiredAsync(first.PersonId)).Records.Count);
        Assert.Empty(await reader.CheckIntegrityAsync());

        // Space again: the next save goes through as version 2.
        if (filler is not null)
        {
            File.Delete(filler);
        }

        store.Database.MaxPageCount = null;
        SqliteConnection.ClearAllPools();
        var second = await store.SaveAsync(next);
        Assert.Equal(2, second.Version);
        Assert.Equal(firstHash, (await ToListAsync(store.ListVersionsAsync(first.PersonId)))[0].ContentHash);
        Assert.Empty(await store.CheckIntegrityAsync());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (_mounted is not null)
        {
            Run("umount", _mounted);
        }

        _tmp.Dispose();
    }

    private bool TryMountTmpfs(string folder, string size)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return false;
        }

        if (Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", folder) != 0)
        {
            return false;
        }

        _mounted = folder;
        return true;
    }

    // Writes until the file system refuses another byte.
    private static void FillDisk(string path)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        var chunk = new byte[64 * 1024];
        foreach (var size in new[] { chunk.Length, 4096, 512, 1 })
        {
            try
            {
                while (true)
                {
                    file.Write(chunk, 0, size);
                    file.Flush();
                }
            }
            catch (IOException)
            {
                // Full at this granularity; try smaller writes.
            }
        }
    }

    private static long PageCount(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA page_count";
        return (long)cmd.ExecuteScalar()!;
    }

    private static int Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        try
        {
            using var process = Process.Start(info)!;
            process.WaitForExit(30_000);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1; // no such program
        }
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
