using System.Globalization;
using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deduplication;

/// <summary>
/// What the built-in matcher compares, computed once per candidate: normalised codes and text, the
/// clinical time as an interval (date-only values cover their whole day in any time zone), the value,
/// the dose, identifiers, and for reference resources the name and postal code.
/// </summary>
internal sealed record RecordFeatures
{
    private static readonly TimeSpan ZoneSlack = TimeSpan.FromHours(14);

    public required string Type { get; init; }

    /// <summary>Normalised <c>system|code</c> keys of the record's main concept, ordinal order.</summary>
    public IReadOnlyList<string> Codes { get; init; } = [];

    /// <summary>Normalised text of the main concept.</summary>
    public string? Text { get; init; }

    /// <summary>The earliest and latest instant the clinical time can mean.</summary>
    public (DateTimeOffset Low, DateTimeOffset High)? Time { get; init; }

    public ValueFeature? Value { get; init; }

    public IReadOnlyList<(string Code, ValueFeature Value)> Components { get; init; } = [];

    public UcumQuantities.Canonical? Dose { get; init; }

    /// <summary>Normalised <c>system|value</c> identifiers.</summary>
    public IReadOnlyList<string> Identifiers { get; init; } = [];

    public string? Name { get; init; }

    public string? PostalCode { get; init; }

    /// <summary>When the result was issued (observations, reports), to the instant.</summary>
    public DateTimeOffset? Issued { get; init; }

    /// <summary>The calendar day of the clinical time as written (its first ten characters, in the writer's own offset).</summary>
    public string? WrittenDay { get; init; }

    /// <summary>Whether the clinical time was written as a date only.</summary>
    public bool DateOnly { get; init; }

    /// <summary>For encounters: the organisation that provided the service (its features), or its name from a display.</summary>
    public RecordFeatures? Provider { get; init; }

    /// <summary>For encounters: the people who took part (their features).</summary>
    public IReadOnlyList<RecordFeatures> Participants { get; init; } = [];

    public static RecordFeatures Of(MatchCandidate candidate)
    {
        var r = candidate.Resource;
        var ids = IdentifiersOf(r);
        return r switch
        {
            Condition c => Concept(r, c.Code, ids, TimeOf(c.Onset), WrittenOf(c.Onset)),
            AllergyIntolerance a => Concept(r, a.Code, ids, TimeOf(a.Onset)),
            MedicationRequest m => Concept(r, MedicationConcept(m.Medication, candidate), ids, TimeOfString(m.AuthoredOn), m.AuthoredOn) with { Dose = DoseOf(m.DosageInstruction) },
            MedicationStatement m => Concept(r, MedicationConcept(m.Medication, candidate), ids, TimeOf(m.Effective) ?? TimeOfString(m.DateAsserted)) with { Dose = DoseOf(m.Dosage) },
            Medication m => Concept(r, m.Code, ids, null),
            Immunization i => Concept(r, i.VaccineCode, ids, TimeOf(i.Occurrence), WrittenOf(i.Occurrence)),
            Observation o => Concept(r, o.Code, ids, TimeOf(o.Effective) ?? TimeOfInstant(InstantOf(o.IssuedElement)), WrittenOf(o.Effective)) with
            {
                Issued = InstantOf(o.IssuedElement)?.ToUniversalTime(),
                Value = ValueFeature.Of(o.Value) is { } v ? v with { MolarMass = AnalyteMolarMasses.Of(CodeSystems.KeysOf(o.Code)) } : null,
                Components = o.Component.Select(c => (CodeSystems.KeysOf(c.Code).FirstOrDefault() ?? ClinicalText.Normalize(c.Code?.Text) ?? "", ValueFeature.Of(c.Value)))
                    .Where(x => x.Item1.Length > 0 && x.Item2 is not null)
                    .Select(x => (x.Item1, x.Item2!))
                    .OrderBy(x => x.Item1, StringComparer.Ordinal)
                    .ToList(),
            },
            DiagnosticReport d => Concept(r, d.Code, ids, TimeOf(d.Effective) ?? TimeOfInstant(InstantOf(d.IssuedElement))) with { Issued = InstantOf(d.IssuedElement)?.ToUniversalTime() },
            Procedure p => Concept(r, p.Code, ids, TimeOf(p.Performed), WrittenOf(p.Performed)),
            Encounter e => EncounterFeatures(e, ids) with
            {
                Provider = e.ServiceProvider is { } sp ? ReferencedFeatures(sp, candidate) : null,
                Participants = e.Participant.Select(p => p.Individual).OfType<ResourceReference>().Select(p => ReferencedFeatures(p, candidate)).OfType<RecordFeatures>()
                    .Where(p => p.Name is not null || p.Identifiers.Count > 0).ToList(),
            },
            DocumentReference d => Concept(r, d.Type, ids, TimeOfInstant(InstantOf(d.DateElement)) ?? TimeOf(d.Context?.Period)),
            Practitioner p => new RecordFeatures { Type = r.TypeName, Identifiers = ids, Name = PersonName(p.Name), PostalCode = Postal(p.Address) },
            Organization o => new RecordFeatures { Type = r.TypeName, Identifiers = ids, Name = ClinicalText.Normalize(o.Name), PostalCode = Postal(o.Address) },
            Location l => new RecordFeatures { Type = r.TypeName, Identifiers = ids, Name = ClinicalText.Normalize(l.Name), PostalCode = Postal(l.Address is null ? [] : [l.Address]) },
            _ => new RecordFeatures { Type = r.TypeName, Identifiers = ids },
        };
    }

