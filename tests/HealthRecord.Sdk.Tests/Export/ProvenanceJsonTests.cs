using System.Text.Json;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Export;

/// <summary>The SDK's own Provenance is written without Firely's walk, in Firely's bytes; anything else is left to Firely.</summary>
public class ProvenanceJsonTests
{
    [Fact]
    public async Task TryWrite_SdkProvenance_WritesFirelysBytes()
    {
        var ehr = await ExporterTestData.SampleEhrAsync();
        var plain = ehr.Provenance.Where(p => p.Extension.Count == 0).ToList();
        Assert.NotEmpty(plain);
        Assert.Contains(plain, p => p.Entity.Count > 1);

        foreach (var provenance in plain)
        {
            Assert.True(TryWrite(provenance, indented: true, out var indented));
            Assert.Equal(FhirJson.SerializeToUtf8(provenance, pretty: true), indented);
            Assert.True(TryWrite(provenance, indented: false, out var compact));
            Assert.Equal(FhirJson.SerializeToUtf8(provenance), compact);
        }
    }

    [Fact]
    public async Task TryWrite_ProvenanceWithConflicts_IsLeftToFirely()
    {
        var ehr = await ExporterTestData.SampleEhrAsync();
        var withConflicts = ehr.Provenance.First(p => p.Extension.Count > 0);

        Assert.False(TryWrite(withConflicts, indented: true, out var written));
        Assert.Empty(written);
    }

    [Fact]
    public void TryWrite_ChangedAfterItWasMade_IsLeftToFirely()
    {
        Provenance Made() => Description().ToResource();

        Assert.True(TryWrite(Made(), indented: true, out _));
        Assert.False(TryWrite(Tap(Made(), p => p.Meta = new Meta { VersionId = "2" }), indented: true, out _));
        Assert.False(TryWrite(Tap(Made(), p => p.Target[0].ElementId = "t"), indented: true, out _));
        Assert.False(TryWrite(Tap(Made(), p => p.RecordedElement.AddExtension("http://example.org/x", new FhirString("y"))), indented: true, out _));
        Assert.False(TryWrite(Tap(Made(), p => p.Entity[0].What!.Identifier!.Period = new Period { Start = "2020" }), indented: true, out _));
        Assert.False(TryWrite(Tap(Made(), p => p.Agent[0].Role.Add(new CodeableConcept("http://example.org", "r"))), indented: true, out _));
        Assert.False(TryWrite(Tap(Made(), p => p.Activity!.Coding[0].Version = "1"), indented: true, out _));
    }

    [Fact]
    public void TryWrite_ProvenanceNotMadeByTheSdk_IsLeftToFirely()
    {
        var parsed = FhirJson.Parse<Provenance>(FhirJson.Serialize(Description().ToResource()));

        Assert.False(TryWrite(parsed, indented: true, out _));
    }

    private static EhrProvenance Description() => new()
    {
        Target = "Observation/abc",
        Sources = [new RecordKey("lab", "Observation", "1"), new RecordKey("clinic", "Observation", "9")],
        Policy = "source-priority",
        Activity = "Merged 2 source records: same code, \"time\" & value",
        Recorded = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)),
    };

    private static Provenance Tap(Provenance provenance, Action<Provenance> change)
    {
        change(provenance);
        return provenance;
    }

    private static bool TryWrite(Provenance provenance, bool indented, out byte[] written)
    {
        using var buffer = new MemoryStream();
        bool result;
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            result = ProvenanceJson.TryWrite(provenance, json);
        }

        written = buffer.ToArray();
        return result;
    }
}
