using System.Globalization;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.DedupCheck;

/// <summary>What one emitted source record really is.</summary>
/// <param name="Person">Index of the real person.</param>
/// <param name="Type">FHIR type.</param>
/// <param name="Fact">The real fact: the original Synthea resource id, or a trap's own id.</param>
/// <param name="TrapOf">For a trap (a different fact made to look close to another), the fact it imitates.</param>
/// <param name="Tags">How this copy was varied (for the failure report).</param>
public sealed record RecordTruth(int Person, string Type, string Fact, string? TrapOf, IReadOnlyList<string> Tags);

/// <summary>One EMR export document.</summary>
public sealed record EmrDocument(string Source, string DocumentId, Bundle Bundle);

/// <summary>The output of a simulation: documents per source and the truth of every clinical record.</summary>
public sealed class SimulatedRun
{
    /// <summary>Documents (one or more per source).</summary>
    public List<EmrDocument> Documents { get; } = [];

    /// <summary>Truth keyed <c>source:Type/id</c>.</summary>
    public Dictionary<string, RecordTruth> Truth { get; } = new(StringComparer.Ordinal);

    /// <summary>People in the run.</summary>
    public List<string> PersonNames { get; } = [];
}

/// <summary>
/// Splits real people's records across simulated EMRs, as real EMRs hold them: each EMR writes the encounters that
/// happened there with their results, and re-records shared history (problem, medication and allergy lists,
/// immunizations) with its own ids; labs are re-sent by interfaces and reported by the lab in other units; codes,
/// displays and times are written differently. Traps: repeat vitals minutes later with another value, serial labs
/// 1-6 h apart, a second encounter at the same time at another organisation, several people in one EMR.
/// Written without reading the SDK's matcher: the rates and variations are what EMRs do, not what the matcher accepts.
/// </summary>
public sealed class EmrSimulator
{
    private static readonly string[] PrimaryCarePool = ["pc-maple", "pc-riverside", "pc-northgate", "pc-harbor", "pc-elm", "pc-summit", "pc-lakeview", "pc-oakwood"];
    private static readonly string[] HospitalPool = ["hosp-general", "hosp-st-anne", "hosp-university"];
    private static readonly string[] UrgentPool = ["urgent-quickcare", "urgent-citymed"];
    private static readonly string[] SpecialistPool = ["spec-cardio", "spec-endo", "spec-ortho", "spec-derm", "spec-pulmo", "spec-gyn", "spec-neuro", "spec-gastro"];
    private static readonly string[] LabPool = ["lab-quest", "lab-regional"];
    private static readonly string[] PharmacyPool = ["rx-corner", "rx-mailorder"];
    private const string Registry = "registry-state";

    private static readonly TimeSpan[] Zones = [TimeSpan.Zero, TimeSpan.FromHours(-5), TimeSpan.FromHours(-8), TimeSpan.FromHours(1), TimeSpan.FromHours(-4), TimeSpan.FromHours(5.5)];

    private static readonly Dictionary<string, (string Code, string Display)> Icd10 = new(StringComparer.Ordinal)
    {
        ["44054006"] = ("E11.9", "Type 2 diabetes mellitus without complications"),
        ["59621000"] = ("I10", "Essential (primary) hypertension"),
        ["38341003"] = ("I10", "Essential (primary) hypertension"),
        ["15777000"] = ("R73.03", "Prediabetes"),
        ["40055000"] = ("J32.9", "Chronic sinusitis, unspecified"),
        ["444814009"] = ("J01.90", "Acute sinusitis, unspecified"),
        ["195662009"] = ("J02.9", "Acute pharyngitis, unspecified"),
        ["10509002"] = ("J20.9", "Acute bronchitis, unspecified"),
        ["162864005"] = ("E66.9", "Obesity, unspecified"),
        ["55822004"] = ("E78.5", "Hyperlipidemia, unspecified"),
        ["233604007"] = ("J18.9", "Pneumonia, unspecified organism"),
        ["271737000"] = ("D64.9", "Anemia, unspecified"),
        ["65363002"] = ("H66.90", "Otitis media, unspecified, unspecified ear"),
        ["43878008"] = ("J02.0", "Streptococcal pharyngitis"),
    };

    private static readonly Dictionary<string, string> Oids = new(StringComparer.Ordinal)
    {
        ["http://loinc.org"] = "urn:oid:2.16.840.1.113883.6.1",
        ["http://snomed.info/sct"] = "urn:oid:2.16.840.1.113883.6.96",
        ["http://www.nlm.nih.gov/research/umls/rxnorm"] = "urn:oid:2.16.840.1.113883.6.88",
        ["http://hl7.org/fhir/sid/cvx"] = "urn:oid:2.16.840.1.113883.12.292",
    };

    // Molar masses (g/mol) of analytes Synthea reports in mg/dL, for labs that report SI units under the same LOINC code.
    private static readonly Dictionary<string, decimal> MolarMass = new(StringComparer.Ordinal)
    {
        ["2339-0"] = 180.156m, ["2345-7"] = 180.156m, // glucose
        ["2093-3"] = 386.65m, ["2085-9"] = 386.65m, ["18262-6"] = 386.65m, // cholesterol, HDL, LDL
        ["2571-8"] = 885.7m, // triglycerides
    };

    private readonly Random _rng;
    private readonly SimulatedRun _run = new();
    private readonly Dictionary<(string Source, int Person), Doc> _docs = [];
    private readonly Dictionary<string, bool> _sharedBundle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _factOf = new(StringComparer.Ordinal);
    private int _idCounter;

    /// <summary>Creates a simulator with a seed.</summary>
    public EmrSimulator(int seed) => _rng = new Random(seed);

