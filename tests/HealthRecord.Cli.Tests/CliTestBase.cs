using HealthRecord.Sdk.TestSupport;
using Microsoft.Data.Sqlite;
using Spectre.Console.Testing;

namespace HealthRecord.Cli.Tests;

/// <summary>What every CLI test class needs: a temporary folder, the sample data, and the CLI run in-process.</summary>
public abstract class CliTestBase : IDisposable
{
    /// <summary>The demo's sample EMRs.</summary>
    protected static readonly string DataDir = Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data");

    /// <summary>A folder deleted after each test.</summary>
    protected TempFolder Tmp { get; } = TestHost.TempFolder();

    /// <inheritdoc />
    public void Dispose()
    {
        // SQLite keeps pooled connections to stores in the folder open; release them before deleting it.
        SqliteConnection.ClearAllPools();
        Tmp.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs the CLI with a wide test console.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code and what was printed.</returns>
    protected static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exit = await CliApp.RunAsync(args, console);
        return (exit, console.Output);
    }
}
