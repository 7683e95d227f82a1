using HealthRecord.Sdk.TestSupport;
using PublicApiGenerator;

namespace HealthRecord.Cli.Tests;

/// <summary>
/// Tracks the public surface of every package: a change to it shows up as a diff of the committed
/// <c>PublicApi/*.approved.txt</c> files, to be reviewed like code. Under <c>CI=true</c> a missing or
/// different file fails; locally the test writes <c>*.received.txt</c> beside it to compare and approve.
/// </summary>
public class PublicApiTests
{
    public static TheoryData<string> Assemblies() => new()
    {
        "HealthRecord.Sdk",
        "HealthRecord.Sdk.Sqlite",
        "HealthRecord.Sdk.PostgreSql",
        "HealthRecord.Sdk.Ccda",
        "HealthRecord.Sdk.Hl7V2",
        "HealthRecord.Sdk.FhirServer",
    };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void PublicApi_MatchesTheApprovedSurface(string assemblyName)
    {
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == assemblyName)
            ?? System.Reflection.Assembly.Load(assemblyName);
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions { ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"] })
            .ReplaceLineEndings("\n");
        var folder = Path.Combine(Corpus.RepositoryRoot, "tests", "HealthRecord.Cli.Tests", "PublicApi");
        var approved = Path.Combine(folder, assemblyName + ".approved.txt");
        var received = Path.Combine(folder, assemblyName + ".received.txt");
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

        if (!File.Exists(approved))
        {
            Assert.False(ci, $"{approved} is missing: run the tests locally, review the file and commit it.");
            Directory.CreateDirectory(folder);
            File.WriteAllText(approved, api);
            return;
        }

        if (File.ReadAllText(approved).ReplaceLineEndings("\n") != api)
        {
            File.WriteAllText(received, api);
            Assert.Fail($"The public API of {assemblyName} changed. Compare {received} with {approved}; if the change is intended, replace the approved file.");
        }

        File.Delete(received);
    }
}
