using System.Globalization;
using HealthRecord.Sdk.Identity;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Identity;

/// <summary>Reads FEBRL person records (Christen, ANU) and turns them into FHIR Patients; the truth is in the record ids.</summary>
internal static class Febrl
{
    /// <summary>The column names of a FEBRL file, in order.</summary>
    public static readonly string[] Columns = ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"];

    public static List<PatientCandidate> Read(string path, string source) => ReadRows(path).Select(row => ToCandidate(row, source)).ToList();

    /// <summary>The rows of a FEBRL file, each as its cells by column name (trimmed).</summary>
    public static List<Dictionary<string, string>> ReadRows(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                row[header[i]] = i < cells.Length ? cells[i] : "";
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>One FEBRL row as a FHIR Patient candidate of <paramref name="source"/>.</summary>
    public static PatientCandidate ToCandidate(IReadOnlyDictionary<string, string> row, string source)
    {
        string Cell(string name) => row.TryGetValue(name, out var value) ? value : "";
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
        // FHIR's date type cannot hold a date that does not exist (FEBRL corrupts some into 31 February or month 13):
        // such a birth date is dropped, as a FHIR source would have to.
        if (dob.Length == 8 && DateTime.TryParseExact(dob, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            patient.BirthDate = $"{dob[..4]}-{dob[4..6]}-{dob[6..]}";
        }

        var ssn = Cell("soc_sec_id");
        if (ssn.Length > 0)
        {
            patient.Identifier.Add(new Identifier("http://hl7.org/fhir/sid/us-ssn", ssn));
        }

        return new PatientCandidate($"{source}:Patient/{patient.Id}", source, patient);
    }

    /// <summary>The entity number of a record key (<c>rec-12-dup-0</c> → 12).</summary>
    public static string Entity(string key) => key[(key.IndexOf("rec-", StringComparison.Ordinal) + 4)..].Split('-')[0];

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}

/// <summary>
/// Pairwise quality of a linking result against the entity truth. <em>Automatic</em>: the pairs within each person (what is
/// merged without a human). <em>With review</em>: the pairs within the groups that the persons form once every item of the
/// review queue (what the matcher submitted to <see cref="ILinkReview"/>) that joins one entity is accepted: what a reviewer
/// who answers each queued item correctly reaches. <em>Links</em>: the pairs scored <c>match</c> themselves, without the
/// persons' transitive closure (how Splink counts its figures).
/// </summary>
internal sealed record PairwiseQuality(long TruePairs, long PredictedPairs, long CorrectPairs, long ReviewCorrectPairs, int ReviewQueue, int Records, long LinkPredicted, long LinkCorrect)
{
    public double Precision => PredictedPairs == 0 ? 1 : (double)CorrectPairs / PredictedPairs;

    public double Recall => TruePairs == 0 ? 1 : (double)CorrectPairs / TruePairs;

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>Recall of automatic and possible links together.</summary>
    public double RecallWithReview => TruePairs == 0 ? 1 : (double)ReviewCorrectPairs / TruePairs;

    /// <summary>Precision of the match links themselves.</summary>
    public double LinkPrecision => LinkPredicted == 0 ? 1 : (double)LinkCorrect / LinkPredicted;

    /// <summary>Recall of the match links themselves (no transitive closure).</summary>
    public double LinkRecall => TruePairs == 0 ? 1 : (double)LinkCorrect / TruePairs;

    /// <summary>The review queue as a share of the records.</summary>
    public double ReviewShare => Records == 0 ? 0 : (double)ReviewQueue / Records;

    /// <summary>Pairs implied by the persons (all pairs within a person), against the truth; <paramref name="crossOnly"/> counts only pairs across sources.</summary>
    public static PairwiseQuality Of(IReadOnlyList<PatientCandidate> candidates, PatientLinkResult result, IReadOnlyList<PatientLink> queue, bool crossOnly)
    {
        var source = candidates.ToDictionary(c => c.Key, c => c.SourceName);
        var (predicted, correct) = Count(result.Persons, source, crossOnly);

        // Persons joined by the possible links between them (the review queue).
        var personOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var p = 0; p < result.Persons.Count; p++)
        {
            foreach (var key in result.Persons[p])
            {
                personOf[key] = p;
            }
        }

        var parent = Enumerable.Range(0, result.Persons.Count).ToArray();
        int Find(int x) => parent[x] == x ? x : parent[x] = Find(parent[x]);
        foreach (var link in queue.Where(l => Febrl.Entity(l.Left) == Febrl.Entity(l.Right)))
        {
            parent[Find(personOf[link.Left])] = Find(personOf[link.Right]);
        }

        long linkPredicted = 0, linkCorrect = 0;
        foreach (var link in result.Links.Where(l => l.Decision == LinkDecision.Match && (!crossOnly || source[l.Left] != source[l.Right])))
        {
            linkPredicted++;
            linkCorrect += Febrl.Entity(link.Left) == Febrl.Entity(link.Right) ? 1 : 0;
        }

        var reviewed = result.Persons.Select((p, i) => (p, i)).GroupBy(x => Find(x.i)).Select(g => (IReadOnlyList<string>)g.SelectMany(x => x.p).ToList()).ToList();
        var (_, reviewCorrect) = Count(reviewed, source, crossOnly);

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

        return new PairwiseQuality(truth, predicted, correct, reviewCorrect, queue.Count, candidates.Count, linkPredicted, linkCorrect);
    }

    private static (long Predicted, long Correct) Count(IReadOnlyList<IReadOnlyList<string>> persons, Dictionary<string, string> source, bool crossOnly)
    {
        long predicted = 0, correct = 0;
        foreach (var person in persons)
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

        return (predicted, correct);
    }

    public override string ToString() =>
        $"P {Precision:F4} R {Recall:F4} F1 {F1:F4} (true {TruePairs}, predicted {PredictedPairs}, correct {CorrectPairs}); " +
        $"with review R {RecallWithReview:F4} (correct {ReviewCorrectPairs}), review queue {ReviewQueue} ({ReviewShare:P2} of {Records} records); " +
        $"match links P {LinkPrecision:F4} R {LinkRecall:F4} ({LinkCorrect} of {LinkPredicted})";
}

/// <summary>The true pairs a linking result leaves in two persons, each with why (the link's explanation, or none).</summary>
internal static class MissedPairs
{
    /// <summary>Why a true pair was not merged automatically.</summary>
    public enum Reason
    {
        /// <summary>Given names clearly different with no shared identifier (twin rule).</summary>
        TwinShaped,