    /// <summary>Simulates the EMRs of a group of people (they may share EMRs) and returns the documents and truth.</summary>
    public SimulatedRun Simulate(IReadOnlyList<PersonInput> people)
    {
        for (var p = 0; p < people.Count; p++)
        {
            _run.PersonNames.Add(people[p].Name);
            SimulatePerson(p, people[p]);
        }

        foreach (var group in _docs.Values.GroupBy(d => d.Source).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // Some EMRs export all their patients in one bundle, others one file per patient.
            if (group.Count() > 1 && _sharedBundle.GetValueOrDefault(group.Key))
            {
                var bundle = new Bundle { Type = Bundle.BundleType.Collection };
                foreach (var doc in group.OrderBy(d => d.Person))
                {
                    foreach (var r in Shuffled(doc.All()))
                    {
                        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"https://{group.Key}.example.org/fhir/{r.TypeName}/{r.Id}", Resource = r });
                    }
                }

                _run.Documents.Add(new EmrDocument(group.Key, "export.json", bundle));
            }
            else
            {
                foreach (var doc in group.OrderBy(d => d.Person))
                {
                    var bundle = new Bundle { Type = Bundle.BundleType.Collection };
                    foreach (var r in Shuffled(doc.All()))
                    {
                        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"https://{group.Key}.example.org/fhir/{r.TypeName}/{r.Id}", Resource = r });
                    }

