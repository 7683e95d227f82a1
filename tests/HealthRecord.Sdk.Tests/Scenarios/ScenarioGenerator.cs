using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Scenarios;

/// <summary>
/// Splits one real patient (a Synthea bundle) across 15 simulated EMRs — four primary care practices
/// over the years, two hospitals, an urgent care, five specialists, a lab, a pharmacy and an immunization
/// registry — and re-reports facts the way real EMRs do (problem, allergy and medication lists carried
/// forward; labs from the lab and the clinic; immunizations from the registry), with variations: display
/// text, date precision, time zones, units converted and rounded to the converting lab's precision, missing
/// fields, stale statuses, code systems as OIDs or SNOMED CT edition URIs, local codes beside standard ones.
/// An EMR also sends some of its own records twice (an interface re-send: the same value and issued instant,
/// minutes apart; or the same identifier). Traps are different facts placed inside the matcher's windows:
/// a repeat vital sign minutes later with another value (in the same EMR or another), serial labs 1–6 h
/// apart with another value, a second run of a lab minutes later with the same value but its own issued
/// instant, two encounters at one time at different organisations, and further out repeated labs, recurring
/// conditions and restarted medications. Each EMR's records are shuffled with the seeded random, so a
/// failing seed replays. The generator knows the truth (which source record reports which fact).
/// </summary>
public sealed class ScenarioGenerator
{
    private static readonly string[] Specialists = ["cardiology", "endocrinology", "dermatology", "orthopedics", "pulmonology"];
    private static readonly HashSet<string> Kept = new(StringComparer.Ordinal)
    {
        "Patient", "Practitioner", "Organization", "Encounter", "Condition", "AllergyIntolerance", "MedicationRequest",
        "Immunization", "Observation", "DiagnosticReport", "Procedure",
    };

    private readonly Random _random;
    private readonly Dictionary<string, List<Resource>> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _truth = new(StringComparer.Ordinal);
    private readonly List<(string Trap, string Original)> _traps = [];
    private readonly Dictionary<(string Source, string OriginalId), string> _copyIds = [];
    private DateTimeOffset[] _pcpStarts = [];
    private int _trapCount;

    private ScenarioGenerator(int seed) => _random = new Random(seed);

    /// <summary>The names of the simulated EMRs.</summary>
    public static IReadOnlyList<string> SourceNames { get; } =
        ["pcp-1", "pcp-2", "pcp-3", "pcp-4", "hospital-a", "hospital-b", "urgent-care", .. Specialists.Select(s => "spec-" + s), "lab", "pharmacy", "registry"];

