using System.Text.RegularExpressions;
using System.Xml.Linq;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Cli.Tests;

/// <summary>
/// docs/getting-started.md against the packed-package host it walks through (docs/samples/HealthRecord.PackagedHost,
/// built and run from the packed packages by .ci/run): the doc's code is the host's code, its packages are the host's,
/// its links resolve, and the sample consent it uses does what the doc says.
/// </summary>
public sealed partial class GettingStartedTests
{
    private static readonly string DocPath = Path.Combine(Corpus.RepositoryRoot, "docs", "getting-started.md");
    private static readonly string HostDir = Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "HealthRecord.PackagedHost");

    private static string Read(string path) => File.ReadAllText(path).ReplaceLineEndings("\n");

    [Fact]
    public void CodeBlocks_AreEachInTheSampleHostsProgram()
    {
        var program = Read(Path.Combine(HostDir, "Program.cs"));
        var blocks = CSharpBlock().Matches(Read(DocPath)).Select(m => m.Groups["code"].Value).ToList();

        Assert.True(blocks.Count >= 7, $"getting-started.md has {blocks.Count} C# blocks; it walks through the host in at least 7.");
        Assert.All(blocks, block => Assert.Contains(block, program, StringComparison.Ordinal));
    }

    [Fact]
    public void AddPackage_NamesExactlyThePackagesTheSampleHostReferences()
    {
        var added = AddPackage().Matches(Read(DocPath)).Select(m => m.Groups["id"].Value).ToHashSet(StringComparer.Ordinal);
        var project = XDocument.Load(Path.Combine(HostDir, "HealthRecord.PackagedHost.csproj"));
        var referenced = project.Descendants("PackageReference").Select(r => (string)r.Attribute("Include")!).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(referenced.Order(StringComparer.Ordinal), added.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SampleHost_UsesThePackagesOnly_AndIsNotInTheSolution()
    {
        var project = XDocument.Load(Path.Combine(HostDir, "HealthRecord.PackagedHost.csproj"));

        Assert.Empty(project.Descendants("ProjectReference"));
        Assert.Contains(project.Descendants("PackageReference"), r => (string?)r.Attribute("Include") == "HealthRecord.Sdk");
        Assert.DoesNotContain("HealthRecord.PackagedHost", File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "HealthRecord.Sdk.sln")), StringComparison.Ordinal);
        Assert.Contains("local-feed", File.ReadAllText(Path.Combine(HostDir, "nuget.config")), StringComparison.Ordinal);
    }

    [Fact]
    public void Links_PointAtFilesThatExist()
    {
        var doc = Read(DocPath);
        var targets = Link().Matches(doc).Select(m => m.Groups["target"].Value)
            .Where(t => !t.StartsWith("http", StringComparison.Ordinal) && !t.StartsWith('#'))
            .Select(t => t.Split('#')[0])
            .ToList();

        Assert.Contains("samples/consent.json", targets);
        Assert.All(targets, t => Assert.True(Path.Exists(Path.Combine(Corpus.RepositoryRoot, "docs", t)), $"getting-started.md links to {t}, which does not exist."));
    }

    [Fact]
    public async Task SampleConsent_SharesTheDemoEhrWithClinicB_WithoutItsBillingRecords()
    {
        using var provider = TestHost.Create();
        var result = await TestHost.AggregateAsync(TestHost.SampleSources);
        var ehr = Assert.Single(result.Ehrs);

        var shared = await provider.GetRequiredService<IEhrSharing>().ShareAsync(ehr, new ShareRequest
        {
            Consents = ConsentDocuments.Parse(File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "consent.json"))),
            Recipient = ConsentRecipient.Parse("Organization/clinic-b"),
            PurposeOfUse = [AccessRequest.Purpose("TREAT")],
        });

        var billing = ehr.Records.Where(r => r.Resource is Claim or ExplanationOfBenefit).Select(r => r.Reference).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(billing);
        Assert.Equal(billing, shared.Withheld.Where(r => !r.Contains('#', StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(shared.Disclosure.Entry, e => e.Resource is Claim or ExplanationOfBenefit);
        Assert.Equal(ehr.Records.Count(r => r.Resource is Condition), shared.Disclosure.Entry.Count(e => e.Resource is Condition));

        // For another recipient the consent permits nothing, and the default (deny) withholds everything.
        var other = await provider.GetRequiredService<IEhrSharing>().ShareAsync(ehr, new ShareRequest
        {
            Consents = ConsentDocuments.Parse(File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "consent.json"))),
            Recipient = ConsentRecipient.Parse("Organization/someone-else"),
            PurposeOfUse = [AccessRequest.Purpose("TREAT")],
        });
        Assert.DoesNotContain(other.Disclosure.Entry, e => e.Resource is Condition);
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^dotnet add package (?<id>[A-Za-z0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex AddPackage();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();
}