                    _run.Documents.Add(new EmrDocument(group.Key, $"patient-{doc.PatientId}.json", bundle));
                }
            }
        }

        return _run;
    }

    private List<Resource> Shuffled(List<Resource> list)
    {
        var copy = list.ToList();
        for (var i = copy.Count - 1; i > 0; i--)
        {
            var j = _rng.Next(i + 1);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }

        return copy;
    }

    private sealed class Emr
    {
        public required string Name { get; init; }

        public required string Kind { get; init; }

        public DateTimeOffset From { get; set; } = DateTimeOffset.MinValue;

        public DateTimeOffset To { get; set; } = DateTimeOffset.MaxValue;
    }

    private sealed class Doc
    {
        public required string Source { get; init; }

        public required int Person { get; init; }

        public required string PatientId { get; init; }

        public required Patient Patient { get; init; }

        public Dictionary<string, Resource> Orgs { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Resource> Practitioners { get; } = new(StringComparer.Ordinal);

        public List<Resource> Records { get; } = [];

        /// <summary>Original id → local reference of this EMR's first copy.</summary>
        public Dictionary<string, string> Local { get; } = new(StringComparer.Ordinal);

        public HashSet<string> LocalRefs { get; } = new(StringComparer.Ordinal);

        public List<Resource> All() => [Patient, .. Orgs.Values, .. Practitioners.Values, .. Records];
    }

    private string NewId(string source) => $"{source[..Math.Min(4, source.Length)]}{_rng.Next(100000, 999999)}{++_idCounter:x}";

    private static string Npi(string name)
    {
        var h = 0L;
        foreach (var c in name)
        {
            h = ((h * 31) + c) % 100_000_000;
        }

        return "19" + h.ToString("D8", CultureInfo.InvariantCulture);
    }

    private static string OrgName(string emr) => emr switch
    {
        _ when emr.StartsWith("pc-", StringComparison.Ordinal) => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(emr[3..].Replace('-', ' ')) + " Family Practice",
        _ when emr.StartsWith("hosp-", StringComparison.Ordinal) => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(emr[5..].Replace('-', ' ')) + " Hospital",
        _ => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(emr.Replace('-', ' ')) + " Clinic",
    };

    private Doc DocFor(string source, int person, PersonInput input)
    {
        if (_docs.TryGetValue((source, person), out var doc))
        {
            return doc;
        }

        _sharedBundle.TryAdd(source, _rng.NextDouble() < 0.5);
        var id = NewId(source);
        var src = input.Patient;
        var patient = new Patient
        {
            Id = id,
            Gender = src.Gender,
            BirthDate = src.BirthDate,
            Name = src.Name.Where(n => n.Use is null or HumanName.NameUse.Official).Take(1).Select(n => new HumanName { Family = n.Family, Given = n.Given.ToList(), Use = HumanName.NameUse.Official }).ToList(),
            Address = src.Address.Select(a => new Address { Line = a.Line.ToList(), City = a.City, State = a.State, PostalCode = a.PostalCode, Country = a.Country }).ToList(),
        };
        patient.Identifier.Add(new Identifier($"urn:emr:{source}:mrn", "MRN" + _rng.Next(1_000_000, 9_999_999).ToString(CultureInfo.InvariantCulture)));
        var ssn = src.Identifier.FirstOrDefault(i => i.System == "http://hl7.org/fhir/sid/us-ssn");
        if (ssn is not null)
        {
            patient.Identifier.Add(new Identifier(ssn.System, ssn.Value));
        }

        doc = new Doc { Source = source, Person = person, PatientId = id, Patient = patient };
        _docs[(source, person)] = doc;
        return doc;
    }

    private ResourceReference OrgRef(Doc doc, string emr)
    {
        if (!doc.Orgs.TryGetValue(emr, out var org))
        {
            org = new Organization
            {
                Id = NewId(doc.Source),
                Name = OrgName(emr),
                Identifier = [new Identifier("http://hl7.org/fhir/sid/us-npi", Npi(emr))],
                Active = true,
            };
            doc.Orgs[emr] = org;
        }

        return new ResourceReference("Organization/" + org.Id, ((Organization)org).Name);
    }

    private ResourceReference? PractitionerRef(Doc doc, Practitioner? original)
    {
        if (original is null)
        {
            return null;
        }

        if (!doc.Practitioners.TryGetValue(original.Id, out var pr))
        {
            pr = new Practitioner
            {
                Id = NewId(doc.Source),
                Name = original.Name.Select(n => new HumanName { Family = n.Family, Given = n.Given.ToList() }).ToList(),
                Identifier = original.Identifier.Select(i => new Identifier(i.System, i.Value)).ToList(),
                Gender = original.Gender,
            };
            doc.Practitioners[original.Id] = pr;
        }

        return new ResourceReference("Practitioner/" + pr.Id);
    }

    // ---------------------------------------------------------------- per person

    private sealed class PersonContext
    {
        public required int Index { get; init; }

        public required PersonInput Input { get; init; }

        public required List<Emr> PrimaryCare { get; init; }

        public required List<Emr> Hospitals { get; init; }

        public required List<Emr> Specialists { get; init; }

        public Emr? Urgent { get; init; }

        public required Emr Lab { get; init; }

        public required Emr Pharmacy { get; init; }

        public Emr? Registry { get; init; }

        public Dictionary<string, Emr> EncounterEmr { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Practitioner> Practitioners { get; } = new(StringComparer.Ordinal);

        public IEnumerable<Emr> All => [.. PrimaryCare, .. Hospitals, .. Specialists, .. (Urgent is null ? Array.Empty<Emr>() : [Urgent]), Lab, Pharmacy, .. (Registry is null ? Array.Empty<Emr>() : [Registry])];
    }

    private List<T> Pick<T>(IReadOnlyList<T> pool, int count)
    {
        var idx = Enumerable.Range(0, pool.Count).ToArray();
        for (var i = idx.Length - 1; i > 0; i--)
        {
            var j = _rng.Next(i + 1);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }

        return idx.Take(count).Select(i => pool[i]).ToList();
    }

    private void SimulatePerson(int index, PersonInput input)
    {
        var total = _rng.Next(7, 16);
        var pcs = _rng.Next(2, 5);
        var hospitals = _rng.Next(1, 3);
        var urgent = _rng.NextDouble() < 0.6;
        var registry = _rng.NextDouble() < 0.7;
        var specialists = Math.Clamp(total - pcs - hospitals - (urgent ? 1 : 0) - 2 - (registry ? 1 : 0), 1, SpecialistPool.Length);

        var ctx = new PersonContext
        {
            Index = index,
            Input = input,
            PrimaryCare = Pick(PrimaryCarePool, pcs).Select(n => new Emr { Name = n, Kind = "pc" }).ToList(),
            Hospitals = Pick(HospitalPool, hospitals).Select(n => new Emr { Name = n, Kind = "hospital" }).ToList(),
            Specialists = Pick(SpecialistPool, specialists).Select(n => new Emr { Name = n, Kind = "specialist" }).ToList(),
            Urgent = urgent ? new Emr { Name = UrgentPool[_rng.Next(UrgentPool.Length)], Kind = "urgent" } : null,
            Lab = new Emr { Name = LabPool[_rng.Next(LabPool.Length)], Kind = "lab" },
            Pharmacy = new Emr { Name = PharmacyPool[_rng.Next(PharmacyPool.Length)], Kind = "pharmacy" },
            Registry = registry ? new Emr { Name = Registry, Kind = "registry" } : null,
        };

        foreach (var pr in input.Resources.OfType<Practitioner>())
        {
            ctx.Practitioners[pr.Id] = pr;
        }

        // The input itself may hold one record twice under two ids (the Bulk sample has three such medication orders:
        // the same drug, instant, encounter and everything else). Nothing tells the two apart, so a re-sent copy and a
        // second order are indistinguishable: the truth counts them as one fact (tag "input-duplicate").
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in input.Resources.Where(r => People.ClinicalTypes.Contains(r.TypeName)))
        {
            var copy = r.DeepCopy();
            copy.Id = null;
            copy.Meta = null;
            var key = HealthRecord.Sdk.Fhir.FhirJson.Serialize(copy);
            if (seen.TryGetValue(key, out var firstId))
            {
                _factOf[r.Id] = firstId;
            }
            else
            {
                seen[key] = r.Id;
            }
        }

        // Primary care practices succeed each other over the person's timeline.
        var times = input.Resources.Select(ClinicalTime).Where(t => t is not null).Select(t => t!.Value).ToList();
        var first = times.Count > 0 ? times.Min() : DateTimeOffset.UnixEpoch;
        var last = times.Count > 0 ? times.Max() : DateTimeOffset.UnixEpoch;
        var cuts = Enumerable.Range(0, pcs - 1).Select(_ => first + ((last - first) * _rng.NextDouble())).Order().ToList();
        for (var i = 0; i < pcs; i++)
        {
            ctx.PrimaryCare[i].From = i == 0 ? DateTimeOffset.MinValue : cuts[i - 1];
            ctx.PrimaryCare[i].To = i == pcs - 1 ? DateTimeOffset.MaxValue : cuts[i];
        }

        // Encounters first (other records point at them), then results, then lists.
        foreach (var enc in input.Resources.OfType<Encounter>())
        {
            ctx.EncounterEmr[enc.Id] = EmrOfEncounter(ctx, enc);
        }

        foreach (var enc in input.Resources.OfType<Encounter>())
        {
            EmitEncounter(ctx, enc);
        }

        foreach (var obs in input.Resources.OfType<Observation>())
        {
            EmitObservation(ctx, obs);
        }

        foreach (var rep in input.Resources.OfType<DiagnosticReport>())
        {
            EmitReport(ctx, rep);
        }

        foreach (var c in input.Resources.OfType<Condition>())
        {
            EmitCondition(ctx, c);
        }

        foreach (var a in input.Resources.OfType<AllergyIntolerance>())
        {
            EmitAllergy(ctx, a);
        }

        foreach (var m in input.Resources.OfType<MedicationRequest>())
        {
            EmitMedication(ctx, m);
        }

        foreach (var i in input.Resources.OfType<Immunization>())
        {
            EmitImmunization(ctx, i);
        }

        foreach (var p in input.Resources.OfType<Procedure>())
        {
            EmitProcedure(ctx, p);
        }
    }

    private Emr PrimaryCareAt(PersonContext ctx, DateTimeOffset? t)
    {
        var when = t ?? DateTimeOffset.UnixEpoch;
        return ctx.PrimaryCare.First(p => when >= p.From && when < p.To);
    }

    private IEnumerable<Emr> PrimaryCareAfter(PersonContext ctx, DateTimeOffset? t, Emr except) =>
        ctx.PrimaryCare.Where(p => p != except && p.To > (t ?? DateTimeOffset.MinValue));

    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var c in s)
        {
            h = unchecked((h * 31) + c);
        }

        return h & 0x7fffffff;
    }

    private Emr EmrOfEncounter(PersonContext ctx, Encounter enc)
    {
        var cls = enc.Class?.Code ?? string.Empty;
        var type = (enc.Type.FirstOrDefault()?.Text ?? enc.Type.FirstOrDefault()?.Coding.FirstOrDefault()?.Display ?? string.Empty).ToLowerInvariant();
        var start = ParseTime(enc.Period?.Start);
        if (cls is "EMER" or "IMP" || type.Contains("emergency", StringComparison.Ordinal) || type.Contains("hospital", StringComparison.Ordinal))
        {
            return ctx.Hospitals[_rng.Next(ctx.Hospitals.Count)];
        }

        if (type.Contains("urgent", StringComparison.Ordinal) && ctx.Urgent is not null)
        {
            return ctx.Urgent;
        }

        if (type.Contains("check up", StringComparison.Ordinal) || type.Contains("examination", StringComparison.Ordinal) || type.Contains("well child", StringComparison.Ordinal) || type.Contains("wellness", StringComparison.Ordinal))
        {
            return PrimaryCareAt(ctx, start);
        }

        if (_rng.NextDouble() < 0.4 && ctx.Urgent is not null)
        {
            return ctx.Urgent;
        }

        return _rng.NextDouble() < 0.5
            ? PrimaryCareAt(ctx, start)
            : ctx.Specialists[StableHash(enc.Type.FirstOrDefault()?.Coding.FirstOrDefault()?.Code ?? type) % ctx.Specialists.Count];
    }

    private Emr EmrOfRecord(PersonContext ctx, ResourceReference? encounter, DateTimeOffset? t)
    {
        var id = People.RefId(encounter);
        if (id is not null && ctx.EncounterEmr.TryGetValue(id, out var emr))
        {
            return emr;
        }

        if (id is not null)
        {
            // An encounter the input does not include (the Bulk sample): place it once, by the month it happened in,
            // so the daily orders of one stay land in one EMR as they would.
            var month = t?.ToString("yyyy-MM", CultureInfo.InvariantCulture) ?? id;
            var roll = StableHash(month) % 10;
            emr = roll < 6 ? PrimaryCareAt(ctx, t) : roll < 8 ? ctx.Specialists[StableHash(month) % ctx.Specialists.Count] : ctx.Hospitals[StableHash(month) % ctx.Hospitals.Count];
            ctx.EncounterEmr[id] = emr;
            return emr;
        }

        return PrimaryCareAt(ctx, t);
    }

    // ---------------------------------------------------------------- emitting

    private T Emit<T>(PersonContext ctx, Emr emr, T original, string fact, string? trapOf, List<string> tags, Action<T, Doc>? vary = null)
        where T : Resource
    {
        if (_factOf.TryGetValue(fact, out var same))
        {
            fact = same;
            tags.Add("input-duplicate");
        }

        var doc = DocFor(emr.Name, ctx.Index, ctx.Input);
        var copy = (T)original.DeepCopy();
        copy.Id = NewId(emr.Name);
        copy.Meta = null;
        if (copy is DomainResource dr)
        {
            dr.Text = null;
            dr.Extension.Clear();
        }

        SetSubject(copy, doc);
        RewriteReferences(copy, doc);
        vary?.Invoke(copy, doc);
        doc.Records.Add(copy);
        doc.Local.TryAdd(fact, copy.TypeName + "/" + copy.Id);
        doc.LocalRefs.Add(copy.TypeName + "/" + copy.Id);
        _run.Truth[$"{emr.Name}:{copy.TypeName}/{copy.Id}"] = new RecordTruth(ctx.Index, copy.TypeName, fact, trapOf, tags.ToArray());
        return copy;
    }

    private static void SetSubject(Resource r, Doc doc)
    {
        var subject = new ResourceReference("Patient/" + doc.PatientId);
        switch (r)
        {
            case Condition c: c.Subject = subject; break;
            case AllergyIntolerance a: a.Patient = subject; break;
            case MedicationRequest m: m.Subject = subject; break;
            case Immunization i: i.Patient = subject; break;
            case Observation o: o.Subject = subject; break;
            case DiagnosticReport d: d.Subject = subject; break;
            case Procedure p: p.Subject = subject; break;
            case Encounter e: e.Subject = subject; break;
        }
    }

    private static void RewriteReferences(Base node, Doc doc)
    {
        foreach (var child in node.EnumerateElements().ToList())
        {
            if (child.Value is System.Collections.IList list)
            {
                for (var i = list.Count - 1; i >= 0; i--)
                {
                    if (list[i] is ResourceReference rr)
                    {
                        if (!Rewrite(rr, doc))
                        {
                            list.RemoveAt(i);
                        }
                    }
                    else if (list[i] is Base b and not PrimitiveType)
                    {
                        RewriteReferences(b, doc);
                    }
                }
            }
            else if (child.Value is ResourceReference single)
            {
                if (!Rewrite(single, doc))
                {
                    single.Reference = null;
                    single.Display ??= "not available";
                }
            }
            else if (child.Value is Base b and not PrimitiveType)
            {
                RewriteReferences(b, doc);
            }
        }

        switch (node)
        {
            case Observation { Encounter.Reference: null } o: o.Encounter = null; break;
            case Condition { Encounter.Reference: null } c: c.Encounter = null; break;
            case MedicationRequest { Encounter.Reference: null } m: m.Encounter = null; break;
            case Immunization { Encounter.Reference: null } i: i.Encounter = null; break;
            case Procedure { Encounter.Reference: null } p: p.Encounter = null; break;
            case DiagnosticReport { Encounter.Reference: null } d: d.Encounter = null; break;
        }
    }

    /// <summary>Points a reference at this EMR's copy of its target; false when the EMR holds no copy.</summary>
    private static bool Rewrite(ResourceReference rr, Doc doc)
    {
        var reference = rr.Reference;
        if (reference is null || reference.StartsWith("Patient/", StringComparison.Ordinal) || reference.StartsWith("Organization/", StringComparison.Ordinal) || reference.StartsWith("Practitioner/", StringComparison.Ordinal))
        {
            return reference is not null || rr.Display is not null;
        }

        if (doc.LocalRefs.Contains(reference))
        {
            return true;
        }

        var id = People.RefId(rr);
        if (id is not null && doc.Local.TryGetValue(id, out var local))
        {
            rr.Reference = local;
            return true;
        }

        return false;
    }

    private void EmitEncounter(PersonContext ctx, Encounter enc)
    {
        var emr = ctx.EncounterEmr[enc.Id];
        ctx.Practitioners.TryGetValue(People.RefId(enc.Participant.FirstOrDefault()?.Individual) ?? string.Empty, out var practitioner);
        Emit(ctx, emr, enc, enc.Id, null, ["original"], (e, doc) => PlaceEncounter(e, doc, emr, practitioner));

        // A hospital or urgent care visit is re-recorded by the person's primary care practice as history.
        if (emr.Kind is "hospital" or "urgent" && _rng.NextDouble() < 0.5)
        {
            var start = ParseTime(enc.Period?.Start);
            var pc = PrimaryCareAt(ctx, start);
            var tags = new List<string> { "pc-history-copy" };
            Emit(ctx, pc, enc, enc.Id, null, tags, (e, doc) =>
            {
                PlaceEncounter(e, doc, emr, practitioner);
                VaryCodes(e.Type, tags);
                if (_rng.NextDouble() < 0.3)
                {
                    e.Period.Start = OtherZone(e.Period.Start, tags);
                    e.Period.End = e.Period.End is null ? null : OtherZone(e.Period.End, []);
                }

                if (_rng.NextDouble() < 0.3)
                {
                    e.Participant.Clear();
                    tags.Add("no-participant");
                }
            });
        }

        // Trap: the same kind of visit at the same time (or within 30 min) at another organisation, other staff.
        if (_rng.NextDouble() < 0.05)
        {
            var others = ctx.All.Where(x => x != emr && x.Kind is "pc" or "specialist" or "urgent" or "hospital").ToList();
            if (others.Count > 0)
            {
                var other = others[_rng.Next(others.Count)];
                var otherPractitioner = ctx.Practitioners.Values.Where(p => p.Id != practitioner?.Id).OrderBy(p => p.Id, StringComparer.Ordinal).Skip(_rng.Next(Math.Max(1, ctx.Practitioners.Count - 1))).FirstOrDefault();
                var shift = _rng.NextDouble() < 0.5 ? TimeSpan.Zero : TimeSpan.FromMinutes(_rng.Next(1, 31));
                Emit(ctx, other, enc, "trap-" + enc.Id, enc.Id, ["trap-encounter-other-org"], (e, doc) =>
                {
                    PlaceEncounter(e, doc, other, otherPractitioner);
                    e.Period.Start = Shift(e.Period.Start, shift);
                    e.Period.End = e.Period.End is null ? null : Shift(e.Period.End, shift);
                });
            }
        }
    }

    private void PlaceEncounter(Encounter e, Doc doc, Emr at, Practitioner? practitioner)
    {
        e.ServiceProvider = OrgRef(doc, at.Name);
        e.Participant.Clear();
        var pr = PractitionerRef(doc, practitioner);
        if (pr is not null)
        {
            e.Participant.Add(new Encounter.ParticipantComponent { Individual = pr });
        }

        e.Location.Clear();
        e.ReasonReference.Clear();
        e.Identifier.Clear();
    }

    private static bool IsLab(Observation o) => o.Category.SelectMany(c => c.Coding).Any(c => c.Code == "laboratory");

    private static bool IsVital(Observation o) => o.Category.SelectMany(c => c.Coding).Any(c => c.Code == "vital-signs");

    private void EmitObservation(PersonContext ctx, Observation obs)
    {
        var emr = EmrOfRecord(ctx, obs.Encounter, ClinicalTime(obs));
        var lab = IsLab(obs);
        var vital = IsVital(obs);
        var accession = lab && _rng.NextDouble() < 0.4 ? new Identifier($"urn:accession:{ctx.Lab.Name}", "A" + _rng.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture)) : null;

        var first = Emit(ctx, emr, obs, obs.Id, null, ["original"], (o, _) =>
        {
            o.Identifier.Clear();
            if (accession is not null)
            {
                o.Identifier.Add(accession);
            }
        });

        // An interface or a double entry re-sends the result in the same EMR: same value and issued, minutes later.
        if ((lab && _rng.NextDouble() < 0.08) || (vital && _rng.NextDouble() < 0.05))
        {
            var minutes = _rng.Next(0, 9);
            Emit(ctx, emr, first, obs.Id, null, [minutes == 0 ? "resent-identical-time" : "resent-minutes-later"], (o, _) =>
            {
                o.Effective = new FhirDateTime(Shift(((FhirDateTime)o.Effective).Value, TimeSpan.FromMinutes(minutes)));
            });
        }

        if (lab && _rng.NextDouble() < 0.85)
        {
            // The performing lab's own copy: other units, codes, displays, zones.
            var tags = new List<string> { "lab-copy" };
            var labCopy = Emit(ctx, ctx.Lab, obs, obs.Id, null, tags, (o, _) =>
            {
                o.Identifier.Clear();
                if (accession is not null)
                {
                    o.Identifier.Add(accession);
                    tags.Add("accession");
                }

                VaryCodes([o.Code], tags);
                if (_rng.NextDouble() < 0.35)
                {
                    ConvertUnits(o, tags);
                }

                if (_rng.NextDouble() < 0.3)
                {
                    o.Effective = new FhirDateTime(OtherZone(((FhirDateTime)o.Effective).Value, tags));
                }

                if (_rng.NextDouble() < 0.15)
                {
                    o.Effective = null;
                    tags.Add("issued-only");
                }
            });

            // The lab's interface re-sends its copy.
            if (_rng.NextDouble() < 0.08)
            {
                Emit(ctx, ctx.Lab, labCopy, obs.Id, null, ["lab-resent", .. tags], (o, _) =>
                {
                    if (o.Effective is FhirDateTime e)
                    {
                        o.Effective = new FhirDateTime(Shift(e.Value, TimeSpan.FromMinutes(_rng.Next(1, 9))));
                    }
                });
            }
        }
        else if (vital && _rng.NextDouble() < 0.1)
        {
            // The next practice's copy of a vital sign.
            var pc = PrimaryCareAfter(ctx, ClinicalTime(obs), emr).FirstOrDefault();
            if (pc is not null)
            {
                var tags = new List<string> { "vital-pc-copy" };
                Emit(ctx, pc, obs, obs.Id, null, tags, (o, _) =>
                {
                    VaryCodes([o.Code], tags);
                    if (_rng.NextDouble() < 0.5)
                    {
                        ConvertUnits(o, tags);
                    }
                });
            }
        }

        // Traps inside the windows.
        if (vital && _rng.NextDouble() < 0.1)
        {
            var minutes = _rng.Next(2, 21);
            Emit(ctx, emr, obs, "trap-repeat-" + obs.Id, obs.Id, ["trap-repeat-vital"], (o, _) =>
            {
                o.Effective = new FhirDateTime(Shift(((FhirDateTime)o.Effective).Value, TimeSpan.FromMinutes(minutes)));
                o.Issued = o.Issued?.AddMinutes(minutes);
                OtherValue(o);
            });
        }

        if (lab && _rng.NextDouble() < 0.08)
        {
            var hours = 1 + (_rng.NextDouble() * 5);
            var shift = TimeSpan.FromMinutes(Math.Round(hours * 60));
            var fact = "trap-serial-" + obs.Id;
            var sameEmr = _rng.NextDouble() < 0.5;
            var trapTags = new List<string> { "trap-serial-lab" };
            Emit(ctx, sameEmr ? emr : ctx.Lab, obs, fact, obs.Id, trapTags, (o, _) =>
            {
                o.Identifier.Clear();
                o.Effective = new FhirDateTime(Shift(((FhirDateTime)o.Effective).Value, shift));
                o.Issued = o.Issued?.Add(shift);
                OtherValue(o);
                if (!sameEmr && _rng.NextDouble() < 0.35)
                {
                    // The lab writes the second reading in its own units too.
                    ConvertUnits(o, trapTags);
                }
            });
        }
    }

    private void EmitReport(PersonContext ctx, DiagnosticReport rep)
    {
        var emr = EmrOfRecord(ctx, rep.Encounter, ClinicalTime(rep));
        Emit(ctx, emr, rep, rep.Id, null, ["original"], (d, _) => d.Identifier.Clear());
        if (rep.Category.SelectMany(c => c.Coding).Any(c => c.Code is "LAB" or "laboratory") && _rng.NextDouble() < 0.8)
        {
            var tags = new List<string> { "lab-copy" };
            Emit(ctx, ctx.Lab, rep, rep.Id, null, tags, (d, _) =>
            {
                d.Identifier.Clear();
                VaryCodes([d.Code], tags);
                if (_rng.NextDouble() < 0.3)
                {
                    d.Effective = new FhirDateTime(OtherZone(((FhirDateTime)d.Effective).Value, tags));
                }
            });
        }
    }

    private void EmitCondition(PersonContext ctx, Condition c)
    {
        var onset = ClinicalTime(c);
        var emr = EmrOfRecord(ctx, c.Encounter, onset);
        Emit(ctx, emr, c, c.Id, null, ["original"]);

        // A double entry on the problem list: the same content under a new id.
        if (_rng.NextDouble() < 0.04)
        {
            Emit(ctx, emr, c, c.Id, null, ["double-entry"]);
        }

        // Every later primary care practice re-records the problem list; sometimes a hospital or specialist.
        var copiers = PrimaryCareAfter(ctx, onset, emr).Where(_ => _rng.NextDouble() < 0.9).ToList();
        if (_rng.NextDouble() < 0.25)
        {
            copiers.Add(ctx.Hospitals[_rng.Next(ctx.Hospitals.Count)]);
        }

        if (_rng.NextDouble() < 0.15)
        {
            copiers.Add(ctx.Specialists[_rng.Next(ctx.Specialists.Count)]);
        }

        foreach (var copier in copiers.Distinct().Where(x => x != emr))
        {
            var tags = new List<string> { "list-copy" };
            Emit(ctx, copier, c, c.Id, null, tags, (x, _) =>
            {
                x.Encounter = null;
                x.Identifier.Clear();
                VaryCodes([x.Code], tags);
                if (Icd10.TryGetValue(c.Code.Coding.FirstOrDefault()?.Code ?? string.Empty, out var icd))
                {
                    var roll = _rng.NextDouble();
                    if (roll < 0.25)
                    {
                        x.Code.Coding.Add(new Coding("http://hl7.org/fhir/sid/icd-10-cm", icd.Code, icd.Display));
                        tags.Add("icd10-beside");
                    }
                }

                if (x.Onset is FhirDateTime fdt)
                {
                    var r = _rng.NextDouble();
                    if (r < 0.3)
                    {
                        x.Onset = new FhirDateTime(fdt.Value[..10]);
                        tags.Add("date-only");
                    }
                    else if (r < 0.5)
                    {
                        x.Onset = new FhirDateTime(OtherZone(fdt.Value, tags));
                    }
                }

                if (_rng.NextDouble() < 0.3)
                {
                    x.RecordedDate = null;
                }

                if (x.Abatement is not null && _rng.NextDouble() < 0.3)
                {
                    // A stale list: still active in this EMR.
                    x.Abatement = null;
                    x.ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active");
                    tags.Add("stale-status");
                }
            });
        }
    }

    private void EmitAllergy(PersonContext ctx, AllergyIntolerance a)
    {
        var t = ClinicalTime(a);
        var emr = EmrOfRecord(ctx, null, t);
        Emit(ctx, emr, a, a.Id, null, ["original"]);
        var copiers = PrimaryCareAfter(ctx, t, emr).Concat(ctx.Hospitals.Where(_ => _rng.NextDouble() < 0.5)).Distinct().Where(x => x != emr);
        foreach (var copier in copiers)
        {
            var tags = new List<string> { "list-copy" };
            Emit(ctx, copier, a, a.Id, null, tags, (x, _) =>
            {
                x.Identifier.Clear();
                VaryCodes([x.Code], tags);
                if (_rng.NextDouble() < 0.4)
                {
                    x.RecordedDate = null;
                    tags.Add("no-recorded-date");
                }

                if (_rng.NextDouble() < 0.3)
                {
                    x.Criticality = null;
                }
            });
        }
    }

    private void EmitMedication(PersonContext ctx, MedicationRequest m)
    {
        var t = ClinicalTime(m);
        var emr = EmrOfRecord(ctx, m.Encounter, t);
        Emit(ctx, emr, m, m.Id, null, ["original"], (x, _) => x.Requester = null);

        if (_rng.NextDouble() < 0.8)
        {
            var tags = new List<string> { "pharmacy-copy" };
            Emit(ctx, ctx.Pharmacy, m, m.Id, null, tags, (x, _) =>
            {
                x.Requester = null;
                x.Encounter = null;
                x.ReasonReference.Clear();
                VaryCodes([(CodeableConcept)x.Medication], tags);
                if (_rng.NextDouble() < 0.4)
                {
                    x.AuthoredOn = x.AuthoredOn?[..10];
                    tags.Add("date-only");
                }
                else if (_rng.NextDouble() < 0.3 && x.AuthoredOn is not null)
                {
                    x.AuthoredOn = OtherZone(x.AuthoredOn, tags);
                }

                if (_rng.NextDouble() < 0.3)
                {
                    x.DosageInstruction.Clear();
                    tags.Add("no-dosage");
                }
            });
        }

        var next = PrimaryCareAfter(ctx, t, emr).FirstOrDefault();
        if (next is not null && _rng.NextDouble() < 0.5)
        {
            var tags = new List<string> { "list-copy" };
            Emit(ctx, next, m, m.Id, null, tags, (x, _) =>
            {
                x.Requester = null;
                x.Encounter = null;
                x.ReasonReference.Clear();
                VaryCodes([(CodeableConcept)x.Medication], tags);
                if (_rng.NextDouble() < 0.5)
                {
                    x.AuthoredOn = x.AuthoredOn?[..10];
                    tags.Add("date-only");
                }
            });
        }
    }

    private void EmitImmunization(PersonContext ctx, Immunization i)
    {
        var t = ClinicalTime(i);
        var emr = EmrOfRecord(ctx, i.Encounter, t);
        Emit(ctx, emr, i, i.Id, null, ["original"]);
        if (ctx.Registry is not null && _rng.NextDouble() < 0.9)
        {
            var registryId = new Identifier("urn:registry:state:imm", "IMM" + _rng.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture));
            var tags = new List<string> { "registry-copy" };
            Emit(ctx, ctx.Registry, i, i.Id, null, tags, (x, _) =>
            {
                x.Encounter = null;
                x.Identifier = [registryId];
                VaryCodes([x.VaccineCode], tags);
                if (_rng.NextDouble() < 0.5 && x.Occurrence is FhirDateTime fdt)
                {
                    x.Occurrence = new FhirDateTime(fdt.Value[..10]);
                    tags.Add("date-only");
                }

                x.PrimarySource = false;
            });

            // The registry sends the same record again under its identifier.
            if (_rng.NextDouble() < 0.08)
            {
                Emit(ctx, ctx.Registry, i, i.Id, null, ["registry-resent-same-identifier"], (x, _) =>
                {
                    x.Encounter = null;
                    x.Identifier = [registryId];
                    x.PrimarySource = false;
                    x.Note.Add(new Annotation { Text = "updated by registry" });
                });
            }
        }

        var later = PrimaryCareAfter(ctx, t, emr).FirstOrDefault();
        if (later is not null && _rng.NextDouble() < 0.4)
        {
            var tags = new List<string> { "pc-history-copy" };
            Emit(ctx, later, i, i.Id, null, tags, (x, _) =>
            {
                x.Encounter = null;
                x.PrimarySource = false;
                VaryCodes([x.VaccineCode], tags);
                if (x.Occurrence is FhirDateTime fdt)
                {
                    x.Occurrence = new FhirDateTime(fdt.Value[..10]);
                    tags.Add("date-only");
                }
            });
        }
    }

    private void EmitProcedure(PersonContext ctx, Procedure p)
    {
        var t = ClinicalTime(p);
        var emr = EmrOfRecord(ctx, p.Encounter, t);
        Emit(ctx, emr, p, p.Id, null, ["original"]);
        var later = PrimaryCareAfter(ctx, t, emr).FirstOrDefault();
        if (later is not null && _rng.NextDouble() < 0.3)
        {
            var tags = new List<string> { "pc-history-copy" };
            Emit(ctx, later, p, p.Id, null, tags, (x, _) =>
            {
                x.Encounter = null;
                x.ReasonReference.Clear();
                VaryCodes([x.Code], tags);
                if (x.Performed is Period period && period.Start is not null && _rng.NextDouble() < 0.5)
                {
                    x.Performed = new FhirDateTime(period.Start);
                    tags.Add("start-only");
                }
                else if (x.Performed is FhirDateTime fdt && _rng.NextDouble() < 0.4)
                {
                    x.Performed = new FhirDateTime(fdt.Value[..10]);
                    tags.Add("date-only");
                }
            });
        }
    }

    // ---------------------------------------------------------------- variations

    private void VaryCodes(IEnumerable<CodeableConcept?> concepts, List<string> tags)
    {
        foreach (var cc in concepts)
        {
            if (cc is null)
            {
                continue;
            }

            var roll = _rng.NextDouble();
            foreach (var coding in cc.Coding)
            {
                if (roll < 0.2 && coding.System is not null && Oids.TryGetValue(coding.System, out var oid))
                {
                    coding.System = oid;
                    tags.Add("system-oid");
                }
            }

            var display = cc.Text ?? cc.Coding.FirstOrDefault()?.Display;
            var d = _rng.NextDouble();
            if (display is not null)
            {
                string? changed = d switch
                {
                    < 0.15 => display.ToUpperInvariant(),
                    < 0.3 => display.Replace(" (disorder)", string.Empty, StringComparison.Ordinal).Replace(" (finding)", string.Empty, StringComparison.Ordinal).Replace(" (procedure)", string.Empty, StringComparison.Ordinal),
                    < 0.4 => null,
                    < 0.5 => display.Replace("Oral Tablet", "Tab", StringComparison.Ordinal).Replace(" MG", "mg", StringComparison.Ordinal).Replace("Injection", "Inj", StringComparison.Ordinal),
                    _ => display,
                };
                if (!string.Equals(changed, display, StringComparison.Ordinal))
                {
                    tags.Add(changed is null ? "display-dropped" : "display-varied");
                    foreach (var coding in cc.Coding)
                    {
                        coding.Display = changed;
                    }

                    cc.Text = changed;
                }
            }

            if (_rng.NextDouble() < 0.15)
            {
                cc.Coding.Add(new Coding("urn:emr:local-codes", "L" + _rng.Next(1000, 9999).ToString(CultureInfo.InvariantCulture), cc.Text));
                tags.Add("local-code-beside");
            }
        }
    }

    private void ConvertUnits(Observation o, List<string> tags)
    {
        if (o.Value is Quantity q)
        {
            ConvertQuantity(q, o.Code.Coding.FirstOrDefault()?.Code, tags);
        }

        foreach (var c in o.Component)
        {
            if (c.Value is Quantity cq)
            {
                ConvertQuantity(cq, c.Code.Coding.FirstOrDefault()?.Code, tags);
            }
        }
    }

    private void ConvertQuantity(Quantity q, string? loinc, List<string> tags)
    {
        if (q.Value is not { } v)
        {
            return;
        }

        (decimal Value, string Unit, string Tag)? converted = q.Code switch
        {
            "mg/dL" when loinc is not null && MolarMass.TryGetValue(loinc, out var mw) && _rng.NextDouble() < 0.3
                => (RoundSig(v * 10m / mw, 3), "mmol/L", "unit-mgdl-to-mmol-same-loinc"),
            "mg/dL" when _rng.NextDouble() < 0.5 => (RoundSig(v / 100m, 3), "g/L", "unit-mgdl-to-gl"),
            "mg/dL" => (RoundSig(v * 10m, 4), "mg/L", "unit-mgdl-to-mgl"),
            "g/dL" => (RoundSig(v * 10m, 3), "g/L", "unit-gdl-to-gl"),
            "mmol/L" => (RoundSig(v * 1000m, 4), "umol/L", "unit-mmol-to-umol"),
            "kg" => (Math.Round(v / 0.45359237m, 1), "[lb_av]", "unit-kg-to-lb"),
            "cm" => (Math.Round(v / 2.54m, 1), "[in_i]", "unit-cm-to-in"),
            "Cel" => (Math.Round((v * 9m / 5m) + 32m, 1), "[degF]", "unit-cel-to-degf"),
            "mm[Hg]" => null,
            _ => null,
        };
        if (converted is { } c)
        {
            q.Value = c.Value;
            q.Code = c.Unit;
            q.Unit = c.Unit == "umol/L" ? "µmol/L" : c.Unit;
            q.System = "http://unitsofmeasure.org";
            tags.Add(c.Tag);
        }
    }

    /// <summary>Rounds to significant digits and keeps the scale that precision implies (0.0107, 24.4, 1.20).</summary>
    public static decimal RoundSig(decimal value, int digits)
    {
        if (value == 0)
        {
            return 0;
        }

        var magnitude = (int)Math.Floor(Math.Log10((double)Math.Abs(value)));
        var decimals = digits - 1 - magnitude;
        if (decimals >= 0)
        {
            return Math.Round(value, Math.Min(decimals, 20), MidpointRounding.AwayFromZero);
        }

        var factor = (decimal)Math.Pow(10, -decimals);
        return Math.Round(value / factor, 0, MidpointRounding.AwayFromZero) * factor;
    }

    private void OtherValue(Observation o)
    {
        // A coded result cannot be made "a bit different": it keeps its value (time and issued still differ).
        if (o.Value is Quantity q)
        {
            q.Value = Different(q.Value);
        }

        foreach (var c in o.Component)
        {
            if (c.Value is Quantity cq)
            {
                cq.Value = Different(cq.Value);
            }
        }
    }

    /// <summary>Another reading: 3-15 % up or down at the same precision, at least two units of the last digit away.</summary>
    private decimal? Different(decimal? value)
    {
        if (value is not { } v)
        {
            return null;
        }

        var scale = v.Scale;
        var unit = 1m / (decimal)Math.Pow(10, scale);
        var delta = Math.Abs(v) * (decimal)(0.03 + (_rng.NextDouble() * 0.12));
        delta = Math.Max(Math.Round(delta, scale), 2 * unit);
        var result = _rng.NextDouble() < 0.5 && v - delta >= 0 ? v - delta : v + delta;
        return Math.Round(result, scale);
    }

    // ---------------------------------------------------------------- times

    private static DateTimeOffset? ParseTime(string? value) =>
        value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string Format(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture).Replace("Z", "+00:00", StringComparison.Ordinal);

    private static string Shift(string value, TimeSpan by) => ParseTime(value) is { } t ? Format(t + by) : value;

    private string OtherZone(string value, List<string> tags)
    {
        if (value.Length <= 10 || ParseTime(value) is not { } t)
        {
            return value;
        }

        var zone = Zones[_rng.Next(Zones.Length)];
        if (zone == t.Offset)
        {
            return value;
        }

        tags.Add("other-zone");
        return Format(t.ToOffset(zone));
    }

    /// <summary>The record's clinical time (for placing it in an EMR's period).</summary>
    public static DateTimeOffset? ClinicalTime(Resource r) => r switch
    {
        Condition c => ParseTime((c.Onset as FhirDateTime)?.Value ?? c.RecordedDate),
        AllergyIntolerance a => ParseTime(a.RecordedDate ?? (a.Onset as FhirDateTime)?.Value),
        MedicationRequest m => ParseTime(m.AuthoredOn),
        Immunization i => ParseTime((i.Occurrence as FhirDateTime)?.Value),
        Observation o => ParseTime((o.Effective as FhirDateTime)?.Value) ?? o.Issued,
        DiagnosticReport d => ParseTime((d.Effective as FhirDateTime)?.Value) ?? d.Issued,
        Procedure p => ParseTime((p.Performed as FhirDateTime)?.Value ?? (p.Performed as Period)?.Start),
        Encounter e => ParseTime(e.Period?.Start),
        _ => null,
    };
}
