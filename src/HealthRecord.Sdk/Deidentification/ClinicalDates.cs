using System.Globalization;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>The clinical date of a record (when the event happened), and ages.</summary>
internal static class ClinicalDates
{
    /// <summary>The resource types whose clinical date counts for the cohort summary and ages at events.</summary>
    public static IReadOnlySet<string> ClinicalTypes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Encounter", "Condition", "Observation", "Procedure", "MedicationRequest", "MedicationStatement", "MedicationAdministration",
        "Immunization", "DiagnosticReport", "AllergyIntolerance", "CarePlan",
    };

    /// <summary>The record's clinical date as written, or null.</summary>
    public static string? RawOf(Resource? resource) => resource switch
    {
        Encounter e => e.Period?.Start,
        Condition c => DateOf(c.Onset) ?? c.RecordedDate,
        Observation o => DateOf(o.Effective) ?? Format(o.Issued),
        Procedure p => DateOf(p.Performed),
        MedicationRequest m => m.AuthoredOn,
        MedicationStatement s => DateOf(s.Effective) ?? s.DateAsserted,
        MedicationAdministration a => DateOf(a.Effective),
        Immunization i => DateOf(i.Occurrence) ?? i.Recorded,
        DiagnosticReport d => DateOf(d.Effective) ?? Format(d.Issued),
        AllergyIntolerance a => DateOf(a.Onset) ?? a.RecordedDate,
        CarePlan cp => cp.Period?.Start,
        _ => null,
    };

    /// <summary>The record's clinical date (the calendar date as written), or null.</summary>
    public static DateOnly? Of(Resource? resource) => Parse(RawOf(resource));

    /// <summary>The calendar date of a FHIR date or dateTime as written (partial dates: their first day), or null.</summary>
    public static DateOnly? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length < 4)
        {
            return null;
        }

        var format = text.Length >= 10 ? "yyyy-MM-dd" : text.Length >= 7 ? "yyyy-MM" : "yyyy";
        var part = text[..Math.Min(text.Length, format.Length)];
        return DateOnly.TryParseExact(part, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
    }

    /// <summary>Whole years from birth to the date.</summary>
    public static int Age(DateOnly birth, DateOnly at)
    {
        var age = at.Year - birth.Year;
        if (at.Month < birth.Month || (at.Month == birth.Month && at.Day < birth.Day))
        {
            age--;
        }

        return age;
    }

    private static string? DateOf(DataType? value) => value switch
    {
        FhirDateTime dt => dt.Value,
        Period p => p.Start ?? p.End,
        Instant i => Format(i.Value),
        Date d => d.Value,
        _ => null,
    };

    private static string? Format(DateTimeOffset? value) => value?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
