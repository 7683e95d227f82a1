using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Export;

/// <summary>
/// The streaming bundle exporter writes exactly the bytes of Firely's own serializer over the whole bundle (what the
/// SDK wrote before it streamed), and stops between entries when cancelled.
/// </summary>
public class FhirBundleExporterTests
{
    public static TheoryData<string> SyntheaPatients() => ExporterTestData.SyntheaPatients();

    [Fact]
    public async Task ExportAsync_SampleEhr_WritesFirelysBytes()
    {
        var ehr = await ExporterTestData.SampleEhrAsync();

        AssertFirelysBytes(ehr, await ExportAsync(ehr));
    }

    [CorpusTheory]
    [MemberData(nameof(SyntheaPatients))]
    public async Task ExportAsync_SyntheaEhr_WritesFirelysBytes(string file)
    {
        var ehr = await ExporterTestData.SyntheaEhrAsync(file);
        var bytes = await ExportAsync(ehr);

        AssertFirelysBytes(ehr, bytes);
        Assert.Equal(1 + ehr.Records.Count + ehr.Provenance.Count, FhirJson.Parse<Hl7.Fhir.Model.Bundle>(System.Text.Encoding.UTF8.GetString(bytes)).Entry.Count);
    }

    [Fact]
    public async Task ExportAsync_NoAsOf_WritesFirelysBytes()
    {
        var ehr = await ExporterTestData.SampleEhrAsync() with { AsOf = null };

        AssertFirelysBytes(ehr, await ExportAsync(ehr));
    }

    [CorpusFact]
    public Task ExportAsync_CancelledWhileWriting_StopsBeforeTheEnd() => ExporterTestData.AssertCancelledWhileWritingStopsBeforeTheEndAsync(new FhirBundleExporter());

    [Fact]
    public Task ExportAsync_CancelledBeforehand_WritesNothing() => ExporterTestData.AssertCancelledBeforehandWritesNothingAsync(new FhirBundleExporter());

    private static Task<byte[]> ExportAsync(EhrAggregate ehr) => ExporterTestData.ExportAsync(new FhirBundleExporter(), ehr);

    private static void AssertFirelysBytes(EhrAggregate ehr, byte[] written)
    {
        byte[] expected = [.. FhirJson.SerializeToUtf8(EhrBundleBuilder.Build(ehr), pretty: true), (byte)'\n'];
        Assert.Equal(expected.Length, written.Length);
        Assert.True(expected.AsSpan().SequenceEqual(written), "The streamed bundle differs from Firely's serialization of the whole bundle.");
    }
}