    /// <summary>Generates a scenario.</summary>
    /// <param name="bundle">One Synthea patient.</param>
    /// <param name="seed">The random seed (the same seed gives the same scenario).</param>
    /// <returns>The scenario.</returns>
    public static Scenario Generate(Bundle bundle, int seed)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var g = new ScenarioGenerator(seed);
        g.Build(bundle);
        g.ShuffleSources();
        return new Scenario(
            g._sources.Where(s => s.Value.Count > 0).ToDictionary(s => s.Key, s => (IReadOnlyList<Resource>)s.Value, StringComparer.Ordinal),
            g._truth,
            g._traps);
    }

    private void Build(Bundle bundle)
    {
        foreach (var name in SourceNames)
        {
            _sources[name] = [];
        }

        var resources = bundle.Entry.Select(e => e.Resource).OfType<Resource>().Where(r => Kept.Contains(r.TypeName)).ToList();
        var byUrl = bundle.Entry.Where(e => e.Resource is not null && e.FullUrl is not null).ToDictionary(e => e.FullUrl!, e => e.Resource!, StringComparer.Ordinal);
        var patient = resources.OfType<Patient>().Single();
        var encounters = resources.OfType<Encounter>().OrderBy(e => e.Period?.Start, StringComparer.Ordinal).ToList();
        var dates = encounters.Select(e => ClinicalDates.Of(e)).OfType<DateTimeOffset>().ToList();
        var first = dates.Count > 0 ? dates.Min() : DateTimeOffset.UnixEpoch;
        var last = dates.Count > 0 ? dates.Max() : DateTimeOffset.UnixEpoch;
        var quarter = (last - first) / 4;
        _pcpStarts = [first, first + quarter, first + (2 * quarter), first + (3 * quarter)];

        // Where each encounter happened, and therefore where its records were written first.
        var home = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in encounters)
        {
            home[e.Id!] = HomeOf(e);
        }

        string HomeFor(Resource r)
        {
            if (EncounterOf(r) is { } encounterRef && Resolve(encounterRef, byUrl) is Encounter enc && home.TryGetValue(enc.Id!, out var h))
            {
                return h;
            }

            return Pcp(ClinicalDates.Of(r) ?? first);
        }

        // Every EMR has the patient, and the practitioner and organization records it refers to.
        foreach (var name in SourceNames)
        {
            var p = (Patient)patient.DeepCopy();
            p.Id = CopyId(name, patient.Id!);
            Add(name, p, "Patient/" + patient.Id);
            foreach (var reference in resources.Where(r => r is Practitioner or Organization))
            {
                Emit(name, reference, r => VaryNames(r));
            }
        }

        foreach (var r in resources)
        {
            switch (r)
            {
                case Encounter e:
                    Emit(home[e.Id!], e, null);
                    if (home[e.Id!].StartsWith("hospital", StringComparison.Ordinal) && Chance(0.5))
                    {
                        Emit(Pcp(ClinicalDates.Of(e) ?? first), e, Vary);
                    }

                    if (e.Period?.Start is { Length: > 10 } && Chance(0.12))
                    {
                        // Another visit of the same type at the same time, at another organisation with other staff.
                        var elsewhere = Other(Pick(["urgent-care", .. Specialists.Select(x => "spec-" + x)]), home[e.Id!]);
                        Trap(elsewhere, e, x => AtAnotherPlace((Encounter)x, elsewhere));
                    }

                    break;
                case Condition c:
                {
                    var h = HomeFor(c);
                    Emit(h, c, null);
                    if (Chance(0.1))
                    {
                        ResendWithIdentifier(h, c);
                    }

                    var onset = ClinicalDates.Of(c) ?? first;
                    foreach (var pcp in LaterPcps(onset).Where(p => p != h))
                    {
                        Emit(pcp, c, x => { Vary(x); StaleStatus(x); });
                    }

                    if (Chance(0.3))
                    {
                        Emit(Pick(Specialists.Select(s => "spec-" + s).ToArray()), c, Vary);
                    }

                    if (c.Abatement is not null && Chance(0.3))
                    {
                        var years = TimeSpan.FromDays(365 * (2 + _random.Next(4)));
                        Trap(Other(Pcp(onset + years), h), c, x => Shift(x, years));
                    }

                    break;
                }

                case AllergyIntolerance a:
                {
                    var h = HomeFor(a);
                    Emit(h, a, null);
                    foreach (var pcp in LaterPcps(ClinicalDates.Of(a) ?? first).Where(p => p != h))
                    {
                        Emit(pcp, a, Vary);
                    }

                    Emit("hospital-a", a, Vary);
                    break;
                }

                case MedicationRequest m:
                {
                    var h = HomeFor(m);
                    Emit(h, m, null);
                    Emit("pharmacy", m, Vary);
                    if (m.Status == MedicationRequest.MedicationrequestStatus.Active && LaterPcps(ClinicalDates.Of(m) ?? first).FirstOrDefault(p => p != h) is { } pcp)
                    {
                        Emit(pcp, m, Vary);
                    }

                    if (Chance(0.3))
                    {
                        var later = TimeSpan.FromDays(90 + _random.Next(300));
                        Trap(Other(Pcp((ClinicalDates.Of(m) ?? first) + later), h), m, x => Shift(x, later));
                    }

                    break;
                }

                case Immunization i:
                    Emit(HomeFor(i), i, null);
                    Emit("registry", i, Vary);
                    if (Chance(0.15))
                    {
                        ResendWithIdentifier("registry", i);
                    }

                    if (Chance(0.3))
                    {
                        Emit(Pcp((ClinicalDates.Of(i) ?? first) + TimeSpan.FromDays(400)), i, Vary);
                    }

                    break;
                case Observation o:
                {
                    var h = HomeFor(o);
                    Emit(h, o, null);
                    var category = o.Category.SelectMany(c => c.Coding).Select(c => c.Code).FirstOrDefault();
                    var timed = o.Effective is FhirDateTime { Value.Length: > 10 };
                    if (category == "laboratory")
                    {
                        Emit("lab", o, x => { Vary(x); LabTiming(x, h, o.Id!); });
                        if (Chance(0.12))
                        {
                            Resend(h, o);
                        }

                        if (HasQuantity(o) && timed && Chance(0.2))
                        {
                            // Serial labs: drawn again 1-6 hours later, another value; in the same EMR or another.
                            var by = TimeSpan.FromMinutes(60 + _random.Next(300));
                            Trap(Chance(0.5) ? h : Other("hospital-b", h), o, x => { Shift(x, by); ChangeValue(x); });
                        }

                        if (timed && Chance(0.05))
                        {
                            // A second run minutes later with the same value, issued on its own: two readings.
                            var by = TimeSpan.FromMinutes(4 + _random.Next(6));
                            Trap(h, o, x => { Shift(x, by); ((Observation)x).Issued = (((Observation)x).Issued ?? DateTimeOffset.UnixEpoch) + TimeSpan.FromMinutes(7 + _random.Next(20)); });
                        }

                        if (HasQuantity(o) && Chance(0.1))
                        {
                            Trap(Other("hospital-b", h), o, x => { Shift(x, TimeSpan.FromDays(2 + _random.Next(20))); ChangeValue(x); });
                        }
                    }
                    else if (category == "vital-signs")
                    {
                        if (Chance(0.2))
                        {
                            Emit(h.StartsWith("hospital", StringComparison.Ordinal) ? Pcp(ClinicalDates.Of(o) ?? first) : "hospital-b", o, Vary);
                        }

                        if (Chance(0.1))
                        {
                            Resend(h, o);
                        }

                        if (HasQuantity(o) && timed && Chance(0.25))
                        {
                            // A repeat blood pressure (or pulse, weight…) minutes later with another value.
                            var by = TimeSpan.FromMinutes(2 + _random.Next(18));
                            Trap(Chance(0.7) ? h : Other("urgent-care", h), o, x => { Shift(x, by); ChangeValue(x); });
                        }

                        if (o.Value is Quantity && Chance(0.1))
                        {
                            // The same value measured again another day is another measurement.
                            Trap(Other("urgent-care", h), o, x => Shift(x, TimeSpan.FromDays(3 + _random.Next(30))));
                        }
                    }

                    break;
                }

                case DiagnosticReport d:
                    Emit(HomeFor(d), d, null);
                    if (d.Category.SelectMany(c => c.Coding).Any(c => c.Code == "LAB"))
                    {
                        Emit("lab", d, Vary);
                    }

                    break;
                case Procedure p:
                {
                    var h = HomeFor(p);
                    Emit(h, p, null);
                    if (!h.StartsWith("pcp", StringComparison.Ordinal) && Chance(0.4))
                    {
                        Emit(Pcp(ClinicalDates.Of(p) ?? first), p, Vary);
                    }

                    break;
                }
            }
        }

        // References: the subject is the EMR's own Patient; other links point at the EMR's own copy, or are dropped.
        foreach (var (name, list) in _sources)
        {
            foreach (var r in list)
            {
                foreach (var (_, reference) in ResourceReferences.Enumerate(r))
                {
                    if (reference.Reference is not { } text)
                    {
                        continue;
                    }

                    var target = Resolve(reference, byUrl);
                    if (target is not null && _copyIds.TryGetValue((name, target.Id!), out var copyId))
                    {
                        reference.Reference = $"{target.TypeName}/{copyId}";
                    }
                    else if (target is null && ResourceReferences.TryParseTypeAndId(text, out var type, out var id) && list.Any(x => x.TypeName == type && x.Id == id))
                    {
                        // A record the generator made for this EMR (the other organisation of a trap).
                    }
                    else
                    {
                        reference.Reference = null;
                        reference.Display ??= "not in this EMR";
                    }
                }
            }
        }
    }

    // Each EMR lists its records in its own order; the seeded random makes it replayable.
    private void ShuffleSources()
    {
        foreach (var list in _sources.Values)
        {
            for (var i = list.Count - 1; i > 0; i--)
            {
                var j = _random.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }
    }

    private string HomeOf(Encounter e)
    {
        var cls = e.Class?.Code;
        var when = ClinicalDates.Of(e) ?? DateTimeOffset.UnixEpoch;
        return cls switch
        {
            "EMER" or "emergency" or "IMP" or "inpatient" => when.Year % 2 == 0 ? "hospital-a" : "hospital-b",
            "urgentcare" or "ACUTE" => "urgent-care",
            "outpatient" or "AMB" when CodeOf(e) is { } code && StableIndex(code, 2) == 1 => "spec-" + Specialists[StableIndex(code, Specialists.Length)],
            _ => Pcp(when),
        };
    }

    // A trap goes to another EMR than the original's, so that only the matcher can keep them apart.
    private static string Other(string preferred, string home) => preferred != home ? preferred : home == "hospital-a" ? "hospital-b" : "hospital-a";

    private static string? CodeOf(Encounter e) => e.Type.SelectMany(t => t.Coding).Select(c => c.Code).FirstOrDefault();

    private static int StableIndex(string text, int count) => SHA256.HashData(Encoding.UTF8.GetBytes(text))[0] % count;

    private string Pcp(DateTimeOffset when)
    {
        var i = 0;
        while (i + 1 < _pcpStarts.Length && when >= _pcpStarts[i + 1])
        {
            i++;
        }

        return "pcp-" + (i + 1).ToString(CultureInfo.InvariantCulture);
    }

    private IEnumerable<string> LaterPcps(DateTimeOffset from)
    {
        var start = int.Parse(Pcp(from)[4..], CultureInfo.InvariantCulture);
        for (var i = start; i <= 4; i++)
        {
            yield return "pcp-" + i.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static ResourceReference? EncounterOf(Resource r) => r switch
    {
        Condition c => c.Encounter,
        Observation o => o.Encounter,
        MedicationRequest m => m.Encounter,
        Immunization i => i.Encounter,
        DiagnosticReport d => d.Encounter,
        Procedure p => p.Encounter,
        _ => null,
    };

    private static Resource? Resolve(ResourceReference reference, Dictionary<string, Resource> byUrl)
    {
        var text = reference.Reference;
        if (text is null)
        {
            return null;
        }

        if (byUrl.TryGetValue(text, out var r))
        {
            return r;
        }

        return ResourceReferences.TryParseTypeAndId(text, out var type, out var id)
            ? byUrl.Values.FirstOrDefault(x => x.TypeName == type && x.Id == id)
            : null;
    }

    private void Emit(string source, Resource original, Action<Resource>? vary)
    {
        if (_copyIds.ContainsKey((source, original.Id!)))
        {
            return;
        }

        var copy = original.DeepCopy();
        copy.Id = CopyId(source, original.Id!);
        vary?.Invoke(copy);
        Add(source, copy, original.TypeName + "/" + original.Id);
    }

    private void Trap(string source, Resource original, Action<Resource> change)
    {
        var copy = original.DeepCopy();
        var trapId = "trap" + (++_trapCount).ToString(CultureInfo.InvariantCulture) + "-" + original.Id;
        var truth = $"{original.TypeName}/{trapId}";
        copy.Id = CopyId(source, trapId);
        change(copy);
        if (copy.TryGetValue("identifier", out var ids) && ids is List<Identifier> list)
        {
            list.Clear();
        }

        Add(source, copy, truth, mapsReferences: false);
        _traps.Add((truth, original.TypeName + "/" + original.Id));
    }

    /// <summary>The EMR sends its record of a result again: same value, same issued instant, effective minutes later.</summary>
    private void Resend(string source, Observation original)
    {
        if (!_copyIds.TryGetValue((source, original.Id!), out var firstId) || _sources[source].FirstOrDefault(x => x.Id == firstId) is not Observation sent)
        {
            return;
        }

        sent.Issued ??= (ClinicalDates.Of(sent) ?? DateTimeOffset.UnixEpoch) + TimeSpan.FromHours(1);
        var copy = (Observation)sent.DeepCopy();
        copy.Id = CopyId(source, "resend-" + original.Id);
        Shift(copy, TimeSpan.FromMinutes(1 + _random.Next(8)), issued: false);
        copy.Meta = new Meta { LastUpdated = sent.Issued + TimeSpan.FromMinutes(30) };
        Add(source, copy, original.TypeName + "/" + original.Id, mapsReferences: false);
    }

    /// <summary>The EMR sends its record again under the same business identifier, minutes later and slightly changed.</summary>
    private void ResendWithIdentifier(string source, Resource original)
    {
        if (!_copyIds.TryGetValue((source, original.Id!), out var firstId) || _sources[source].FirstOrDefault(x => x.Id == firstId) is not { } sent
            || ResourceIdentifiers.ListOf(sent) is not { } ids)
        {
            return;
        }

        var identifier = new Identifier("urn:oid:2.16.840.1.113883.3.9999." + (StableIndex(source, 200) + 1).ToString(CultureInfo.InvariantCulture), "rec-" + original.Id);
        ids.Add(identifier);
        var copy = sent.DeepCopy();
        copy.Id = CopyId(source, "resend-" + original.Id);
        Shift(copy, TimeSpan.FromMinutes(1 + _random.Next(8)), issued: false);
        switch (copy)
        {
            case Condition c:
                c.Note.Add(new Annotation { Text = "updated by interface" });
                break;
            case Immunization i:
                i.Note.Add(new Annotation { Text = "updated by interface" });
                break;
        }

        Add(source, copy, original.TypeName + "/" + original.Id, mapsReferences: false);
    }

    private void Add(string source, Resource copy, string truth, bool mapsReferences = true)
    {
        _sources[source].Add(copy);
        _truth[$"{source}:{copy.TypeName}/{copy.Id}"] = truth;
        if (mapsReferences)
        {
            var originalId = truth[(truth.IndexOf('/', StringComparison.Ordinal) + 1)..];
            _copyIds[(source, originalId)] = copy.Id!;
        }
    }

    private void AtAnotherPlace(Encounter e, string source)
    {
        var place = new Organization
        {
            Id = CopyId(source, "place-" + e.Id),
            Name = Pick(["Riverside", "Northgate", "Lakeview", "Hillcrest", "Summit"]) + " " + Pick(["Walk-in Clinic", "Family Practice", "Medical Group"]),
            Address = [new Address { PostalCode = (10000 + _random.Next(89999)).ToString(CultureInfo.InvariantCulture) }],
        };
        _sources[source].Add(place);
        _truth[$"{source}:Organization/{place.Id}"] = "Organization/place-" + e.Id;
        e.ServiceProvider = new ResourceReference("Organization/" + place.Id);
        e.Participant.Clear();
        e.Location.Clear();
        if (Chance(0.5))
        {
            Shift(e, TimeSpan.FromMinutes(_random.Next(30)));
        }
    }

    private static string CopyId(string source, string originalId) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(source + "|" + originalId)).AsSpan(0, 16)).ToString("D");

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    // ---- Variations a re-reported copy shows -------------------------------------------------

    private void Vary(Resource r)
    {
        foreach (var concept in MainConcepts(r))
        {
            if (Chance(0.5))
            {
                foreach (var c in concept.Coding)
                {
                    c.System = OidOf(c.System) ?? c.System;
                }
            }
            else if (Chance(0.3))
            {
                foreach (var c in concept.Coding.Where(c => CodeSystems.Normalize(c.System) == CodeSystems.Snomed))
                {
                    c.System = "http://snomed.info/sct/731000124108";   // the US edition's URI
                }
            }

            if (Chance(0.3) && concept.Coding.FirstOrDefault() is { Code: { } code })
            {
                // The EMR's own code beside the standard one.
                concept.Coding.Add(new Coding("urn:oid:2.16.840.1.113883.3.9999.77", "L-" + code));
            }

            if (Chance(0.5))
            {
                concept.Text = concept.Text?.ToUpperInvariant();
                foreach (var c in concept.Coding)
                {
                    c.Display = c.Display is null ? null : c.Display.ToLowerInvariant() + " (reported)";
                }
            }
            else if (Chance(0.3))
            {
                concept.Text = null;
            }
            else if (r is Condition or AllergyIntolerance && Chance(0.2))
            {
                // Free text only: the EMR kept the problem name but no code.
                concept.Text = (concept.Text ?? concept.Coding.FirstOrDefault()?.Display)?.ToUpperInvariant();
                concept.Coding.Clear();
            }
        }

        if (Chance(0.45))
        {
            TruncateDates(r);
        }
        else if (Chance(0.6))
        {
            ShiftZone(r);
        }

        if (r is Observation o && Chance(0.7))
        {
            ConvertUnits(o);
        }

        if (Chance(0.5))
        {
            // Missing fields: the copy lost its encounter link, its category, its dosage.
            switch (r)
            {
                case Observation ob:
                    ob.Encounter = null!;
                    ob.Category.Clear();
                    break;
                case Condition c:
                    c.Encounter = null;
                    c.Category.Clear();
                    c.RecordedDate = null;
                    break;
                case Immunization i:
                    i.Encounter = null;
                    i.PrimarySource = null;
                    break;
                case MedicationRequest m:
                    m.Encounter = null;
                    m.DosageInstruction.Clear();
                    break;
                case Procedure p:
                    p.Encounter = null;
                    break;
                case DiagnosticReport d:
                    d.Encounter = null;
                    d.Category.Clear();
                    break;
            }
        }
    }

    private void StaleStatus(Resource r)
    {
        if (r is Condition { Abatement: not null } c && Chance(0.3))
        {
            // The practice never updated its problem list: still active there.
            c.Abatement = null;
            c.ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active");
        }
    }

    private void VaryNames(Resource r)
    {
        if (r is Practitioner p && Chance(0.5))
        {
            foreach (var n in p.Name)
            {
                n.Family = n.Family?.ToUpperInvariant();
                n.Prefix = [];
            }
        }
        else if (r is Organization o && Chance(0.5))
        {
            o.Name = o.Name?.ToUpperInvariant();
        }
    }

    private void LabTiming(Resource r, string home, string originalId)
    {
        if (r is Observation o && o.Effective is FhirDateTime dt && dt.TryToDateTimeOffset(out var drawn) && Chance(0.3))
        {
            // The lab reports only when it issued the result, hours after the draw; the issued instant is the
            // lab's, so the ordering clinic's copy of the result carries it too.
            o.Effective = null;
            o.Issued = drawn + TimeSpan.FromHours(2 + _random.Next(5));
            if (_copyIds.TryGetValue((home, originalId), out var homeId) && _sources[home].FirstOrDefault(x => x.Id == homeId) is Observation clinic)
            {
                clinic.Issued = o.Issued;
            }
        }
    }

    // Another reading: 3-15 % up or down, at the original's precision, and at least two units of its last digit away.
    private void ChangeValue(Resource r)
    {
        if (r is not Observation o)
        {
            return;
        }

        foreach (var q in new[] { o.Value as Quantity }.Concat(o.Component.Select(c => c.Value as Quantity)).OfType<Quantity>())
        {
            if (q.Value is not { } v)
            {
                continue;
            }

            var digit = new decimal(1, 0, 0, false, v.Scale);
            var factor = 1m + ((Chance(0.5) ? 1 : -1) * (3 + _random.Next(13)) / 100m);
            var changed = Math.Round(v * factor, v.Scale);
            if (Math.Abs(changed - v) < 2 * digit)
            {
                changed = v + (2 * digit);
            }

            q.Value = changed;
        }
    }

    private static bool HasQuantity(Observation o) => o.Value is Quantity || o.Component.Any(c => c.Value is Quantity);

    private static IEnumerable<CodeableConcept> MainConcepts(Resource r) => r switch
    {
        Condition c when c.Code is not null => [c.Code],
        AllergyIntolerance a when a.Code is not null => [a.Code],
        MedicationRequest m when m.Medication is CodeableConcept cc => [cc],
        Immunization i when i.VaccineCode is not null => [i.VaccineCode],
        Observation o when o.Code is not null => [o.Code],
        DiagnosticReport d when d.Code is not null => [d.Code],
        Procedure p when p.Code is not null => [p.Code],
        Encounter e => e.Type,
        _ => [],
    };

    private static string? OidOf(string? system) => CodeSystems.Normalize(system) switch
    {
        CodeSystems.Snomed => "urn:oid:2.16.840.1.113883.6.96",
        CodeSystems.Loinc => "urn:oid:2.16.840.1.113883.6.1",
        CodeSystems.RxNorm => "urn:oid:2.16.840.1.113883.6.88",
        CodeSystems.Cvx => "urn:oid:2.16.840.1.113883.12.292",
        _ => null,
    };

    // Another lab's units, rounded as that lab writes them (often three significant digits).
    private void ConvertUnits(Observation o)
    {
        foreach (var q in new[] { o.Value as Quantity }.Concat(o.Component.Select(c => c.Value as Quantity)).OfType<Quantity>())
        {
            if (q.Value is not { } v)
            {
                continue;
            }

            (decimal Value, string Code)? converted = q.Code switch
            {
                "kg" => (Math.Round(v * 2.20462m, 1), "[lb_av]"),
                "cm" => (Math.Round(v / 2.54m, 1), "[in_i]"),
                "Cel" => (Math.Round((v * 9m / 5m) + 32m, 1), "[degF]"),
                "mg/dL" when Chance(0.5) => (Significant(v / 100m, 3), "g/L"),
                "mg/dL" => (Math.Round(v * 10m, 2), "mg/L"),
                "g/dL" => (Significant(v * 10m, 3), "g/L"),
                "mmol/L" => (v * 1000m, "umol/L"),
                _ => null,
            };
            if (converted is { } c)
            {
                q.Value = c.Value;
                q.Code = c.Code;
                q.Unit = c.Code;
            }
        }
    }

    private static decimal Significant(decimal value, int digits)
    {
        if (value == 0)
        {
            return 0;
        }

        var magnitude = (int)Math.Floor(Math.Log10((double)Math.Abs(value)));
        var decimals = Math.Clamp(digits - 1 - magnitude, 0, 20);
        return Math.Round(value, decimals);
    }

    private static void TruncateDates(Resource r)
    {
        switch (r)
        {
            case Condition c when c.Onset is FhirDateTime dt && dt.Value?.Length > 10:
                c.Onset = new FhirDateTime(dt.Value[..10]);
                break;
            case Immunization i when i.Occurrence is FhirDateTime dt && dt.Value?.Length > 10:
                i.Occurrence = new FhirDateTime(dt.Value[..10]);
                break;
            case MedicationRequest m when m.AuthoredOn?.Length > 10:
                m.AuthoredOn = m.AuthoredOn[..10];
                break;
            case Observation o when o.Effective is FhirDateTime dt && dt.Value?.Length > 10:
                o.Effective = new FhirDateTime(dt.Value[..10]);
                break;
            case Procedure p when p.Performed is Period pp && pp.Start?.Length > 10:
                p.Performed = new FhirDateTime(pp.Start[..10]);
                break;
        }
    }

    private static void ShiftZone(Resource r)
    {
        // The same instant written in the EMR's own zone (FHIR needs the offset whenever there is a time).
        const string format = "yyyy-MM-dd'T'HH:mm:sszzz";
        static string? Zone(string? value) =>
            value is { Length: > 10 } && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
                ? t.ToOffset(TimeSpan.FromHours(-5)).ToString(format, CultureInfo.InvariantCulture)
                : value;

        switch (r)
        {
            case Condition c when c.Onset is FhirDateTime dt:
                c.Onset = new FhirDateTime(Zone(dt.Value)!);
                break;
            case Immunization i when i.Occurrence is FhirDateTime dt:
                i.Occurrence = new FhirDateTime(Zone(dt.Value)!);
                break;
            case MedicationRequest m:
                m.AuthoredOn = Zone(m.AuthoredOn);
                break;
            case Observation o when o.Effective is FhirDateTime dt:
                o.Effective = new FhirDateTime(Zone(dt.Value)!);
                break;
            case Encounter e when e.Period is not null:
                e.Period.Start = Zone(e.Period.Start);
                e.Period.End = Zone(e.Period.End);
                break;
        }
    }

    private static void Shift(Resource r, TimeSpan by, bool issued = true)
    {
        static string? Move(string? value, TimeSpan by) =>
            value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
                ? (t + by).ToString(value.Length > 10 ? "yyyy-MM-dd'T'HH:mm:sszzz" : "yyyy-MM-dd", CultureInfo.InvariantCulture)
                : value;

        switch (r)
        {
            case Condition c:
                c.Onset = c.Onset is FhirDateTime dt ? new FhirDateTime(Move(dt.Value, by)!) : c.Onset;
                c.Abatement = c.Abatement is FhirDateTime ab ? new FhirDateTime(Move(ab.Value, by)!) : c.Abatement;
                c.RecordedDate = Move(c.RecordedDate, by);
                break;
            case MedicationRequest m:
                m.AuthoredOn = Move(m.AuthoredOn, by);
                break;
            case Observation o:
                o.Effective = o.Effective is FhirDateTime e ? new FhirDateTime(Move(e.Value, by)!) : o.Effective;
                o.Issued = issued ? o.Issued + by : o.Issued;
                break;
            case Immunization i when i.Occurrence is FhirDateTime occurrence:
                i.Occurrence = new FhirDateTime(Move(occurrence.Value, by)!);
                break;
            case Encounter en when en.Period is not null:
                en.Period.Start = Move(en.Period.Start, by);
                en.Period.End = Move(en.Period.End, by);
                break;
        }
    }
}

/// <summary>A generated scenario: the EMRs' records and the truth.</summary>
/// <param name="Sources">The records of each simulated EMR.</param>
/// <param name="Truth">For each source record (<c>source:Type/id</c>), the fact it reports (<c>Type/originalId</c>).</param>
/// <param name="Traps">Facts that look like another fact but are different (trap, original).</param>
public sealed record Scenario(IReadOnlyDictionary<string, IReadOnlyList<Resource>> Sources, IReadOnlyDictionary<string, string> Truth, IReadOnlyList<(string Trap, string Original)> Traps)
{
    /// <summary>The source requests that read this scenario through <see cref="ScenarioSourceAdapter"/>.</summary>
    public IReadOnlyList<HealthRecord.Sdk.Sources.SourceRequest> Requests =>
        Sources.Keys.Order(StringComparer.Ordinal).Select(n => new HealthRecord.Sdk.Sources.SourceRequest(n, ScenarioSourceAdapter.Scheme + n)).ToList();

    /// <summary>The number of records.</summary>
    public int RecordCount => Sources.Values.Sum(s => s.Count);
}
