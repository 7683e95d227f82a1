using System.Text;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Benchmarks.Scenarios;

/// <summary>
/// One Synthea patient's history spread over 15 simulated EMRs, as DESIGN.md's yardstick asks:
/// each encounter (with everything recorded at it) belongs to one EMR, in date order (a patient moving
/// between practices over the years); every EMR has its own Patient and reference data; and every
/// problem, medication and immunization is re-reported by two other EMRs under the original's business
/// identifier. Deterministic: the same input gives the same 15 documents.
/// </summary>
public static class FifteenEmrScenario
{
    public const int EmrCount = 15;
    private const string RecordIdSystem = "urn:oid:2.16.840.1.113883.3.9999.1";

    /// <summary>The input: the largest corpus Synthea patient when the corpus is present, else the committed sample.</summary>
    public static string InputPath() =>
        Corpus.IsAvailable
            ? Corpus.PathOf("fhir-bundles/synthea/Sabra_Hahn_69e3eff5-9d7e-41fa-972d-922fcc014a26.json")
            : Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data", "valley-primary-care.json");

    public static IReadOnlyList<(string Name, byte[] Content)> Build(string path)
    {
        var bundle = FhirJson.Parse<Bundle>(File.ReadAllText(path));
        var entries = bundle.Entry.Where(e => e.Resource is not null).ToList();
        var encounters = entries.Where(e => e.Resource is Encounter).OrderBy(e => ((Encounter)e.Resource!).Period?.Start, StringComparer.Ordinal).ToList();
        var emrOfEncounter = encounters.Select((e, i) => (e.FullUrl, Emr: i * EmrCount / Math.Max(1, encounters.Count))).ToDictionary(x => x.FullUrl!, x => x.Emr, StringComparer.Ordinal);
        var emrs = Enumerable.Range(0, EmrCount).Select(_ => new Bundle { Type = Bundle.BundleType.Transaction }).ToArray();

        foreach (var entry in entries)
        {
            var r = entry.Resource!;
            if (!PatientCompartment.IsPatientRecord(r.TypeName))
            {
                // Patient and reference data: every EMR keeps its own copy.
                foreach (var emr in emrs)
                {
                    emr.Entry.Add(new Bundle.EntryComponent { FullUrl = entry.FullUrl, Resource = r.DeepCopy(), Request = entry.Request });
                }

                continue;
            }

            var home = EmrOf(entry, emrOfEncounter);
            if (r is Condition or MedicationRequest or Immunization)
            {
                ResourceIdentifiers.ListOf(r)!.Add(new Identifier(RecordIdSystem, $"{r.TypeName}-{r.Id}"));
                for (var k = 1; k <= 2; k++)
                {
                    // A copy re-reported elsewhere: own id, no encounter link, same business identifier.
                    var copy = (Resource)r.DeepCopy();
                    copy.Id = HealthRecord.Sdk.Model.EhrIds.From("copy", r.Id!, k.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    copy.SetValue("encounter", null);
                    emrs[(home + k * 5) % EmrCount].Entry.Add(new Bundle.EntryComponent { FullUrl = $"urn:uuid:{copy.Id}", Resource = copy });
                }
            }

            emrs[home].Entry.Add(new Bundle.EntryComponent { FullUrl = entry.FullUrl, Resource = r, Request = entry.Request });
        }

        return emrs.Select((b, i) => ($"emr-{i:00}", Encoding.UTF8.GetBytes(FhirJson.Serialize(b)))).ToList();
    }

    private static int EmrOf(Bundle.EntryComponent entry, Dictionary<string, int> emrOfEncounter)
    {
        if (entry.Resource is Encounter)
        {
            return emrOfEncounter[entry.FullUrl!];
        }

        foreach (var (_, reference) in ResourceReferences.Enumerate(entry.Resource!))
        {
            if (reference.Reference is { } r && emrOfEncounter.TryGetValue(r, out var emr))
            {
                return emr;
            }
        }

        return 0;
    }
}
