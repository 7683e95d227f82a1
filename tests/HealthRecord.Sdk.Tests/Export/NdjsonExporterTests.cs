using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Export;

/// <summary>The NDJSON exporter writes each resource as Firely's compact JSON on its own line, in bundle order.</summary>
public class NdjsonExporterTests
{
    public static TheoryData<string> SyntheaPatients() => ExporterTestData.SyntheaPatients();

    [Fact]
    public async Task ExportAsync_SampleEhr_WritesOneFirelyLinePerResource()
    {
        var ehr = await ExporterTestData.SampleEhrAsync();

        AssertFirelysLines(ehr, await ExportAsync(ehr));
    }

    [CorpusTheory]
    [MemberData(nameof(SyntheaPatients))]
    public async Task ExportAsync_SyntheaEhr_WritesOneFirelyLinePerResource(string file)
    {
        var ehr = await ExporterTestData.SyntheaEhrAsync(file);

        AssertFirelysLines(ehr, await ExportAsync(ehr));
    }

    [CorpusFact]
    public async Task ExportAsync_CancelledWhileWriting_StopsBeforeTheEnd()
    {
        var file = ExporterTestData.BiggestSyntheaFile();
        var ehr = await ExporterTestData.SyntheaEhrAsync(file);
        var full = await ExportAsync(ehr);
        using var cts = new CancellationTokenSource();
        await using var stream = new ExporterTestData.CancelOnFirstWriteStream(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new NdjsonExporter().ExportAsync(ehr, stream, cts.Token));

        Assert.Equal(1, stream.Writes);
        Assert.InRange(stream.Length, 1, full.Length / 2);
    }

    [Fact]
    public async Task ExportAsync_CancelledBeforehand_WritesNothing()
    {
        var ehr = await ExporterTestData.SampleEhrAsync();
        using var stream = new MemoryStream();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new NdjsonExporter().ExportAsync(ehr, stream, new CancellationToken(canceled: true)));

        Assert.Equal(0, stream.Length);
    }

    private static async Task<byte[]> ExportAsync(EhrAggregate ehr)
    {
        using var stream = new MemoryStream();
        await new NdjsonExporter().ExportAsync(ehr, stream);
        return stream.ToArray();
    }

    private static void AssertFirelysLines(EhrAggregate ehr, byte[] written)
    {
        var expected = new List<byte>();
        foreach (var entry in EhrBundleBuilder.Build(ehr).Entry)
        {
            expected.AddRange(FhirJson.SerializeToUtf8(entry.Resource!));
            expected.Add((byte)'\n');
        }

        Assert.Equal(expected.Count, written.Length);
        Assert.True(expected.ToArray().AsSpan().SequenceEqual(written), "The NDJSON differs from Firely's serialization of each resource.");
    }
}
