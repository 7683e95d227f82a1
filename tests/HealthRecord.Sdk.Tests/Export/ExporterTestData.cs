using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Tests.Export;

/// <summary>EHRs to export: the demo's sample EHR and one EHR per real (Synthea) corpus bundle.</summary>
internal static class ExporterTestData
{
    public static TheoryData<string> SyntheaPatients()
    {
        var data = new TheoryData<string>();
        if (Corpus.IsAvailable)
        {
            foreach (var file in Directory.EnumerateFiles(Corpus.PathOf("fhir-bundles/synthea"), "*.json").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(file));
            }
        }

        return data;
    }

    /// <summary>The biggest Synthea bundle of the corpus (its EHR spans many of the exporters' chunks).</summary>
    public static string BiggestSyntheaFile() =>
        Path.GetFileName(Directory.EnumerateFiles(Corpus.PathOf("fhir-bundles/synthea"), "*.json").MaxBy(f => new FileInfo(f).Length)!);

    public static async Task<EhrAggregate> SampleEhrAsync()
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources, hr => hr.Configure(o =>
        {
            foreach (var (name, _) in TestHost.SampleSources)
            {
                o.SourcePriority.Add(name);
            }
        }));
        return result.Ehrs.Single();
    }

    public static async Task<EhrAggregate> SyntheaEhrAsync(string file)
    {
        var result = await TestHost.AggregateAsync([("synthea", Corpus.PathOf("fhir-bundles/synthea/" + file))]);
        return result.Ehrs.Single();
    }

    /// <summary>A stream that cancels a token at its first write, to stop an export part-way.</summary>
    public sealed class CancelOnFirstWriteStream(CancellationTokenSource cts) : MemoryStream
    {
        public int Writes { get; private set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            var written = base.WriteAsync(buffer, cancellationToken);
            cts.Cancel();
            return written;
        }
    }
}
