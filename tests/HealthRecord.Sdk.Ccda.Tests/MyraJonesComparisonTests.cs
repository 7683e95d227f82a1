using System.Text.Json;
using HealthRecord.Sdk.Ccda;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Model;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Ccda.Tests;

/// <summary>
/// Myra Jones v2 (HL7 C-CDA on FHIR mapping project) converted by us and by five vendor converters
/// (Cerner, Diameter Health, Google, MDIX, Redox): the clinical codes each side produced, per category.
/// </summary>
public class MyraJonesComparisonTests(ITestOutputHelper output)
{
    private static readonly string[] Vendors =
    [
        "Cerner_Myra_Jones_v2_fhir_bundle.json",
        "DH_Myra_Jones_v2_fhir_bundle.json",
        "Google_Myra_Jones.fhir.output.json",
        "MDIX_CCDA_output.json",
        "Redox_Myra_Jones_v2_fhir_bundle.json",
    ];

    /// <summary>
    /// Every code a vendor produced that we do not, and why. Keyed by "vendor|category|code".
    /// </summary>
    private static readonly Dictionary<string, string> ExplainedVendorOnly = new(StringComparer.Ordinal)
    {
        ["DH_Myra_Jones_v2_fhir_bundle.json|medications|435"] = "Diameter Health normalises the document's product code (RxNorm 582498, albuterol 0.09 MG/ACTUAT inhalant powder) to the ingredient (RxNorm 435, albuterol); the document does not contain 435.",
        ["DH_Myra_Jones_v2_fhir_bundle.json|results|2965-2"] = "Diameter Health re-codes the urine specific gravity result (LOINC 5811-5, by test strip, as in the document) to LOINC 2965-2; the document does not contain 2965-2.",
        ["Google_Myra_Jones.fhir.output.json|allergies|unknown"] = "Google's converter lost the allergen and wrote a data-absent 'unknown' code; the document codes it (RxNorm 1191 aspirin, SNOMED 293586001).",
    };

    /// <summary>Every code we produce that some vendor lacks, and why. Keyed by "category|code".</summary>
    private static readonly Dictionary<string, string> ExplainedOursOnly = new(StringComparer.Ordinal)
    {
        ["allergies|1191 (Google)"] = "Google lost the allergen code (see its 'unknown').",
        ["allergies|293586001 (DH, Google)"] = "The document gives the aspirin allergen a SNOMED translation; Diameter Health keeps only the RxNorm code, Google none.",
        ["medications|582498 (DH)"] = "Diameter Health replaces the product code with the ingredient 435.",
        ["problems|195967001 (Cerner)"] = "Cerner's bundle converts only the first problem (pneumonia); asthma is missing there.",
        ["problems|486 (DH, Google)"] = "ICD-9-CM translation of pneumonia: we keep every translation; Diameter Health and Google keep only SNOMED.",
        ["problems|493.90 (Cerner, DH, Google)"] = "ICD-9-CM translation of asthma: kept by us, MDIX and Redox; Cerner lacks asthma, DH and Google drop translations.",
        ["problems|64109004 (Cerner, Google)"] = "Costal chondritis is an encounter diagnosis (Encounter Diagnosis act 4.80 under the encounter); Cerner and Google do not convert encounter diagnoses.",
        ["problems|87580 (DH, Google)"] = "IMO translation (2.16.840.1.113883.3.247.1.1) of pneumonia: translations dropped by Diameter Health and Google.",
        ["problems|94262 (Cerner, DH, Google)"] = "IMO translation of asthma: Cerner lacks asthma, DH and Google drop translations.",
        ["problems|J18.9 (DH, Google)"] = "ICD-10-CM translation of pneumonia: dropped by Diameter Health and Google.",
        ["problems|J45.909 (Cerner, DH, Google)"] = "ICD-10-CM translation of asthma: Cerner lacks asthma, DH and Google drop translations.",
        ["results|5811-5 (DH)"] = "Diameter Health re-codes the result to 2965-2.",
    };

    [CorpusFact]
    public void Convert_MyraJones_MatchesVendorConsensusAndExplainsDifferences()
    {
        using var stream = File.OpenRead(Corpus.PathOf("ccda/HL7-ccda-on-fhir/Myra_Jones_v2.xml"));
        var ours = Categorise(new CcdaConverter().Convert(stream, "Myra_Jones_v2.xml").Resources);
        var vendors = Vendors.ToDictionary(v => v, v => Categorise(ReadVendor(Corpus.PathOf("fhir-bundles/ccda-on-fhir-myra-jones/" + v))));

        var vendorOnly = new List<string>();
        var oursOnly = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var category in Categories)
        {
            var mine = ours.GetValueOrDefault(category) ?? [];
            var consensus = vendors.Values.SelectMany(v => v.GetValueOrDefault(category) ?? []).GroupBy(c => c, StringComparer.Ordinal)
                .Where(g => g.Count() >= 3).Select(g => g.Key).ToList();
            output.WriteLine($"{category}: ours [{string.Join(", ", mine.Order(StringComparer.Ordinal))}], consensus [{string.Join(", ", consensus)}]");
            Assert.True(consensus.All(mine.Contains), $"{category}: consensus codes missing from our conversion: {string.Join(", ", consensus.Where(c => !mine.Contains(c)))}");
            foreach (var (vendor, theirs) in vendors)
            {
                var their = theirs.GetValueOrDefault(category) ?? [];
                vendorOnly.AddRange(their.Where(c => !mine.Contains(c)).Select(c => $"{vendor}|{category}|{c}"));
                foreach (var code in mine.Where(c => !their.Contains(c)))
                {
                    var key = $"{category}|{code}";
                    if (!oursOnly.TryGetValue(key, out var lacking))
                    {
                        oursOnly[key] = lacking = new SortedSet<string>(StringComparer.Ordinal);
                    }

                    lacking.Add(vendor.Split('_')[0]);
                }
            }
        }