    private static RecordFeatures Concept(Resource r, CodeableConcept? concept, IReadOnlyList<string> ids, (DateTimeOffset, DateTimeOffset)? time, string? written = null) => new()
    {
        Type = r.TypeName,
        Codes = CodeSystems.KeysOf(concept),
        Text = ConceptText(concept),
        Time = time,
        Identifiers = ids,
        WrittenDay = written is { Length: >= 10 } ? written[..10] : null,
        DateOnly = written is { Length: 10 },
    };

    // The clinical time as the source wrote it (a dateTime, or a period's start).
    private static string? WrittenOf(DataType? element) => element switch
    {
        FhirDateTime dt => dt.Value,
        Date d => d.Value,
        Period p => p.Start ?? p.End,
        _ => null,
    };

    private static RecordFeatures EncounterFeatures(Encounter e, IReadOnlyList<string> ids)
    {
        var codes = e.Type.SelectMany(CodeSystems.KeysOf).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new RecordFeatures
        {
            Type = e.TypeName,
            Codes = codes,
            Text = codes.Count == 0 ? e.Type.Select(ConceptText).FirstOrDefault(t => t is not null) ?? (CodeSystems.KeyOf(e.Class) is { } k ? "class " + k : null) : null,
            Time = TimeOf(e.Period),
            Identifiers = ids,
        };
    }

    // The practitioner or organisation a reference names: its record's features when it resolves, else the name its display gives.
    private static RecordFeatures? ReferencedFeatures(ResourceReference reference, MatchCandidate candidate)
    {
        var target = candidate.ResolveReference(reference);
        if (target is Practitioner or Organization)
        {
            return Of(new MatchCandidate(candidate.SourceName, target.TypeName + "/" + target.Id, target));
        }

        var name = ClinicalText.Normalize(reference.Display);
        return name is null ? null : new RecordFeatures { Type = "display", Name = name };
    }

    private static CodeableConcept? MedicationConcept(DataType? medication, MatchCandidate candidate) => medication switch
    {
        CodeableConcept cc => cc,
        ResourceReference rr => candidate.ResolveReference(rr) is Medication m ? m.Code : rr.Display is { } d ? new CodeableConcept { Text = d } : null,
        _ => null,
    };

