using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>
/// The figures real-world-data studies report about a cohort: people, median age at first record, share by sex, providers
/// (distinct source organisations) per person, years of data (first to last clinical date) and visits (encounters) per person.
/// </summary>
public sealed record CohortSummary
{
    /// <summary>How many people.</summary>
    public required int People { get; init; }

    /// <summary>The median age, in years, at each person's first clinical date (persons with a birth date and a dated record).</summary>
    public required double? MedianAgeAtFirstRecord { get; init; }

    /// <summary>People per administrative gender code (<c>unknown</c> when absent), ordered by code.</summary>
    public required IReadOnlyDictionary<string, int> PeopleBySex { get; init; }

    /// <summary>Distinct source organisations per person.</summary>
    public required CohortDistribution ProvidersPerPerson { get; init; }

    /// <summary>Years from each person's first to last clinical date.</summary>
    public required CohortDistribution YearsOfDataPerPerson { get; init; }

    /// <summary>Encounters per person.</summary>
    public required CohortDistribution VisitsPerPerson { get; init; }

    /// <summary>The per-person figures behind the distributions (no identifiers), in input order.</summary>
    public required IReadOnlyList<CohortPersonFacts> Persons { get; init; }

    /// <summary>The share of people of a gender code (0 to 1).</summary>
    /// <param name="sex">The gender code, e.g. <c>female</c>.</param>
    /// <returns>The share.</returns>
    public double ShareOf(string sex) => People == 0 ? 0 : PeopleBySex.GetValueOrDefault(sex) / (double)People;

    /// <summary>The summary of aggregated EHRs (providers: the sources that contributed to each).</summary>
    /// <param name="ehrs">The EHRs.</param>
    /// <returns>The summary.</returns>
    public static CohortSummary Compute(IEnumerable<EhrAggregate> ehrs)
    {
        ArgumentNullException.ThrowIfNull(ehrs);
        return Compute(ehrs.Select(e => CohortPersonFacts.Of(e.Patient, e.Records.Select(r => r.Resource), e.Sources.Count)));
    }

    /// <summary>The summary of EHR bundles (providers: the source names in each bundle's Provenance, at least 1).</summary>
    /// <param name="ehrs">The bundles, one per person.</param>
    /// <returns>The summary.</returns>
    public static CohortSummary Compute(IEnumerable<Bundle> ehrs)
    {
        ArgumentNullException.ThrowIfNull(ehrs);
        return Compute(ehrs.Select(b =>
        {
            var resources = b.Entry.Select(e => e.Resource).Where(r => r is not null).ToList();
            var sources = resources.OfType<Provenance>()
                .SelectMany(p => p.Entity)
                .Select(e => e.What?.Identifier?.System)
                .Where(s => s is not null && s.StartsWith(EhrIds.SourceSystemPrefix, StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal)
                .Count();
            return CohortPersonFacts.Of(resources.OfType<Patient>().FirstOrDefault(), resources!, Math.Max(1, sources));
        }));
    }

    /// <summary>The summary of per-person figures.</summary>
    /// <param name="persons">The figures.</param>
    /// <returns>The summary.</returns>
    public static CohortSummary Compute(IEnumerable<CohortPersonFacts> persons)
    {
        ArgumentNullException.ThrowIfNull(persons);
        var list = persons.ToList();
        return new CohortSummary
        {
            People = list.Count,
            MedianAgeAtFirstRecord = CohortDistribution.MedianOf(list.Where(p => p.AgeAtFirstRecord is not null).Select(p => p.AgeAtFirstRecord!.Value).ToList()),
            PeopleBySex = new SortedDictionary<string, int>(list.GroupBy(p => p.Sex).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
            ProvidersPerPerson = CohortDistribution.Of(list.Select(p => (double)p.Providers)),
            YearsOfDataPerPerson = CohortDistribution.Of(list.Select(p => p.YearsOfData)),
            VisitsPerPerson = CohortDistribution.Of(list.Select(p => (double)p.Visits)),
            Persons = list,
        };
    }
}

/// <summary>One person's cohort figures.</summary>
/// <param name="AgeAtFirstRecord">Years (days / 365.2425) from birth to the first clinical date; null without either.</param>
/// <param name="Sex">The administrative gender code, <c>unknown</c> when absent.</param>
/// <param name="Providers">Distinct source organisations.</param>
/// <param name="YearsOfData">Years (days / 365.2425) from the first to the last clinical date; 0 with fewer than two dates.</param>
/// <param name="Visits">Encounters.</param>
public sealed record CohortPersonFacts(double? AgeAtFirstRecord, string Sex, int Providers, double YearsOfData, int Visits)
{
    /// <summary>Days per year in ages and spans.</summary>
    public const double DaysPerYear = 365.2425;

    /// <summary>The figures of one person's records.</summary>
    /// <param name="patient">The person's Patient, if any.</param>
    /// <param name="records">The person's records (the Patient may be among them).</param>
    /// <param name="providers">Distinct source organisations.</param>
    /// <returns>The figures.</returns>
    public static CohortPersonFacts Of(Patient? patient, IEnumerable<Resource> records, int providers)
    {
        ArgumentNullException.ThrowIfNull(records);
        var dates = new List<DateOnly>();
        var visits = 0;
        foreach (var r in records)
        {
            if (r is Encounter)
            {
                visits++;
            }

            if (ClinicalDates.ClinicalTypes.Contains(r.TypeName) && ClinicalDates.Of(r) is { } d)
            {
                dates.Add(d);
            }
        }

        var first = dates.Count > 0 ? dates.Min() : (DateOnly?)null;
        var last = dates.Count > 0 ? dates.Max() : (DateOnly?)null;
        var birth = ClinicalDates.Parse(patient?.BirthDate);
        double? age = birth is { } b && first is { } f ? (f.DayNumber - b.DayNumber) / DaysPerYear : null;
        var sex = patient?.Gender is { } g ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(g) ?? "unknown" : "unknown";
        return new CohortPersonFacts(age, sex, providers, first is { } a && last is { } z ? (z.DayNumber - a.DayNumber) / DaysPerYear : 0, visits);
    }
}

/// <summary>A distribution's summary.</summary>
/// <param name="Median">The median (0 when empty).</param>
/// <param name="Mean">The mean (0 when empty).</param>
/// <param name="Min">The smallest value (0 when empty).</param>
/// <param name="Max">The largest value (0 when empty).</param>
public sealed record CohortDistribution(double Median, double Mean, double Min, double Max)
{
    /// <summary>Summarises values.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The summary.</returns>
    public static CohortDistribution Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.ToList();
        return list.Count == 0 ? new CohortDistribution(0, 0, 0, 0) : new CohortDistribution(MedianOf(list)!.Value, list.Average(), list.Min(), list.Max());
    }

    internal static double? MedianOf(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