        foreach (var difference in vendorOnly)
        {
            output.WriteLine("vendor only: " + difference);
        }

        foreach (var difference in oursOnly)
        {
            output.WriteLine($"ours only: {difference.Key} (missing from {string.Join(", ", difference.Value)})");
        }

        Assert.Equal(ExplainedVendorOnly.Keys.Order(StringComparer.Ordinal), vendorOnly.Order(StringComparer.Ordinal));
        Assert.Equal(ExplainedOursOnly.Keys.Order(StringComparer.Ordinal), oursOnly.Select(o => $"{o.Key} ({string.Join(", ", o.Value)})"));
    }

    [CorpusFact]
    public void Convert_MyraJones_KeepsEncounterDiagnosisOnTheEncounter()
    {
        using var stream = File.OpenRead(Corpus.PathOf("ccda/HL7-ccda-on-fhir/Myra_Jones_v2.xml"));
        var resources = new CcdaConverter().Convert(stream, "Myra_Jones_v2.xml").Resources;

        var encounter = Assert.Single(resources.OfType<Encounter>(), e => e.Type.Any(t => t.Coding.Any(c => c.Code == "99213")));
        var diagnosis = Assert.Single(encounter.Diagnosis);
        var condition = Assert.Single(resources.OfType<Condition>(), c => "Condition/" + c.Id == diagnosis.Condition.Reference);
        Assert.Equal("64109004", condition.Code!.Coding.First().Code);
        Assert.Equal("encounter-diagnosis", condition.Category.Single().Coding.Single().Code);
    }

    private static readonly string[] Categories = ["problems", "allergies", "medications", "immunizations", "results"];

    private static Dictionary<string, HashSet<string>> Categorise(IEnumerable<Resource> resources)
    {
        var map = Categories.ToDictionary(c => c, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            switch (resource)
            {
                case Condition c:
                    map["problems"].UnionWith(Codes(c.Code));
                    break;
                case AllergyIntolerance a:
                    map["allergies"].UnionWith(Codes(a.Code));
                    break;
                case MedicationStatement { Medication: CodeableConcept m }:
                    map["medications"].UnionWith(Codes(m));
                    break;
                case MedicationRequest { Medication: CodeableConcept m }:
                    map["medications"].UnionWith(Codes(m));
                    break;
                case MedicationAdministration { Medication: CodeableConcept m }:
                    map["medications"].UnionWith(Codes(m));
                    break;
                case Medication m:
                    map["medications"].UnionWith(Codes(m.Code));
                    break;
                case Immunization i:
                    map["immunizations"].UnionWith(Codes(i.VaccineCode));
                    break;
                case Observation o when !o.Category.Any(c => c.Coding.Any(x => x.Code is "vital-signs" or "social-history") || c.Text is "vital-signs" or "social-history"):
                    map["results"].UnionWith(Codes(o.Code));
                    break;
                default:
                    break;
            }
        }

        return map;
    }

    private static IEnumerable<string> Codes(CodeableConcept? concept) =>
        concept?.Coding.Where(c => c.Code is not null && c.System != CodeSystems.DataAbsentReason).Select(c => c.Code!) ?? [];

    /// <summary>Reads a vendor bundle leniently (the published Google file has a stray trailing brace; vendors emit invalid elements).</summary>
    private static List<Resource> ReadVendor(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        using var document = JsonDocument.ParseValue(ref reader);
        var parser = new Hl7.Fhir.Serialization.FhirJsonDeserializer(new Hl7.Fhir.Serialization.DeserializerSettings().UsingMode(Hl7.Fhir.Serialization.DeserializationMode.Ostrich));
        var list = new List<Resource>();
        foreach (var entry in document.RootElement.GetProperty("entry").EnumerateArray())
        {
            if (entry.TryGetProperty("resource", out var resource))
            {
                try
                {
                    list.Add(parser.DeserializeResource(resource.GetRawText()));
                }
                catch (Hl7.Fhir.Serialization.DeserializationFailedException ex) when (ex.PartialResult is Resource partial)
                {
                    list.Add(partial);
                }
            }
        }

        return list;
    }
}
