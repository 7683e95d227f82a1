using HealthRecord.Cli;
using HealthRecord.Cli.Commands;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Cli.Tests;

/// <summary>Where the demo reads its sample EMRs from, and that the location it prints is where they really are.</summary>
public sealed class DemoCommandTests : CliTestBase
{
    [Fact]
    public void SampleDataFolder_ProgramBuiltInsideTheRepository_IsTheCommittedFolder() =>
        Assert.Equal(DataDir, DemoCommand.SampleDataFolder(AppContext.BaseDirectory));

    [Fact]
    public void SampleDataFolder_ProgramOutsideARepository_IsTheCopyBesideTheProgram()
    {
        var program = Tmp.File("published");
        Directory.CreateDirectory(program);

        Assert.Equal(Path.Combine(program, "data"), DemoCommand.SampleDataFolder(program));
    }

    [Fact]
    public async Task Demo_WithoutData_PrintsTheCommittedSampleFilesAsTheLocation()
    {
        var (exit, output) = await RunAsync("demo", "--out-dir", Tmp.Path);

        Assert.Equal(CliApp.Success, exit);
        var location = AggregationRunnerLocation(Path.Combine(DataDir, "valley-primary-care.json"));
        Assert.Contains($"│ {location} ", output, StringComparison.Ordinal);
        Assert.Contains($"│ {AggregationRunnerLocation(Path.Combine(DataDir, "northeast-lab"))} ", output, StringComparison.Ordinal);
        Assert.DoesNotContain($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", output, StringComparison.Ordinal);
    }

    // The demo prints locations relative to the working folder when they are under it, else in full.
    private static string AggregationRunnerLocation(string path) => HealthRecord.Cli.Infrastructure.AggregationRunner.ShortLocation(path);
}
