using System.Globalization;
using System.Text.Json;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Deidentification.Tests;

/// <summary>The cohort summary of the Synthea corpus against the test's own count from the raw bundles.</summary>
public class CohortSummaryTests
{
    private static readonly string[] DatedTypes =
        ["Encounter", "Condition", "Observation", "Procedure", "MedicationRequest", "MedicationStatement", "MedicationAdministration", "Immunization", "DiagnosticReport", "AllergyIntolerance", "CarePlan"];

    [CorpusFact]
    public async Task Compute_SyntheaCorpus_MatchesAnIndependentCountOfTheRawBundles()
    {
        var files = Directory.EnumerateFiles(Corpus.PathOf(Path.Combine("fhir-bundles", "synthea")), "*.json").Order(StringComparer.Ordinal).ToList();
        var ehrs = await Pipeline.AggregateAsync([.. files.Select((f, i) => ($"provider-{i}", f))]);
        var summary = CohortSummary.Compute(ehrs);

        var expected = files.Select(Count).ToList();
        Assert.Equal(files.Count, summary.People);
        Assert.Equal(expected.Count(e => e.Sex == "female"), summary.PeopleBySex.GetValueOrDefault("female"));
        Assert.Equal(expected.Count(e => e.Sex == "male"), summary.PeopleBySex.GetValueOrDefault("male"));
        Assert.Equal(Median(expected.Select(e => e.AgeAtFirst)), summary.MedianAgeAtFirstRecord!.Value, 6);
        Assert.Equal(Median(expected.Select(e => e.Years)), summary.YearsOfDataPerPerson.Median, 6);
        Assert.Equal(expected.Select(e => e.Years).Max(), summary.YearsOfDataPerPerson.Max, 6);
        Assert.Equal(Median(expected.Select(e => (double)e.Visits)), summary.VisitsPerPerson.Median, 6);
        Assert.Equal(expected.Sum(e => e.Visits), summary.Persons.Sum(p => p.Visits));
        Assert.Equal(1, summary.ProvidersPerPerson.Max);
    }

    [Fact]
    public void KAnonymity_Of_ReportsTheSmallestClassAndPersonsAtRisk()
    {
        var persons = new[]
        {
            new QuasiIdentifiers("1960", "female", "021"), new QuasiIdentifiers("1960", "female", "021"), new QuasiIdentifiers("1960", "female", "021"),
            new QuasiIdentifiers("1971", "male", "000"), new QuasiIdentifiers("90+", "male", "100"), new QuasiIdentifiers("90+", "male", "100"),
        };
        var report = KAnonymity.Of(persons);
        Assert.Equal(1, report.K);
        Assert.Equal(6, report.Persons);
        Assert.Equal(3, report.Classes);
        Assert.Equal(6, report.PersonsInClassesSmallerThan5);
        Assert.Equal(new Dictionary<int, int> { [1] = 1, [2] = 1, [3] = 1 }, report.ClassSizes);
        Assert.Equal(0, KAnonymity.Of([]).K);
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
    }

    /// <summary>The test's own count from the raw JSON: sex, age at first dated record, years of data, encounters.</summary>
    private static (string Sex, double AgeAtFirst, double Years, int Visits) Count(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        string sex = "unknown";
        DateOnly? birth = null;
        var dates = new List<DateOnly>();
        var visits = 0;
        foreach (var entry in doc.RootElement.GetProperty("entry").EnumerateArray())
        {
            var r = entry.GetProperty("resource");
            var type = r.GetProperty("resourceType").GetString();
            if (type == "Patient")
            {
                sex = r.TryGetProperty("gender", out var g) ? g.GetString()! : "unknown";
                birth = Day(r.GetProperty("birthDate").GetString());
            }

            if (type == "Encounter")
            {
                visits++;
            }

            if (DatedTypes.Contains(type) && Day(FirstOf(r, type!)) is { } d)
            {
                dates.Add(d);
            }
        }

        var first = dates.Min();
        return (sex, (first.DayNumber - birth!.Value.DayNumber) / 365.2425, (dates.Max().DayNumber - first.DayNumber) / 365.2425, visits);
    }

    private static string? FirstOf(JsonElement r, string type)
    {
        string? P(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string? Start(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? (v.TryGetProperty("start", out var s) ? s.GetString() : v.TryGetProperty("end", out var e) ? e.GetString() : null) : null;
        return type switch
        {
            "Encounter" or "CarePlan" => Start("period"),
            "Condition" => P("onsetDateTime") ?? Start("onsetPeriod") ?? P("recordedDate"),
            "Observation" or "DiagnosticReport" => P("effectiveDateTime") ?? Start("effectivePeriod") ?? P("effectiveInstant") ?? P("issued"),
            "Procedure" => P("performedDateTime") ?? Start("performedPeriod"),
            "MedicationRequest" => P("authoredOn"),
            "MedicationStatement" => P("effectiveDateTime") ?? Start("effectivePeriod") ?? P("dateAsserted"),
            "MedicationAdministration" => P("effectiveDateTime") ?? Start("effectivePeriod"),
            "Immunization" => P("occurrenceDateTime") ?? P("recorded"),
            "AllergyIntolerance" => P("onsetDateTime") ?? P("recordedDate"),
            _ => null,
        };
    }

    private static DateOnly? Day(string? text) =>
        text is { Length: >= 10 } && DateOnly.TryParseExact(text[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
}
