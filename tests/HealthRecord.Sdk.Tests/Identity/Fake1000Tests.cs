using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Tests.Identity;

/// <summary>Splink's fake_1000 (MIT, committed fixture): names, birth dates, cities and e-mails with typos and gaps.</summary>
public class Fake1000Tests(ITestOutputHelper output)
{
    [Fact]
    public async Task LinkAsync_Fake1000_NeverMergesDifferentClusters()
    {
        var (candidates, cluster) = Read();

        var result = await new ProbabilisticPatientMatcher().LinkAsync(candidates);

        long predicted = 0, correct = 0;
        foreach (var person in result.Persons)
        {
            for (var i = 0; i < person.Count; i++)
            {
                for (var j = i + 1; j < person.Count; j++)
                {
                    predicted++;
                    correct += cluster[person[i]] == cluster[person[j]] ? 1 : 0;
                }
            }
        }

        var truth = cluster.Values.GroupBy(c => c).Sum(g => (long)g.Count() * (g.Count() - 1) / 2);
        var precision = (double)correct / predicted;
        var recall = (double)correct / truth;
        output.WriteLine($"fake_1000: P {precision:F4} R {recall:F4} ({correct}/{predicted} predicted, {truth} true); compared {result.Statistics!.ComparedPairs}");
        Assert.Equal(2031, truth);
        Assert.True(precision >= 0.99, $"precision {precision:F4}");
        // A hard set: a sixth of the names missing, birth dates shifted by years, given and family swapped, no address.
        // Default weights (too few compared pairs to estimate) find 59% of the pairs and merge no two people. A record without
        // a given name that matches two records who clearly differ joins neither (it could be either twin): that costs 12 of
        // the 1,211 pairs found before that rule. Given and family names swapped and mistyped as well, a given name split by a
        // stray space, and the blocking keys that survive a swap: 1,205 → 1,240 (issue #17). The sibling safeguard capping
        // close-typo and nickname given names with a birth date one digit or more off too: 1,240 → 1,230.
        Assert.Equal((1230L, 1230L), (predicted, correct));
    }

    internal static (List<PatientCandidate> Candidates, Dictionary<string, string> Cluster) Read()
    {
        var lines = File.ReadAllLines(Corpus.Fixture("linkage/fake_1000.csv"));
        var candidates = new List<PatientCandidate>();
        var cluster = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var c = line.Split(',');
            var patient = new Patient { Id = "f" + c[0], BirthDate = c[3].Length > 0 ? c[3] : null };
            var name = new HumanName { Family = c[2].Length > 0 ? c[2] : null };
            if (c[1].Length > 0)
            {
                name.Given = [c[1]];
            }

            patient.Name.Add(name);
            if (c[4].Length > 0)
            {
                patient.Address.Add(new Address { City = c[4] });
            }

            if (c[5].Length > 0)
            {
                patient.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Email, null, c[5]));
            }

            var key = "fake:Patient/" + patient.Id;
            candidates.Add(new PatientCandidate(key, "fake", patient));
            cluster[key] = c[6];
        }

        return (candidates, cluster);
    }
}
