using System.Text.Json.Nodes;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Tests.Aggregation;

/// <summary>Aggregation with the default (probabilistic) patient matcher: one EHR per person across sources.</summary>
public sealed class EhrAggregatorIdentityTests : IDisposable
{
    private const string Antonio = "fhir-bundles/synthea/Antonio_Runolfsson_a1795152-808d-4cb9-b259-ce6e3716dedf.json";
    private const string Benito = "fhir-bundles/synthea/Benito_Shields_d413c7e7-77db-4e49-b88c-a1565c7d52a9.json";
    private readonly string _folder = Directory.CreateTempSubdirectory("hr-identity-").FullName;

    [CorpusFact]
    public async Task AggregateAsync_TwoDifferentSyntheaPatients_TwoEhrs()
    {
        var result = await AggregateAsync(new SourceRequest("a", Corpus.PathOf(Antonio)), new SourceRequest("b", Corpus.PathOf(Benito)));

        Assert.Equal(2, result.Ehrs.Count);
        Assert.Equal(["Runolfsson", "Shields"], result.Ehrs.Select(e => e.Patient.Name[0].Family).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(result.PatientLinks, l => l.Decision == LinkDecision.Match);
    }

    [CorpusFact]
    public async Task AggregateAsync_OnePatientSplitWithPerturbedPatient_OneEhr()
    {
        // The second EMR spells the family name with a typo, uses a nickname, has a newer address, writes the phone
        // differently, and has its own MRN instead of Synthea's identifiers (only the SSN, formatted differently, survives).
        var bundle = JsonNode.Parse(File.ReadAllText(Corpus.PathOf(Antonio)))!;
        var patient = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).Single(r => (string?)r["resourceType"] == "Patient");
        patient["name"] = JsonNode.Parse("""[{"use":"official","family":"Runolfson","given":["Tony"]}]""");
        patient["address"] = JsonNode.Parse("""[{"line":["12 Harbour View Rd"],"city":"Northampton","state":"MA","postalCode":"01060"}]""");
        patient["telecom"] = JsonNode.Parse("""[{"system":"phone","value":"(555) 897 5276"}]""");
        patient["identifier"] = JsonNode.Parse("""[{"system":"urn:oid:1.2.3.4.5","value":"MRN-778","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]}},{"system":"http://hl7.org/fhir/sid/us-ssn","value":"999517680"}]""");
        var perturbed = Path.Combine(_folder, "antonio-elsewhere.json");
        await File.WriteAllTextAsync(perturbed, bundle.ToJsonString());

        var result = await AggregateAsync(new SourceRequest("hospital", Corpus.PathOf(Antonio)), new SourceRequest("clinic", perturbed));

        var ehr = Assert.Single(result.Ehrs);
        var link = Assert.Single(result.PatientLinks);
        Assert.Equal(LinkDecision.Match, link.Decision);
        Assert.Contains(ehr.Lineage, l => l.SourceName == "clinic");
        Assert.Contains(ehr.Lineage, l => l.SourceName == "hospital");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static async Task<AggregationResult> AggregateAsync(params SourceRequest[] sources)
    {
        using var sp = new ServiceCollection().AddLogging().AddHealthRecord().BuildServiceProvider();
        return await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = sources });
    }
}
