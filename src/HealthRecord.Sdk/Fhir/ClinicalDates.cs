using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>
/// The date a record is about (when the fact happened or was asserted), read from the element
/// each resource type uses for it. Used for "most recent" merges, consent data periods and summaries.
/// </summary>
public static class ClinicalDates
{
    /// <summary>The record's clinical date, or <see langword="null"/> when it has none.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The date, in UTC, at the precision the record gives (a date becomes its midnight UTC).</returns>
    public static DateTimeOffset? Of(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource switch
        {
            Observation o => FromElement(o.Effective) ?? FromInstant(o.IssuedElement),
            Condition c => FromElement(c.Onset) ?? FromString(c.RecordedDate),
            Encounter e => FromElement(e.Period),
            Procedure p => FromElement(p.Performed),
            Immunization i => FromElement(i.Occurrence) ?? FromString(i.Recorded),
            MedicationRequest m => FromString(m.AuthoredOn),
            MedicationStatement m => FromElement(m.Effective) ?? FromString(m.DateAsserted),
            MedicationAdministration m => FromElement(m.Effective),
            MedicationDispense m => FromString(m.WhenHandedOver) ?? FromString(m.WhenPrepared),
            DiagnosticReport d => FromElement(d.Effective) ?? FromInstant(d.IssuedElement),
            AllergyIntolerance a => FromElement(a.Onset) ?? FromString(a.RecordedDate),
            DocumentReference d => FromInstant(d.DateElement),
            Composition c => FromString(c.Date),
            CarePlan c => FromElement(c.Period) ?? FromString(c.Created),
            CareTeam c => FromElement(c.Period),
            Goal g => FromElement(g.Start),
            Claim c => FromString(c.Created),
            ExplanationOfBenefit e => FromString(e.Created),
            ImagingStudy s => FromString(s.Started),
            ServiceRequest s => FromString(s.AuthoredOn),
            FamilyMemberHistory f => FromString(f.Date),
            Coverage c => FromElement(c.Period),
            Provenance p => FromInstant(p.RecordedElement),
            _ => null,
        };
    }

    /// <summary>The last time the source changed the record (<c>meta.lastUpdated</c>), if given.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The instant, or <see langword="null"/>.</returns>
    public static DateTimeOffset? LastUpdated(Resource resource) => FhirDateText.InstantValue(resource?.Meta?.LastUpdatedElement);

    /// <summary>Reads a FHIR date/dateTime/instant/period value as an instant.</summary>
    /// <param name="element">The element (FhirDateTime, Date, Instant, Period, FhirString).</param>
    /// <returns>The instant, or <see langword="null"/>.</returns>
    public static DateTimeOffset? FromElement(DataType? element) => element switch
    {
        FhirDateTime dt => FromString(dt.Value),
        Date d => FromString(d.Value),
        Instant i => FhirDateText.InstantValue(i),
        Period p => FromString(p.Start) ?? FromString(p.End),
        _ => null,
    };

    private static DateTimeOffset? FromInstant(Instant? instant) => FhirDateText.InstantValue(instant);

    private static DateTimeOffset? FromString(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        // A date or dateTime without an offset is read as UTC so the result never depends on the host's zone.
        return FhirDateText.TryParse(value, out var start) ? start : null;
    }
}
