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
    public Task ExportAsync_CancelledWhileWriting_StopsBeforeTheEnd() => ExporterTestData.AssertCancelledWhileWritingStopsBeforeTheEndAsync(new NdjsonExporter());

    [Fact]
    public Task ExportAsync_CancelledBeforehand_WritesNothing() => ExporterTestData.AssertCancelledBeforehandWritesNothingAsync(new NdjsonExporter());

    private static Task<byte[]> ExportAsync(EhrAggregate ehr) => ExporterTestData.ExportAsync(new NdjsonExporter(), ehr);

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
