using System.Globalization;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.TestSupport.Storage;

/// <summary>
/// A small made-up population for split (sharded) runs, written as FHIR R4 Bundles: every person has a file in the
/// source <c>clinic</c>; every other person is also in the source <c>hospital</c> under another Patient id (same MRN,
/// name and birth date, so identity linking joins them) with one record the clinic also sent (a duplicate to merge)
/// and one of its own; and the hospital's <c>bulk.json</c> holds two more people of the clinic in one file (a part of
/// several people). No real data.
/// </summary>
public static class ShardPopulation
{
    private static readonly string[] Families = ["Ashdown", "Brightwater", "Calloway", "Dunmore", "Everleigh", "Fairbanks", "Glenister", "Holloway", "Ingleby", "Jessop", "Kingsmill", "Lockhart", "Merriweather", "Northcott", "Oakhurst", "Pennington"];
    private static readonly string[] Givens = ["Ada", "Bram", "Cleo", "Dov", "Esme", "Finn", "Greta", "Hugo", "Iris", "Jude", "Kira", "Leon", "Mira", "Nico", "Opal", "Pia"];

    /// <summary>Writes <paramref name="persons"/> people (at most 16) under <paramref name="folder"/>.</summary>
    /// <param name="folder">Where the folders <c>clinic</c> and <c>hospital</c> are written.</param>
    /// <param name="persons">How many people.</param>
    /// <returns>The sources as NAME=PATH.</returns>
    public static IReadOnlyList<string> Write(string folder, int persons)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(persons, Families.Length);
        var clinic = Directory.CreateDirectory(Path.Combine(folder, "clinic")).FullName;
        var hospital = Directory.CreateDirectory(Path.Combine(folder, "hospital")).FullName;
        var bulk = new Bundle { Type = Bundle.BundleType.Collection };
        for (var k = 0; k < persons; k++)
        {
            var c = new Bundle { Type = Bundle.BundleType.Collection };
            Add(c, PatientOf(k, "c" + k));
            Add(c, HeartRate("c" + k, $"c{k}-hr1", 60 + k, $"2024-01-{k + 1:00}"));
            Add(c, HeartRate("c" + k, $"c{k}-hr2", 70 + k, $"2024-02-{k + 1:00}"));
            Write(Path.Combine(clinic, $"p{k:00}.json"), c);
            if (k % 2 == 0)
            {
                var h = new Bundle { Type = Bundle.BundleType.Collection };
                Add(h, PatientOf(k, "h" + k));
                Add(h, HeartRate("h" + k, $"h{k}-hr1", 60 + k, $"2024-01-{k + 1:00}")); // the clinic's first record again
                Add(h, HeartRate("h" + k, $"h{k}-hr3", 80 + k, $"2024-03-{k + 1:00}"));
                Write(Path.Combine(hospital, $"p{k:00}.json"), h);
            }
            else if (k is 1 or 3)
            {
                Add(bulk, PatientOf(k, "b" + k));
                Add(bulk, HeartRate("b" + k, $"b{k}-hr4", 90 + k, $"2024-04-{k + 1:00}"));
            }
        }

        if (bulk.Entry.Count > 0)
        {
            Write(Path.Combine(hospital, "bulk.json"), bulk);
        }

        return [$"clinic={clinic}", $"hospital={hospital}"];
    }

    private static Patient PatientOf(int k, string id) => new()
    {
        Id = id,
        Identifier = [new Identifier("http://example.org/mrn", string.Create(CultureInfo.InvariantCulture, $"M{(k * 7919) + 104729}"))],
        Name = [new HumanName { Family = Families[k], Given = [Givens[(k * 5) % Givens.Length]] }],
        Gender = k % 2 == 0 ? AdministrativeGender.Female : AdministrativeGender.Male,
        BirthDate = string.Create(CultureInfo.InvariantCulture, $"{1940 + (k * 3)}-{(k % 12) + 1:00}-{(k % 27) + 1:00}"),
        Address = [new Address { Line = [string.Create(CultureInfo.InvariantCulture, $"{100 + (k * 37)} {Families[(k + 5) % Families.Length]} Street")], City = "Springfield", PostalCode = string.Create(CultureInfo.InvariantCulture, $"{10234 + (k * 811)}") }],
    };

    private static Observation HeartRate(string patientId, string id, int value, string date) => new()
    {
        Id = id,
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "8867-4", "Heart rate"),
        Subject = new ResourceReference("Patient/" + patientId),
        Effective = new FhirDateTime(date + "T09:00:00Z"),
        Value = new Quantity(value, "/min", "http://unitsofmeasure.org"),
    };

    private static void Add(Bundle bundle, Resource resource) =>
        bundle.Entry.Add(new Bundle.EntryComponent { Resource = resource });

    private static void Write(string path, Bundle bundle) =>
        File.WriteAllText(path, FhirJson.Serialize(bundle));
}
