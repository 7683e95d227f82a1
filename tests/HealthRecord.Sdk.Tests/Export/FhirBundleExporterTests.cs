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
    public async Task ExportAsync_CancelledWhileWriting_StopsBeforeTheEnd()
    {
        // The biggest Synthea EHR spans many chunks: the first chunk written cancels the token.
        var file = ExporterTestData.BiggestSyntheaFile();
        var ehr = await ExporterTestData.SyntheaEhrAsync(file);
        var full = await ExportAsync(ehr);
        using var cts = new CancellationTokenSource();
        await using var stream = new ExporterTestData.CancelOnFirstWriteStream(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new FhirBundleExporter().ExportAsync(ehr, stream, cts.Token));

        Assert.Equal(1, stream.Writes);
        Assert.InRange(stream.Length, 1, full.Length / 2);
    }

    [Fact]
    public async Task ExportAsync_CancelledBeforehand_WritesNothing()
    {
        var ehr = await ExporterTestData.SampleEhrAsync();
        using var stream = new MemoryStream();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new FhirBundleExporter().ExportAsync(ehr, stream, new CancellationToken(canceled: true)));

        Assert.Equal(0, stream.Length);
    }

    private static async Task<byte[]> ExportAsync(EhrAggregate ehr)
    {
        using var stream = new MemoryStream();
        await new FhirBundleExporter().ExportAsync(ehr, stream);
        return stream.ToArray();
    }

    private static void AssertFirelysBytes(EhrAggregate ehr, byte[] written)
    {
        byte[] expected = [.. FhirJson.SerializeToUtf8(EhrBundleBuilder.Build(ehr), pretty: true), (byte)'\n'];
        Assert.Equal(expected.Length, written.Length);
        Assert.True(expected.AsSpan().SequenceEqual(written), "The streamed bundle differs from Firely's serialization of the whole bundle.");
    }
}