        /// <summary>Birth dates ten or more years apart, or given name and birth date both different (a relative).</summary>
        ParentChildOrRelative,

        /// <summary>A record without a given name that matches two people who clearly differ.</summary>
        NoGivenName,

        /// <summary>Scored possible (below the match threshold, or another cap).</summary>
        Possible,

        /// <summary>Scored no match, or never compared (blocking).</summary>
        NotLinked,

        /// <summary>Scored match, but clustering refused the join (a conflict in the chain).</summary>
        ChainConflict,
    }

    public static List<(PatientCandidate Left, PatientCandidate Right, Reason Reason, string Explanation)> Of(IReadOnlyList<PatientCandidate> candidates, PatientLinkResult result, bool crossOnly)
    {
        var personOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var p = 0; p < result.Persons.Count; p++)
        {
            foreach (var key in result.Persons[p])
            {
                personOf[key] = p;
            }
        }

        var links = new Dictionary<(string, string), PatientLink>();
        foreach (var link in result.Links)
        {
            links[(link.Left, link.Right)] = link;
            links[(link.Right, link.Left)] = link;
        }

        var missed = new List<(PatientCandidate, PatientCandidate, Reason, string)>();
        foreach (var entity in candidates.GroupBy(c => Febrl.Entity(c.Key)))
        {
            var members = entity.ToList();
            for (var i = 0; i < members.Count; i++)
            {
                for (var j = i + 1; j < members.Count; j++)
                {
                    var (a, b) = (members[i], members[j]);
                    if ((crossOnly && a.SourceName == b.SourceName) || personOf[a.Key] == personOf[b.Key])
                    {
                        continue;
                    }

                    if (!links.TryGetValue((a.Key, b.Key), out var link))
                    {
                        missed.Add((a, b, Reason.NotLinked, "no match (or not compared)"));
                        continue;
                    }

                    var why = link.Explanation ?? "";
                    var reason = why.Contains("given names differ", StringComparison.Ordinal) ? Reason.TwinShaped
                        : why.Contains("ten or more years", StringComparison.Ordinal) || why.Contains("a relative", StringComparison.Ordinal) ? Reason.ParentChildOrRelative
                        : why.Contains("without a given name", StringComparison.Ordinal) ? Reason.NoGivenName
                        : link.Decision == LinkDecision.Match ? Reason.ChainConflict
                        : why.Contains("would join one person", StringComparison.Ordinal) ? Reason.ChainConflict
                        : Reason.Possible;
                    missed.Add((a, b, reason, why));
                }
            }
        }

        return missed;
    }

    /// <summary>A record's identity fields on one line (test data only: FEBRL and generated records are fictitious).</summary>
    public static string Describe(PatientCandidate c)
    {
        var p = c.Patient;
        var name = p.Name.FirstOrDefault();
        var address = p.Address.FirstOrDefault();
        return $"{c.Key}: {string.Join(' ', name?.Given ?? [])} | {name?.Family} | {p.BirthDate} | {string.Join(", ", address?.Line ?? [])} | {address?.City} {address?.PostalCode} | {p.Identifier.FirstOrDefault()?.Value}";
    }
}
