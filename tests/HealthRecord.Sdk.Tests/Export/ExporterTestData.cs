using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Export;

/// <summary>EHRs to export: the demo's sample EHR and one EHR per real (Synthea) corpus bundle.</summary>
internal static class ExporterTestData
{
    public static TheoryData<string> SyntheaPatients() => Corpus.SyntheaBundleNames();

    /// <summary>The biggest Synthea bundle of the corpus (its EHR spans many of the exporters' chunks).</summary>
    public static string BiggestSyntheaFile() =>
        Path.GetFileName(Corpus.SyntheaBundles().MaxBy(f => new FileInfo(f).Length)!);

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

    /// <summary>Exports an EHR into memory.</summary>
    public static async Task<byte[]> ExportAsync(IEhrExporter exporter, EhrAggregate ehr)
    {
        using var stream = new MemoryStream();
        await exporter.ExportAsync(ehr, stream);
        return stream.ToArray();
    }

    /// <summary>The biggest Synthea EHR spans many chunks: a token cancelled at the first chunk written stops the export after it.</summary>
    public static async Task AssertCancelledWhileWritingStopsBeforeTheEndAsync(IEhrExporter exporter)
    {
        var ehr = await SyntheaEhrAsync(BiggestSyntheaFile());
        var full = await ExportAsync(exporter, ehr);
        using var cts = new CancellationTokenSource();
        await using var stream = new CancelOnFirstWriteStream(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exporter.ExportAsync(ehr, stream, cts.Token));

        Assert.Equal(1, stream.Writes);
        Assert.InRange(stream.Length, 1, full.Length / 2);
    }

    /// <summary>A token cancelled before the export starts: nothing is written.</summary>
    public static async Task AssertCancelledBeforehandWritesNothingAsync(IEhrExporter exporter)
    {
        var ehr = await SampleEhrAsync();
        using var stream = new MemoryStream();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exporter.ExportAsync(ehr, stream, new CancellationToken(canceled: true)));

        Assert.Equal(0, stream.Length);
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
