using System.Xml;
using System.Xml.Linq;
using System.Xml.XPath;
using HealthRecord.Sdk.Ccda;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda.Tests;

public class CcdaCorpusTests
{
    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string>();
        if (Corpus.IsAvailable)
        {
            foreach (var file in Directory.EnumerateFiles(Corpus.PathOf("ccda"), "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(Corpus.PathOf("ccda"), file));
            }
        }
        else
        {
            data.Add("(corpus not available)");
        }

        return data;
    }

    [CorpusTheory]
    [MemberData(nameof(Documents))]
    public void Convert_CorpusDocument_AccountsForEveryEntry(string relative)
    {
        var path = Corpus.PathOf(Path.Combine("ccda", relative));
        using var stream = File.OpenRead(path);
        var result = new CcdaConverter().Convert(stream, relative);

        EntryAccounting.AssertEveryEntryAccountedFor(XDocument.Load(path), result.Report);
        Assert.Single(result.Resources.OfType<Patient>());
        Assert.All(result.Resources, r => Assert.False(string.IsNullOrEmpty(r.Id)));
        Assert.Equal(result.Resources.Count, result.Resources.Select(r => r.TypeName + "/" + r.Id).Distinct().Count());
        EntryAccounting.AssertReferencesResolve(result.Resources);

        // Every resource serialises and parses back as valid FHIR R4.
        foreach (var resource in result.Resources)
        {
            var json = FhirJson.Serialize(resource);
            var parsed = FhirJson.Parse(json);
            Assert.Equal(resource.TypeName, parsed.TypeName);
        }
    }
}

/// <summary>The independent XPath count of entries, checked against the report.</summary>
internal static class EntryAccounting
{
    public static void AssertEveryEntryAccountedFor(XDocument document, CcdaConversionReport report)
    {
        var ns = new XmlNamespaceManager(new NameTable());
        ns.AddNamespace("cda", "urn:hl7-org:v3");
        var sections = document.XPathSelectElements("/cda:ClinicalDocument/cda:component/cda:structuredBody//cda:section", ns).ToList();
        Assert.Equal(sections.Count, report.Sections.Count);
        var explainedEntries = report.NotConverted
            .Select(n => EntryOf(n.XPath))
            .Where(e => e is not null)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        for (var i = 0; i < sections.Count; i++)
        {
            var expected = Convert.ToInt32((double)sections[i].XPathEvaluate("count(cda:entry)", ns));
            var row = report.Sections[i];
            Assert.Equal(expected, row.Entries);
            Assert.Equal(row.Entries, row.Converted + row.NotConverted);
            var explained = explainedEntries.Count(e => e!.StartsWith(row.XPath + "/entry", StringComparison.Ordinal) && !e[(row.XPath.Length + 1)..].Contains("/section", StringComparison.Ordinal));
            Assert.True(row.NotConverted <= explained,
                $"Section {row.XPath} ({row.Kind}): {row.NotConverted} entries not converted but only {explained} explained.");
            Assert.Equal(expected - row.NotConverted, row.Converted);
        }

        Assert.All(report.NotConverted, n => Assert.False(string.IsNullOrWhiteSpace(n.Reason)));
    }

    public static void AssertReferencesResolve(IReadOnlyList<Resource> resources)
    {
        var ids = resources.Select(r => r.TypeName + "/" + r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            foreach (var (_, reference) in ResourceReferences.Enumerate(resource))
            {
                if (reference.Reference is { } target)
                {
                    Assert.Contains(target, ids);
                }
            }
        }
    }

    private static string? EntryOf(string xpath)
    {
        var index = xpath.LastIndexOf("/entry", StringComparison.Ordinal);
        if (index < 0)
        {
            return null;
        }

        var end = xpath.IndexOf('/', index + 1);
        return end < 0 ? xpath : xpath[..end];
    }
}
