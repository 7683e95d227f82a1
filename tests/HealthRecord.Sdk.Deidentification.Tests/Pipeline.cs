using System.Text;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Deidentification.Tests;

/// <summary>Aggregates corpus files as a host would (every adapter), de-identifies each EHR and writes the research export.</summary>
internal static class Pipeline
{
    public static readonly byte[] Key = Encoding.UTF8.GetBytes("test key: corpus-wide de-identification 0001");

    public static async Task<IReadOnlyList<EhrAggregate>> AggregateAsync(params (string Name, string Path)[] sources) =>
        (await TestHost.AggregateAsync(sources, hr => hr.AddCcda().AddHl7V2())).Ehrs;

    public static Deidentifier Deidentifier(DeidentificationMode mode, byte[]? key = null) =>
        new(new DeidentificationOptions { Key = key ?? Key, Mode = mode });

    /// <summary>Every output byte: each de-identified bundle, and every file of the research export.</summary>
    public static async Task<(List<byte[]> Files, List<DeidentificationResult> Results)> ExportAsync(IReadOnlyList<EhrAggregate> ehrs, DeidentificationMode mode)
    {
        var deidentifier = Deidentifier(mode);
        var files = new List<byte[]>();
        var results = new List<DeidentificationResult>();
        using var temp = TestHost.TempFolder();
        await using (var writer = new ResearchExportWriter(temp.Path))
        {
            foreach (var ehr in ehrs)
            {
                var result = deidentifier.Deidentify(ehr);
                results.Add(result);
                var json = FhirJson.SerializeToUtf8(result.Bundle, pretty: true);
                files.Add(json);

                // The output is valid FHIR R4: it parses back with the strict (validating) deserializer.
                FhirJson.Parse<Hl7.Fhir.Model.Bundle>(System.Text.Encoding.UTF8.GetString(json));
                await writer.AddAsync(result);
            }

            await writer.CompleteAsync();
        }

        files.AddRange(Directory.EnumerateFiles(temp.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes));
        return (files, results);
    }

    public static TheoryData<string> Files(string folder, string pattern)
    {
        var data = new TheoryData<string>();
        if (Corpus.IsAvailable)
        {
            foreach (var file in Directory.EnumerateFiles(Corpus.PathOf(folder), pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(Corpus.Root!, file));
            }
        }
        else
        {
            data.Add("(corpus not available)");
        }

        return data;
    }
}
