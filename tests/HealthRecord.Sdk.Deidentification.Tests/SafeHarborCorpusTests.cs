using System.Xml.Linq;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Deidentification.Tests;

/// <summary>
/// On every Synthea bundle, C-CDA document and HL7 v2 message of the corpus: no identifier of the input (found by
/// <see cref="IdentifierOracle"/> in the input's own format) appears anywhere in the output bytes.
/// </summary>
public class SafeHarborCorpusTests
{
    public static TheoryData<string> Synthea() => Pipeline.Files(Path.Combine("fhir-bundles", "synthea"), "*.json");

    [CorpusTheory]
    [MemberData(nameof(Synthea))]
    public async Task Deidentify_SyntheaBundle_LeavesNoIdentifierOfTheInput(string relative)
    {
        var path = Corpus.PathOf(relative);
        var json = await File.ReadAllTextAsync(path);
        await AssertNoLeakAsync(path, IdentifierOracle.FromFhirJson(json), IdentifierOracle.VocabularyOfFhirJson(json), expectPerson: true);
    }

    internal static async Task AssertNoLeakAsync(string path, List<InputIdentifier> identifiers, List<string> vocabulary, bool expectPerson)
    {
        Assert.NotEmpty(identifiers);
        var ehrs = await Pipeline.AggregateAsync(("source", path));
        if (expectPerson)
        {
            Assert.NotEmpty(ehrs);
        }

        foreach (var mode in new[] { DeidentificationMode.SafeHarbor, DeidentificationMode.DateShift })
        {
            var (files, results) = await Pipeline.ExportAsync(ehrs, mode);
            Assert.Equal(ehrs.Count, results.Count);
            var text = IdentifierOracle.OutputText(files);

            // Dates: only Safe Harbor promises that no full date of the input remains (a shifted date may equal another input date).
            var searched = mode == DeidentificationMode.SafeHarbor ? identifiers : identifiers.Where(i => i.Kind is not ("date" or "birth date")).ToList();
            var leaks = IdentifierOracle.Leaks(searched, vocabulary, text);
            Assert.True(leaks.Count == 0, $"{mode}: {leaks.Count} identifiers of the input found in the output: {string.Join(", ", leaks.Take(25))}");
        }
    }
}

/// <summary>The same check on every C-CDA document, through the C-CDA adapter (a class of its own so it runs in parallel).</summary>
public class SafeHarborCcdaCorpusTests
{
    public static TheoryData<string> Ccda() => Pipeline.Files("ccda", "*.xml");

    [CorpusTheory]
    [MemberData(nameof(Ccda))]
    public async Task Deidentify_CcdaDocument_LeavesNoIdentifierOfTheInput(string relative)
    {
        var path = Corpus.PathOf(relative);
        var doc = XDocument.Load(path);
        await SafeHarborCorpusTests.AssertNoLeakAsync(path, IdentifierOracle.FromCcda(doc), IdentifierOracle.VocabularyOfCcda(doc), expectPerson: true);
    }
}

/// <summary>The same check on every HL7 v2 message, through the HL7 v2 adapter.</summary>
public class SafeHarborHl7V2CorpusTests
{
    public static TheoryData<string> Hl7V2() => Pipeline.Files("hl7v2", "*.*");

    [CorpusTheory]
    [MemberData(nameof(Hl7V2))]
    public async Task Deidentify_Hl7V2Message_LeavesNoIdentifierOfTheInput(string relative)
    {
        var path = Corpus.PathOf(relative);
        var message = await File.ReadAllTextAsync(path);
        await SafeHarborCorpusTests.AssertNoLeakAsync(path, IdentifierOracle.FromHl7V2(message), IdentifierOracle.VocabularyOfHl7V2(message), expectPerson: false);
    }
}