    private static string? ConceptText(CodeableConcept? concept)
    {
        if (concept is null)
        {
            return null;
        }

        return ClinicalText.Normalize(concept.Text) ?? ClinicalText.Normalize(concept.Coding.Select(c => c.Display).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d)));
    }

    private static UcumQuantities.Canonical? DoseOf(List<Dosage> dosages)
    {
        foreach (var d in dosages)
        {
            foreach (var dr in d.DoseAndRate)
            {
                if (dr.Dose is Quantity q && UcumQuantities.TryCanonicalize(q, out var c))
                {
                    return c;
                }
            }
        }

        return null;
    }

    internal static IReadOnlyList<string> IdentifiersOf(Resource resource)
    {
        var keys = new List<string>();
        foreach (var i in Fhir.ResourceIdentifiers.Of(resource))
        {
            var system = CodeSystems.Normalize(i.System);
            // A placeholder (UNK, an SSN that cannot exist) identifies nothing: never evidence that two records are one.
            if (system is null || Fhir.PlaceholderValues.IsPlaceholder(i))
            {
                continue;
            }

            var key = system + "|" + i.Value!.Trim();
            if (!keys.Contains(key))
            {
                keys.Add(key);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    private static string? PersonName(List<HumanName> names)
    {
        var n = names.FirstOrDefault(x => x.Use == HumanName.NameUse.Official) ?? names.FirstOrDefault();
        if (n is null)
        {
            return null;
        }

        var family = ClinicalText.Normalize(n.Family);
        var given = ClinicalText.Normalize(n.Given.FirstOrDefault());
        return family is null ? ClinicalText.Normalize(n.Text) : given is null ? family : family + "," + given;
    }

    private static string? Postal(List<Address> addresses)
    {
        var p = addresses.Select(a => a.PostalCode).FirstOrDefault(x => !string.IsNullOrWhiteSpace(x))?.Trim();
        return p is null ? null : p.Length > 5 ? p[..5] : p;
    }

    internal static (DateTimeOffset Low, DateTimeOffset High)? TimeOf(DataType? element) => element switch
    {
        FhirDateTime dt => TimeOfString(dt.Value),
        Date d => TimeOfString(d.Value),
        Instant i => TimeOfInstant(InstantOf(i)),
        Period p => TimeOfString(p.Start) ?? TimeOfString(p.End),
        _ => null,
    };

    // Instant.Value runs a regular expression over the text on every read (observations are read by the thousand).
    private static DateTimeOffset? InstantOf(Instant? instant) => Fhir.FhirDateText.InstantValue(instant);

    private static (DateTimeOffset, DateTimeOffset)? TimeOfInstant(DateTimeOffset? instant) =>
        instant is { } t ? (t.ToUniversalTime(), t.ToUniversalTime()) : null;

    /// <summary>
    /// A FHIR date or dateTime as the interval of instants it can mean: a value with a time of day and an
    /// offset is an instant; a time without offset may be in any zone; a date, month or year covers
    /// its whole extent in any zone.
    /// </summary>
    internal static (DateTimeOffset Low, DateTimeOffset High)? TimeOfString(string? value)
    {
        if (!Fhir.FhirDateText.TryParse(value, out var start))
        {
            return null;
        }

        if (value.Length > 10)
        {
            var hasZone = value.EndsWith('Z') || value.LastIndexOfAny(['+', '-']) > 10;
            return hasZone ? (start, start) : (Add(start, -ZoneSlack), Add(start, ZoneSlack));
        }

        var extent = value.Length switch
        {
            4 => TimeSpan.FromDays(DateTime.IsLeapYear(start.Year) ? 366 : 365),
            7 => TimeSpan.FromDays(DateTime.DaysInMonth(start.Year, start.Month)),
            _ => TimeSpan.FromDays(1),
        };
        return (Add(start, -ZoneSlack), Add(start, extent + ZoneSlack));
    }

    /// <summary>Adds a span, saturating at the ends of the calendar (year 1 and 9999 occur in bad data).</summary>
    internal static DateTimeOffset Add(DateTimeOffset value, TimeSpan span)
    {
        var ticks = value.UtcTicks;
        if (span.Ticks > 0 && ticks > DateTimeOffset.MaxValue.UtcTicks - span.Ticks)
        {
            return DateTimeOffset.MaxValue;
        }

        if (span.Ticks < 0 && ticks < DateTimeOffset.MinValue.UtcTicks - span.Ticks)
        {
            return DateTimeOffset.MinValue;
        }

        return new DateTimeOffset(ticks + span.Ticks, TimeSpan.Zero);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Type} {string.Join(",", Codes)} {Time}");
}

/// <summary>A comparable value: a UCUM-canonical quantity, a set of codes, or normalised text.</summary>
internal sealed record ValueFeature(UcumQuantities.Canonical? Quantity, Hl7.Fhir.Model.Quantity? Raw, IReadOnlyList<string> Codes, string? Text)
{
    /// <summary>The molar mass of the observed analyte (from its LOINC code), so mg/dL and mmol/L compare; null when unknown.</summary>
    public decimal? MolarMass { get; init; }

    public static ValueFeature? Of(DataType? value) => value switch
    {
        Quantity q when q.Value is not null => new ValueFeature(UcumQuantities.TryCanonicalize(q, out var c) ? c : null, q, [], null),
        CodeableConcept cc => new ValueFeature(null, null, CodeSystems.KeysOf(cc), ClinicalText.Normalize(cc.Text ?? cc.Coding.FirstOrDefault()?.Display)),
        FhirString s => new ValueFeature(null, null, [], ClinicalText.Normalize(s.Value)),
        FhirBoolean b => new ValueFeature(null, null, [], b.Value?.ToString()),
        Integer i => new ValueFeature(UcumQuantities.TryCanonicalize(i.Value ?? 0, null, out var c) ? c : null, null, [], null),
        PrimitiveType p => new ValueFeature(null, null, [], ClinicalText.Normalize(p.ToString())),
        _ => null,
    };

    /// <summary>The same value as written: the same number in the same unit, the same code or text.</summary>
    public bool IsIdentical(ValueFeature other)
    {
        if (Raw is not null || other.Raw is not null)
        {
            return Raw is not null && other.Raw is not null && Raw.Value == other.Raw.Value
                && string.Equals(Raw.Code ?? Raw.Unit, other.Raw.Code ?? other.Raw.Unit, StringComparison.Ordinal);
        }

        if (Quantity is { } a && other.Quantity is { } b)
        {
            return a.Value == b.Value && a.Dimension == b.Dimension;
        }

        return Codes.SequenceEqual(other.Codes, StringComparer.Ordinal) && string.Equals(Text, other.Text, StringComparison.Ordinal);
    }

    public bool SameAs(ValueFeature other, double relativeTolerance)
    {
        if (Raw is not null && other.Raw is not null)
        {
            // Both written as quantities: compared with their units known (rounding after conversion, mass vs substance).
            return UcumQuantities.AreEqual(Raw, other.Raw, relativeTolerance, MolarMass ?? other.MolarMass);
        }

        if (Quantity is { } a && other.Quantity is { } b)
        {
            return UcumQuantities.AreEqual(a, b, relativeTolerance);
        }

        if (Raw is not null || other.Raw is not null)
        {
            return UcumQuantities.AreEqual(Raw, other.Raw, relativeTolerance);
        }

        if (Codes.Count > 0 && other.Codes.Count > 0)
        {
            return Codes.Intersect(other.Codes, StringComparer.Ordinal).Any();
        }

        return Text is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);
    }
}
