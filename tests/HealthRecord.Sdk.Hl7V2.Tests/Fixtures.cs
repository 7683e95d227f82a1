using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Hl7V2.Tests;

/// <summary>Paths of the committed HL7 v2 fixtures (tests/fixtures/hl7v2) and of the corpus folder.</summary>
internal static class Fixtures
{
    public static string Path(string relative) => Corpus.Fixture("hl7v2/" + relative);

    public static byte[] Bytes(string relative) => File.ReadAllBytes(Path(relative));

    public static string Text(string relative) => HealthRecord.Sdk.Hl7V2.Parsing.Hl7V2Parser.Decode(Bytes(relative), []);

    /// <summary>Every committed message file, relative to tests/fixtures/hl7v2.</summary>
    public static TheoryData<string> AllMessageFiles()
    {
        var data = new TheoryData<string>();
        var root = Corpus.Fixture("hl7v2");
        foreach (var file in Directory.EnumerateFiles(root, "*.hl7", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(System.IO.Path.GetRelativePath(root, file).Replace('\\', '/'));
        }

        return data;
    }

    /// <summary>Every file of the corpus hl7v2 folder, relative to the corpus root (HAPI files included).</summary>
    public static TheoryData<string> AllCorpusFiles()
    {
        var data = new TheoryData<string>();
        if (!Corpus.IsAvailable)
        {
            data.Add("hl7v2/fhir-converter/ADT-A01-01.hl7");
            return data;
        }

        var root = Corpus.PathOf("hl7v2");
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            data.Add(System.IO.Path.GetRelativePath(Corpus.Root!, file).Replace('\\', '/'));
        }

        return data;
    }
}
