using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Cli.Tests;

/// <summary>
/// Each package's README (packed as the package's readme by src/Directory.Build.props) is written for someone who
/// installed the package: no paths of this repository, links that work from a package feed, the install command, and
/// the registration methods the package offers.
/// </summary>
public sealed partial class PackageReadmeTests
{
    private static readonly string Src = Path.Combine(Corpus.RepositoryRoot, "src");

    public static TheoryData<string> Packages() => [.. Directory.GetDirectories(Src).Where(d => Directory.GetFiles(d, "*.csproj").Length == 1).Select(d => Path.GetFileName(d))];

    [Theory]
    [MemberData(nameof(Packages))]
    public void Readme_EachPackage_IsWrittenForSomeoneWhoInstalledIt(string package)
    {
        var path = Path.Combine(Src, package, "README.md");
        Assert.True(File.Exists(path), $"{package} has no README.md beside its project.");
        var readme = File.ReadAllText(path);

        Assert.StartsWith($"# {package}\n", readme.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains($"dotnet add package {package}", readme, StringComparison.Ordinal);
        var relative = Link().Matches(readme).Select(m => m.Groups["target"].Value).Where(t => !t.StartsWith("https://", StringComparison.Ordinal)).ToList();
        Assert.True(relative.Count == 0, $"{package}/README.md links to {string.Join(", ", relative)}: a package feed shows the README without the repository, so links must be absolute.");
        foreach (var repositoryOnly in new[] { "dotnet run --project", "docs/samples", "../", "tests/" })
        {
            Assert.True(!readme.Contains(repositoryOnly, StringComparison.Ordinal), $"{package}/README.md mentions '{repositoryOnly}', which only exists in the repository.");
        }
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Description_EachPackage_IsSetAndTheReadmeIsPacked(string package)
    {
        var project = XDocument.Load(Path.Combine(Src, package, package + ".csproj"));
        var description = project.Descendants("Description").Select(d => d.Value).SingleOrDefault();

        Assert.False(string.IsNullOrWhiteSpace(description), $"{package} has no <Description>.");
        // The README comes from src/Directory.Build.props: a project must not pack another one.
        Assert.DoesNotContain(project.Descendants("None"), n => ((string?)n.Attribute("Include") ?? "").Contains("README", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("$(MSBuildProjectDirectory)/README.md", File.ReadAllText(Path.Combine(Src, "Directory.Build.props")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HealthRecord.Sdk.Ccda", typeof(HealthRecord.Sdk.Ccda.CcdaConverter))]
    [InlineData("HealthRecord.Sdk.Hl7V2", typeof(HealthRecord.Sdk.Hl7V2.Parsing.Hl7V2Parser))]
    [InlineData("HealthRecord.Sdk.Sqlite", typeof(HealthRecord.Sdk.Sqlite.SqliteEhrStore))]
    [InlineData("HealthRecord.Sdk.PostgreSql", typeof(HealthRecord.Sdk.PostgreSql.PostgreSqlEhrStore))]
    [InlineData("HealthRecord.Sdk.FhirServer", typeof(HealthRecord.Sdk.FhirServer.Configuration.FhirServerSourceOptions))]
    public void Readme_EachAdapterOrStore_NamesEveryRegistrationMethodItOffers(string package, Type anyPublicType)
    {
        var readme = File.ReadAllText(Path.Combine(Src, package, "README.md"));
        var methods = anyPublicType.Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.GetParameters() is [var first, ..] && first.ParameterType == typeof(IHealthRecordBuilder))
            .Select(m => m.Name)
            .Distinct()
            .ToList();

        Assert.NotEmpty(methods);
        Assert.All(methods, m => Assert.True(readme.Contains(m + "(", StringComparison.Ordinal), $"{package}/README.md does not show {m}."));
    }

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();
}
