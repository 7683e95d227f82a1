using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace HealthRecord.Sdk.DedupCheck.Tests;

public sealed class EmrSimulatorTests
{
    private static PersonInput Fixture() => People.FromBundle(
        "Paris_Casper", new FhirJsonDeserializer().Deserialize<Bundle>(File.ReadAllText(Corpus.Fixture(Path.Combine("synthea", "Paris_Casper.json")))));

    [Fact]
    public void Simulate_SameSeed_SameDocuments()
    {
        var a = new EmrSimulator(3).Simulate([Fixture()]);
        var b = new EmrSimulator(3).Simulate([Fixture()]);

        Assert.Equal(a.Documents.Select(d => d.Source + "/" + d.DocumentId), b.Documents.Select(d => d.Source + "/" + d.DocumentId));
        Assert.Equal(a.Documents.Select(d => FhirJson.Serialize(d.Bundle)), b.Documents.Select(d => FhirJson.Serialize(d.Bundle)));
        Assert.Equal(a.Truth.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + kv.Value.Fact), b.Truth.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + kv.Value.Fact));
    }

    [Fact]
    public void Simulate_OnePerson_SevenToFifteenEmrsAndATruthForEveryClinicalRecord()
    {
        var run = new EmrSimulator(4).Simulate([Fixture()]);

        var sources = run.Documents.Select(d => d.Source).Distinct(StringComparer.Ordinal).Count();
        Assert.InRange(sources, 7, 15);
        var clinical = run.Documents.SelectMany(d => d.Bundle.Entry.Select(e => (d.Source, Resource: e.Resource!)))
            .Where(x => People.ClinicalTypes.Contains(x.Resource.TypeName)).ToList();
        Assert.All(clinical, x => Assert.True(run.Truth.ContainsKey($"{x.Source}:{x.Resource.TypeName}/{x.Resource.Id}")));
        Assert.Equal(clinical.Count, run.Truth.Count);
        Assert.Contains(run.Truth.Values, t => t.TrapOf is not null);
        Assert.Contains(run.Truth.Values, t => t.Tags.Any(tag => tag.StartsWith("unit-", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(1.0746, 3, "1.07")]
    [InlineData(0.010746, 3, "0.0107")]
    [InlineData(24321.98, 4, "24320")]
    [InlineData(1.2003, 3, "1.20")]
    public void RoundSig_Value_KeepsTheScaleOfItsPrecision(double value, int digits, string expected)
    {
        Assert.Equal(expected, EmrSimulator.RoundSig((decimal)value, digits).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
