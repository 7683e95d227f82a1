using HealthRecord.Sdk.Identity;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Identity;

/// <summary>Reads FEBRL person records (Christen, ANU) and turns them into FHIR Patients; the truth is in the record ids.</summary>
internal static class Febrl
{
    public static List<PatientCandidate> Read(string path, string source)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        var list = new List<PatientCandidate>();
        foreach (var line in lines.Skip(1))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            string Cell(string name) => cells[Array.IndexOf(header, name)];
            var id = Cell("rec_id");
            var patient = new Patient { Id = id.Replace('_', '-') };
            var given = Cell("given_name");
            var family = Cell("surname");
            if (given.Length > 0 || family.Length > 0)
            {
                var name = new HumanName { Family = family.Length > 0 ? family : null };
                if (given.Length > 0)
                {
                    name.Given = [given];
                }

                patient.Name.Add(name);
            }

            var lineOne = string.Join(' ', new[] { Cell("street_number"), Cell("address_1") }.Where(s => s.Length > 0));
            var address = new Address { City = NullIfEmpty(Cell("suburb")), PostalCode = NullIfEmpty(Cell("postcode")), State = NullIfEmpty(Cell("state")) };
            address.Line = new[] { lineOne, Cell("address_2") }.Where(s => s.Length > 0).ToList();
            patient.Address.Add(address);
            var dob = Cell("date_of_birth");
            if (dob.Length == 8)
            {
                patient.BirthDate = $"{dob[..4]}-{dob[4..6]}-{dob[6..]}";
            }

            var ssn = Cell("soc_sec_id");
            if (ssn.Length > 0)
            {
                patient.Identifier.Add(new Identifier("http://hl7.org/fhir/sid/us-ssn", ssn));
            }

            list.Add(new PatientCandidate($"{source}:Patient/{patient.Id}", source, patient));
        }

        return list;
    }

    /// <summary>The entity number of a record key (<c>rec-12-dup-0</c> → 12).</summary>
    public static string Entity(string key) => key[(key.IndexOf("rec-", StringComparison.Ordinal) + 4)..].Split('-')[0];

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}

/// <summary>Pairwise precision/recall of a linking result against the entity truth.</summary>
internal sealed record PairwiseQuality(long TruePairs, long PredictedPairs, long CorrectPairs)
{
    public double Precision => PredictedPairs == 0 ? 1 : (double)CorrectPairs / PredictedPairs;

    public double Recall => TruePairs == 0 ? 1 : (double)CorrectPairs / TruePairs;

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>Pairs implied by the persons (all pairs within a person), against the truth; <paramref name="crossOnly"/> counts only pairs across sources.</summary>
    public static PairwiseQuality Of(IReadOnlyList<PatientCandidate> candidates, PatientLinkResult result, bool crossOnly)
    {
        var source = candidates.ToDictionary(c => c.Key, c => c.SourceName);
        long predicted = 0, correct = 0;
        foreach (var person in result.Persons)
        {
            for (var i = 0; i < person.Count; i++)
            {
                for (var j = i + 1; j < person.Count; j++)
                {
                    if (crossOnly && source[person[i]] == source[person[j]])
                    {
                        continue;
                    }

                    predicted++;
                    if (Febrl.Entity(person[i]) == Febrl.Entity(person[j]))
                    {
                        correct++;
                    }
                }
            }
        }

        long truth = 0;
        foreach (var entity in candidates.GroupBy(c => Febrl.Entity(c.Key)))
        {
            var members = entity.ToList();
            for (var i = 0; i < members.Count; i++)
            {
                for (var j = i + 1; j < members.Count; j++)
                {
                    if (!crossOnly || members[i].SourceName != members[j].SourceName)
                    {
                        truth++;
                    }
                }
            }
        }

        return new PairwiseQuality(truth, predicted, correct);
    }

    public override string ToString() => $"P {Precision:F4} R {Recall:F4} F1 {F1:F4} (true {TruePairs}, predicted {PredictedPairs}, correct {CorrectPairs})";
}
