using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace HealthRecord.Sdk.DedupCheck;

/// <summary>One real (Synthea) person: the Patient and the clinical resources the harness splits across EMRs.</summary>
public sealed record PersonInput(string Name, Patient Patient, IReadOnlyList<Resource> Resources);

/// <summary>Loads people from Synthea bundles (one file per person) and from a Bulk Data NDJSON folder.</summary>
public static class People
{
    /// <summary>The clinical types the harness splits and measures.</summary>
    public static readonly IReadOnlySet<string> ClinicalTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "Condition", "AllergyIntolerance", "MedicationRequest", "Immunization", "Observation",
        "DiagnosticReport", "Procedure", "Encounter",
    };

    /// <summary>Reads every <c>*.json</c> bundle of the folder (sorted by name), one person each.</summary>
    public static List<PersonInput> FromBundles(string folder)
    {
        var deserializer = new FhirJsonDeserializer();
        var people = new List<PersonInput>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            people.Add(FromBundle(Path.GetFileNameWithoutExtension(file), deserializer.Deserialize<Bundle>(File.ReadAllText(file))));
        }

        return people;
    }

    /// <summary>One person from one Synthea bundle.</summary>
    public static PersonInput FromBundle(string name, Bundle bundle)
    {
        var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
        var resources = bundle.Entry.Select(e => e.Resource)
            .Where(r => r is Organization or Practitioner || ClinicalTypes.Contains(r.TypeName))
            .ToList();
        return new PersonInput(name, patient, resources);
    }

    /// <summary>The people of a Bulk Data export folder (NDJSON per type), grouped by their Patient reference.</summary>
    public static List<PersonInput> FromNdjson(string folder)
    {
        var deserializer = new FhirJsonDeserializer();
        var all = new List<Resource>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.ndjson").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file).StartsWith("log", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file))
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    all.Add(deserializer.Deserialize<Resource>(line));
                }
            }
        }

        var patients = all.OfType<Patient>().OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
        var people = new List<PersonInput>();
        foreach (var patient in patients)
        {
            var mine = all.Where(r => ClinicalTypes.Contains(r.TypeName) && SubjectId(r) == patient.Id).ToList();
            people.Add(new PersonInput("bulk-" + patient.Id, patient, mine));
        }

        return people;
    }

    /// <summary>The id of the resource a reference points at (<c>Type/id</c> or <c>urn:uuid:id</c>).</summary>
    public static string? RefId(ResourceReference? reference)
    {
        var r = reference?.Reference;
        if (string.IsNullOrEmpty(r))
        {
            return null;
        }

        if (r.StartsWith("urn:uuid:", StringComparison.Ordinal))
        {
            return r["urn:uuid:".Length..];
        }

        var slash = r.LastIndexOf('/');
        return slash >= 0 ? r[(slash + 1)..] : r;
    }

    private static string? SubjectId(Resource r) => r switch
    {
        Condition c => RefId(c.Subject),
        AllergyIntolerance a => RefId(a.Patient),
        MedicationRequest m => RefId(m.Subject),
        Immunization i => RefId(i.Patient),
        Observation o => RefId(o.Subject),
        DiagnosticReport d => RefId(d.Subject),
        Procedure p => RefId(p.Subject),
        Encounter e => RefId(e.Subject),
        _ => null,
    };
}
