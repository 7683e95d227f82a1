using System.Globalization;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Security;
using HealthRecord.Sdk.Terminology;
using HealthRecord.Sdk.Views;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Export.Ips;

/// <summary>Puts one IPS document together from a released EHR: sections, entries, supporting resources, narrative.</summary>
internal sealed class IpsAssembler(ReleasedEhr ehr, IpsRequest request, DateTimeOffset date)
{
    private const string DataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
    private const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";

    // LOINC codes of pregnancy status, outcomes and expected delivery (the IPS pregnancy section's value sets).
    private static readonly HashSet<string> PregnancyCodes =
    [
        "82810-3", "11636-8", "11637-6", "11638-4", "11639-2", "11640-0", "11612-9", "11613-7", "11614-5", "33065-4",
        "11778-8", "11779-6", "11780-4", "90767-5",
    ];

    private static readonly HashSet<string> SupportingTypes = ["Practitioner", "PractitionerRole", "Organization", "Medication", "Device", "Location", "Substance"];

    private readonly HashSet<Resource> _used = new(ReferenceEqualityComparer.Instance);
    private readonly EhrCurrentView _view = EhrCurrentView.Of(ehr.Aggregate, ehr.Aggregate.AsOf);

    public Bundle Assemble()
    {
        var personId = ehr.Aggregate.PersonId;
        var patient = ehr.Aggregate.Patient;
        var patientUrl = ehr.FullUrlOf[patient];
        var records = ehr.Aggregate.Records.Select(r => r.Resource).ToList();

        // Sections, in document order; each resource goes in one section at most.
        var built = new List<(IpsSectionDefinition Definition, List<Resource> Entries, List<IpsNarrative.Row> Rows, string? Intro)>();
        var generated = new List<(string FullUrl, Resource Resource)>();
        foreach (var def in IpsSections.All)
        {
            var (entries, rows) = Select(def.Code, records);
            string? intro = null;
            if (entries.Count == 0 && def.Required)
            {
                var kind = KindOf(def.Code);
                if (records.Any(r => kind.Contains(r.TypeName)))
                {
                    // The EHR has records of the kind, none current: the IPS "no known …" statement.
                    var (noKnown, text) = NoKnown(def.Code, personId, patientUrl);
                    var url = EhrIds.FullUrl(noKnown.Id!);
                    generated.Add((url, noKnown));
                    ehr.MarkNoKnown(url);
                    entries.Add(noKnown);
                    rows.Add(new IpsNarrative.Row(text, "active", "", "No current record in the EHR", ""));
                    intro = text + ".";
                }
            }

            if (entries.Count == 0 && !def.Required)
            {
                continue;
            }

            built.Add((def, entries, rows, intro));
        }

        // Supporting resources: what entries refer to and the document can carry (practitioners, organisations,
        // medications, devices, locations); every other reference to outside the document is removed.
        var included = new Dictionary<Resource, string>(ReferenceEqualityComparer.Instance) { [patient] = patientUrl };
        foreach (var (url, r) in generated)
        {
            included[r] = url;
        }

        foreach (var r in built.SelectMany(b => b.Entries).Where(r => !included.ContainsKey(r)))
        {
            included[r] = ehr.FullUrlOf[r];
        }

        var custodian = request.Custodian is { } c ? Copy(c, "custodian") : null;
        var author = request.Author is { } a ? Copy(a, "author") : AuthorDevice();
        var attester = request.Attester is { } at ? Copy(at, "attester") : null;
        var extra = new List<(string FullUrl, Resource Resource)>();
        foreach (var r in new[] { author, custodian, attester }.OfType<Resource>())
        {
            var url = EhrIds.FullUrl(r.Id!);
            if (!included.Values.Contains(url, StringComparer.Ordinal) && extra.TrueForAll(x => x.FullUrl != url))
            {
                extra.Add((url, r));
            }
        }

        var supporting = new List<Resource>();
        var queue = new Queue<Resource>(included.Keys);
        while (queue.Count > 0)
        {
            var r = queue.Dequeue();
            foreach (var (_, reference) in ResourceReferences.Enumerate(r))
            {
                if (reference.Reference is { } text && ehr.Resolve(text) is { } target && !included.ContainsKey(target) && SupportingTypes.Contains(target.TypeName))
                {
                    included[target] = ehr.FullUrlOf[target];
                    supporting.Add(target);
                    queue.Enqueue(target);
                }
            }
        }

        // The custodian defaults to the patient's managing organisation when the document holds it.
        ResourceReference? custodianRef = custodian is not null ? Ref(EhrIds.FullUrl(custodian.Id!), "Organization")
            : patient.ManagingOrganization?.Reference is { } mo && ehr.Resolve(mo) is Organization org && included.TryGetValue(org, out var orgUrl) ? Ref(orgUrl, "Organization")
            : null;

        // The IPS wants every result, vital sign and social-history observation dated: say so when the source did not.
        foreach (var o in built.SelectMany(b => b.Entries).OfType<Observation>().Where(o => o.Effective is null && o.Issued is null))
        {
            o.Effective = new FhirDateTime { Extension = [new Extension(DataAbsentReason, new Code("unknown"))] };
        }

        var urls = new HashSet<string>(included.Values.Concat(extra.Select(x => x.FullUrl)), StringComparer.Ordinal);
        foreach (var r in included.Keys)
        {
            ReferenceCleaner.RemoveUnresolved(r, urls, ehr);
        }

        // Provenance of each entry, when asked: only what targets the document, nothing else.
        var provenance = new List<Provenance>();
        if (request.IncludeProvenance)
        {
            foreach (var p in ehr.Aggregate.Provenance)
            {
                p.Target.RemoveAll(t => t.Reference is null || !urls.Contains(Canonical(t.Reference, included)));
                foreach (var t in p.Target)
                {
                    t.Reference = Canonical(t.Reference!, included);
                }

                if (p.Target.Count > 0)
                {
                    ReferenceCleaner.RemoveUnresolved(p, urls, ehr);
                    provenance.Add(p);
                }
            }
        }

        // Confidentiality: the highest label of what the document holds.
        var contents = included.Keys.Concat(extra.Select(x => x.Resource)).Concat(provenance).ToList();
        var rank = contents.SelectMany(r => r.Meta?.Security ?? []).Where(SecurityLabelSystems.IsConfidentiality)
            .Select(x => SecurityLabelSystems.ConfidentialityRank(x.Code)).DefaultIfEmpty(SecurityLabelSystems.ConfidentialityRank("N")).Max();
        var confidentiality = SecurityLabelSystems.ConfidentialityCode(rank);

        var composition = Composition(built, personId, patientUrl, author, custodianRef, attester, confidentiality, included);
        var compositionUrl = EhrIds.FullUrl(composition.Id!);
        var bundle = new Bundle
        {
            Id = EhrIds.From("ips-bundle", composition.Id!),
            Type = Bundle.BundleType.Document,
            Timestamp = date,
            Identifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + EhrIds.From("ips-bundle-identifier", composition.Id!)),
            Meta = new Meta { Security = [SecurityLabelSystems.ConfidentialityCoding(confidentiality)] },
        };
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = compositionUrl, Resource = composition });
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = patientUrl, Resource = patient });
        var seen = new HashSet<string>(StringComparer.Ordinal) { compositionUrl, patientUrl };
        foreach (var r in built.SelectMany(b => b.Entries).Concat(supporting))
        {
            var url = included[r];
            if (seen.Add(url))
            {
                bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = url, Resource = r });
            }
        }

        foreach (var (url, r) in extra.OrderBy(x => x.Resource.TypeName, StringComparer.Ordinal).ThenBy(x => x.FullUrl, StringComparer.Ordinal))
        {
            if (seen.Add(url))
            {
                bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = url, Resource = r });
            }
        }

        foreach (var p in provenance)
        {
            var url = ehr.FullUrlOf[p];
            if (seen.Add(url))
            {
                bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = url, Resource = p });
            }
        }

        return bundle;
    }

    private string Canonical(string reference, Dictionary<Resource, string> included) =>
        ehr.Resolve(reference) is { } r && included.TryGetValue(r, out var url) ? url : reference;

    private static T Copy<T>(T resource, string role)
        where T : Resource
    {
        var copy = (T)resource.DeepCopy();
        copy.Id ??= EhrIds.From("ips", role, FhirJson.Serialize(resource));
        return copy;
    }

    private static Device AuthorDevice() => new()
    {
        Id = EhrIds.From("ips", "author", "HealthRecord.Sdk"),
        DeviceName = [new Device.DeviceNameComponent { Name = "HealthRecord.Sdk", Type = DeviceNameType.ManufacturerName }],
        Type = new CodeableConcept { Text = "Software that assembled this patient summary from the patient's records" },
        Text = IpsNarrative.Paragraphs(["HealthRecord.Sdk: software that assembled this patient summary from the patient's records."]),
    };

    private static ResourceReference Ref(string url, string type) => new(url) { Type = type };

    private Composition Composition(
        List<(IpsSectionDefinition Definition, List<Resource> Entries, List<IpsNarrative.Row> Rows, string? Intro)> built,
        string personId, string patientUrl, Resource author, ResourceReference? custodian, Resource? attester, string confidentiality,
        Dictionary<Resource, string> included)
    {
        var id = EhrIds.From(["ips", personId, date.ToString("O", CultureInfo.InvariantCulture),
            string.Join(",", built.SelectMany(b => b.Entries).Select(r => included[r]).Order(StringComparer.Ordinal)),
            request.Recipient?.ToString() ?? "", string.Join(",", request.PurposeOfUse.Select(p => p.Code))]);
        var composition = new Composition
        {
            Id = id,
            Status = CompositionStatus.Final,
            Type = new CodeableConcept(IpsSections.Loinc, IpsSections.DocumentType, "Patient summary Document"),
            Subject = Ref(patientUrl, "Patient"),
            DateElement = new FhirDateTime(date),
            Author = [Ref(EhrIds.FullUrl(author.Id!), author.TypeName)],
            Title = "International Patient Summary",
            Confidentiality = Parse(confidentiality),
            Custodian = custodian,
        };
        if (attester is not null)
        {
            composition.Attester.Add(new Composition.AttesterComponent
            {
                Mode = Hl7.Fhir.Model.Composition.CompositionAttestationMode.Legal,
                TimeElement = new FhirDateTime(date),
                Party = Ref(EhrIds.FullUrl(attester.Id!), attester.TypeName),
            });
        }

        foreach (var (def, entries, rows, intro) in built)
        {
            var section = new Composition.SectionComponent
            {
                Title = def.Title,
                Code = new CodeableConcept(IpsSections.Loinc, def.Code, def.LoincDisplay),
            };
            if (entries.Count == 0)
            {
                section.EmptyReason = new CodeableConcept(IpsSections.ListEmptyReasonSystem, "unavailable", "Unavailable");
                section.Text = IpsNarrative.Paragraphs([$"No information about {def.Title.ToLowerInvariant()}."]);
            }
            else
            {
                section.Entry.AddRange(entries.Select(r => Ref(included[r], r.TypeName)));
                section.Text = IpsNarrative.Table(intro, rows);
            }

            composition.Section.Add(section);
        }

        var p = ehr.Aggregate.Patient;
        var name = p.Name.FirstOrDefault() is { } n ? (n.Text ?? string.Join(" ", n.Given.Concat([n.Family]).Where(s => !string.IsNullOrWhiteSpace(s)))) : "(no name)";
        var about = $"Patient: {name}; born {p.BirthDate ?? "unknown"}; gender {p.Gender?.ToString().ToLowerInvariant() ?? "unknown"}.";
        var sources = ehr.Aggregate.Sources.Count == 0 ? "Built from the patient's EHR." : $"Built from the patient's EHR, from {ehr.Aggregate.Sources.Count} sources: {string.Join(", ", ehr.Aggregate.Sources)}.";
        composition.Text = IpsNarrative.Paragraphs(
            [
                "International Patient Summary",
                about,
                sources,
                $"Date: {date.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC. Confidentiality: {SecurityLabelSystems.ConfidentialityCoding(confidentiality).Display}.",
            ],
            built.Select(b => b.Entries.Count == 0 ? $"{b.Definition.Title}: no information"
                : $"{b.Definition.Title}: {b.Entries.Count} {(b.Entries.Count == 1 ? "entry" : "entries")}"));
        return composition;
    }

    private static Hl7.Fhir.Model.Composition.V3ConfidentialityClassification? Parse(string code) => code switch
    {
        "U" => Hl7.Fhir.Model.Composition.V3ConfidentialityClassification.U,
        "L" => Hl7.Fhir.Model.Composition.V3ConfidentialityClassification.L,
        "M" => Hl7.Fhir.Model.Composition.V3ConfidentialityClassification.M,
        "N" => Hl7.Fhir.Model.Composition.V3ConfidentialityClassification.N,
        "R" => Hl7.Fhir.Model.Composition.V3ConfidentialityClassification.R,
        _ => Hl7.Fhir.Model.Composition.V3ConfidentialityClassification.V,
    };

    private static HashSet<string> KindOf(string section) => section switch
    {
        IpsSections.Problems => ["Condition"],
        IpsSections.Allergies => ["AllergyIntolerance"],
        _ => ["MedicationRequest", "MedicationStatement"],
    };

    private static (DomainResource Resource, string Text) NoKnown(string section, string personId, string patientUrl)
    {
        var subject = Ref(patientUrl, "Patient");
        switch (section)
        {
            case IpsSections.Problems:
                return (new Condition
                {
                    Id = EhrIds.From("ips", personId, "no-known-problems"),
                    ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                    Code = new CodeableConcept(IpsSections.AbsentUnknownSystem, "no-known-problems", "No known problems"),
                    Subject = subject,
                    Text = IpsNarrative.Paragraphs(["No known problems"]),
                }, "No known problems");
            case IpsSections.Allergies:
                return (new AllergyIntolerance
                {
                    Id = EhrIds.From("ips", personId, "no-known-allergies"),
                    ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
                    Code = new CodeableConcept(IpsSections.AbsentUnknownSystem, "no-known-allergies", "No known allergies"),
                    Patient = subject,
                    Text = IpsNarrative.Paragraphs(["No known allergies"]),
                }, "No known allergies");
            default:
                return (new MedicationStatement
                {
                    Id = EhrIds.From("ips", personId, "no-known-medications"),
                    Status = MedicationStatement.MedicationStatusCodes.Active,
                    Medication = new CodeableConcept(IpsSections.AbsentUnknownSystem, "no-known-medications", "No known medications"),
                    Subject = subject,
                    Text = IpsNarrative.Paragraphs(["No known medications"]),
                }, "No known medications");
        }
    }

    private (List<Resource> Entries, List<IpsNarrative.Row> Rows) Select(string section, List<Resource> records) => section switch
    {
        IpsSections.Problems => FromView(_view.Problems, p => ((CurrentProblem)p).Onset),
        IpsSections.Allergies => FromView(_view.Allergies, a => ((CurrentAllergy)a).Onset, a => ((CurrentAllergy)a).Criticality is { } c ? $"criticality {c}" : null),
        IpsSections.Medications => FromView(_view.Medications, m => ((CurrentMedication)m).Asserted, m => ((CurrentMedication)m).Intent is { } i ? $"intent {i}" : "statement"),
        IpsSections.Immunizations => Each(records.OfType<Immunization>().Where(i => i.Status == Immunization.ImmunizationStatusCodes.Completed), i => i.VaccineCode, i => i.Occurrence, i => Literal(i.StatusElement), _ => null),
        IpsSections.Results => LatestPerCode(records.OfType<Observation>().Where(o => Usable(o) && !IsPregnancy(o) && HasCategory(o, "laboratory", "imaging"))),
        IpsSections.Procedures => Collapsed(records.OfType<Procedure>().Where(p => p.Status is not (EventStatus.EnteredInError or EventStatus.NotDone or EventStatus.Preparation)), p => p.Code, p => p.Performed, p => Literal(p.StatusElement)),
        IpsSections.Devices => Devices(records),
        IpsSections.VitalSigns => LatestPerCode(records.OfType<Observation>().Where(o => Usable(o) && !IsPregnancy(o) && HasCategory(o, "vital-signs"))),
        IpsSections.PastIllness => Collapsed(records.OfType<Condition>().Where(PastIllness), c => c.Code, c => c.Abatement ?? c.Onset, c => CurrentViewStatus(c.ClinicalStatus)),
        IpsSections.FunctionalStatus => Functional(records),
        IpsSections.PlanOfCare => Each(records.OfType<CarePlan>().Where(p => p.Status is RequestStatus.Active or RequestStatus.OnHold), p => p.Category.FirstOrDefault() ?? (p.Title is null ? null : new CodeableConcept { Text = p.Title }), p => p.Period, p => Literal(p.StatusElement), p => p.Description),
        IpsSections.SocialHistory => LatestPerCode(records.OfType<Observation>().Where(o => Usable(o) && !IsPregnancy(o) && HasCategory(o, "social-history"))),
        IpsSections.Pregnancy => LatestPerCode(records.OfType<Observation>().Where(o => Usable(o) && IsPregnancy(o))),
        IpsSections.AdvanceDirectives => Each(records.OfType<Hl7.Fhir.Model.Consent>().Where(IsAdvanceDirective), c => c.Category.FirstOrDefault(), c => c.DateTimeElement, c => Literal(c.StatusElement), _ => null),
        _ => ([], []),
    };

    private (List<Resource>, List<IpsNarrative.Row>) FromView(IEnumerable<CurrentViewItem> items, Func<CurrentViewItem, DateTimeOffset?> when, Func<CurrentViewItem, string?>? details = null)
    {
        var entries = new List<Resource>();
        var rows = new List<IpsNarrative.Row>();
        foreach (var item in items)
        {
            if (!ehr.ByReference.TryGetValue(item.Reference, out var resource) || _used.Contains(resource))
            {
                continue;
            }

            _used.Add(resource);
            foreach (var other in item.Collapsed)
            {
                if (ehr.ByReference.TryGetValue(other, out var o))
                {
                    _used.Add(o);
                }
            }

            var notes = new List<string>();
            if (details?.Invoke(item) is { } d)
            {
                notes.Add(d);
            }

            if (item.Collapsed.Count > 0)
            {
                notes.Add($"also recorded as {item.Collapsed.Count} other {(item.Collapsed.Count == 1 ? "record" : "records")} of the same concept");
            }

            notes.AddRange(ConflictNotes(item.Reference));
            entries.Add(resource);
            rows.Add(new IpsNarrative.Row(item.Display, item.Status ?? "", Day(when(item)), string.Join("; ", notes), SourceNames(item.Sources)));
        }

        return (entries, rows);
    }

    private (List<Resource>, List<IpsNarrative.Row>) Each<T>(IEnumerable<T> items, Func<T, CodeableConcept?> concept, Func<T, DataType?> when, Func<T, string?> status, Func<T, string?> details)
        where T : Resource
    {
        var entries = new List<Resource>();
        var rows = new List<IpsNarrative.Row>();
        foreach (var r in items.OrderByDescending(i => ClinicalDates.FromElement(when(i))).ThenBy(i => i.Id, StringComparer.Ordinal))
        {
            if (!_used.Add(r))
            {
                continue;
            }

            entries.Add(r);
            rows.Add(Row(r, concept(r), ClinicalDates.FromElement(when(r)), status(r), details(r)));
        }

        return (entries, rows);
    }

    /// <summary>One entry per concept (the latest record), the others counted in the narrative.</summary>
    private (List<Resource>, List<IpsNarrative.Row>) Collapsed<T>(IEnumerable<T> items, Func<T, CodeableConcept?> concept, Func<T, DataType?> when, Func<T, string?> status)
        where T : Resource
    {
        var entries = new List<Resource>();
        var rows = new List<IpsNarrative.Row>();
        var groups = items.Where(i => !_used.Contains(i))
            .GroupBy(i => ConceptKey(concept(i), i), StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(i => ClinicalDates.FromElement(when(i))).ThenBy(i => i.Id, StringComparer.Ordinal).ToList())
            .OrderByDescending(g => ClinicalDates.FromElement(when(g[0]))).ThenBy(g => g[0].Id, StringComparer.Ordinal);
        foreach (var g in groups)
        {
            var r = g[0];
            foreach (var x in g)
            {
                _used.Add(x);
            }

            entries.Add(r);
            rows.Add(Row(r, concept(r), ClinicalDates.FromElement(when(r)), status(r), g.Count > 1 ? $"recorded {g.Count} times; the latest is shown" : null));
        }

        return (entries, rows);
    }

    private (List<Resource>, List<IpsNarrative.Row>) LatestPerCode(IEnumerable<Observation> observations)
    {
        var entries = new List<Resource>();
        var rows = new List<IpsNarrative.Row>();
        var groups = observations.Where(o => !_used.Contains(o))
            .GroupBy(o => ConceptKey(o.Code, o), StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(o => ClinicalDates.FromElement(o.Effective) ?? ClinicalDates.FromElement(o.IssuedElement)).ThenBy(o => o.Id, StringComparer.Ordinal).ToList())
            .OrderBy(g => Display(g[0].Code), StringComparer.OrdinalIgnoreCase).ThenBy(g => g[0].Id, StringComparer.Ordinal);
        foreach (var g in groups)
        {
            var o = g[0];
            foreach (var x in g)
            {
                _used.Add(x);
            }

            entries.Add(o);
            var value = ValueText(o);
            var details = g.Count > 1 ? $"{value} (latest of {g.Count})" : value;
            rows.Add(Row(o, o.Code, ClinicalDates.FromElement(o.Effective) ?? ClinicalDates.FromElement(o.IssuedElement), Literal(o.StatusElement), details));
        }

        return (entries, rows);
    }

    private (List<Resource>, List<IpsNarrative.Row>) Functional(List<Resource> records)
    {
        var (entries, rows) = Each(records.OfType<ClinicalImpression>().Where(c => c.Status == ClinicalImpression.ClinicalImpressionStatus.Completed), c => c.Code, c => c.Effective ?? c.DateElement, c => Literal(c.StatusElement), c => c.Summary);
        var (more, moreRows) = LatestPerCode(records.OfType<Observation>().Where(o => Usable(o) && HasCategory(o, "functional-status")));
        entries.AddRange(more);
        rows.AddRange(moreRows);
        return (entries, rows);
    }

    private (List<Resource>, List<IpsNarrative.Row>) Devices(List<Resource> records)
    {
        var statements = records.OfType<DeviceUseStatement>().Where(s => s.Status != DeviceUseStatement.DeviceUseStatementStatus.EnteredInError).ToList();
        var inStatements = statements.Select(s => s.Device?.Reference).OfType<string>().Select(ehr.Resolve).OfType<Resource>().ToHashSet(ReferenceEqualityComparer.Instance);
        var (entries, rows) = Each(statements, s => s.Device?.Reference is { } d && ehr.Resolve(d) is Device dev ? dev.Type : null, s => s.Timing ?? s.RecordedOnElement, s => Literal(s.StatusElement), _ => null);
        var (more, moreRows) = Each(
            records.OfType<Device>().Where(d => !inStatements.Contains(d) && d.Patient is not null && d.Status is not Device.FHIRDeviceStatus.EnteredInError),
            d => d.Type ?? (d.DeviceName.FirstOrDefault()?.Name is { } n ? new CodeableConcept { Text = n } : null),
            d => d.ManufactureDateElement,
            d => Literal(d.StatusElement),
            d => d.UdiCarrier.FirstOrDefault()?.CarrierHRF is { } udi ? "UDI " + udi : null);
        entries.AddRange(more);
        rows.AddRange(moreRows);
        return (entries, rows);
    }

    private bool PastIllness(Condition c)
    {
        if (_used.Contains(c))
        {
            return false;
        }

        var verification = c.VerificationStatus?.Coding.FirstOrDefault()?.Code;
        return verification is not ("refuted" or "entered-in-error");
    }

    private static bool IsAdvanceDirective(Hl7.Fhir.Model.Consent c) =>
        c.Scope?.Coding.Any(x => x.Code == "adr") == true || c.Category.Any(cc => cc.Coding.Any(x => x.Code is "acd" or IpsSections.AdvanceDirectives));

    private static bool Usable(Observation o) => o.Status is not (ObservationStatus.EnteredInError or ObservationStatus.Cancelled);

    private static bool IsPregnancy(Observation o) => o.Code?.Coding.Any(c => c.System == IpsSections.Loinc && c.Code is not null && PregnancyCodes.Contains(c.Code)) == true;

    private static bool HasCategory(Observation o, params string[] codes) =>
        o.Category.Any(cc => cc.Coding.Any(c => c.Code is not null && codes.Contains(c.Code) && (c.System is null || c.System == ObservationCategory || !c.System.Contains("observation-category", StringComparison.Ordinal))));

    private static string CurrentViewStatus(CodeableConcept? status) => status?.Coding.FirstOrDefault()?.Code ?? "";

    private IpsNarrative.Row Row(Resource r, CodeableConcept? concept, DateTimeOffset? when, string? status, string? details)
    {
        var reference = $"{r.TypeName}/{r.Id}";
        var notes = new List<string>();
        if (!string.IsNullOrEmpty(details))
        {
            notes.Add(details);
        }

        notes.AddRange(ConflictNotes(reference));
        var sources = ehr.Aggregate.Records.FirstOrDefault(x => ReferenceEquals(x.Resource, r))?.Sources ?? [];
        return new IpsNarrative.Row(Display(concept), status ?? "", Day(when), string.Join("; ", notes), SourceNames(sources));
    }

    private IEnumerable<string> ConflictNotes(string reference) =>
        ehr.Conflicts.TryGetValue(reference, out var list) ? list.Select(c => "sources disagree on " + c) : [];

    private static string SourceNames(IEnumerable<SourceRecordRef> sources) =>
        string.Join(", ", sources.Select(s => s.SourceName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private static string Day(DateTimeOffset? when) => when?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";

    private static string? Literal(PrimitiveType? element) => element?.JsonValue as string;

    private static string ConceptKey(CodeableConcept? concept, Resource r)
    {
        var keys = CodeSystems.KeysOf(concept);
        if (keys.Count > 0)
        {
            return keys.Order(StringComparer.Ordinal).First();
        }

        return ClinicalText.Normalize(concept?.Text ?? concept?.Coding.FirstOrDefault()?.Display) is { } text ? "text:" + text : "record:" + r.TypeName + "/" + r.Id;
    }

    internal static string Display(CodeableConcept? concept)
    {
        if (!string.IsNullOrWhiteSpace(concept?.Text))
        {
            return concept.Text.Trim();
        }

        var coding = concept?.Coding.FirstOrDefault(c => !string.IsNullOrWhiteSpace(c.Display)) ?? concept?.Coding.FirstOrDefault(c => !string.IsNullOrWhiteSpace(c.Code));
        return coding?.Display?.Trim() is { Length: > 0 } d ? d : coding?.Code?.Trim() is { Length: > 0 } code ? code : "(unnamed)";
    }

    private static string ValueText(Observation o)
    {
        var value = ValueOf(o.Value);
        if (o.Component.Count > 0)
        {
            var parts = o.Component.Select(c => $"{Display(c.Code)} {ValueOf(c.Value)}".Trim());
            value = string.Join("; ", new[] { value }.Concat(parts).Where(s => !string.IsNullOrEmpty(s)));
        }

        return value;
    }

    private static string ValueOf(DataType? value) => value switch
    {
        Quantity q => $"{q.Value?.ToString(CultureInfo.InvariantCulture)} {q.Unit ?? q.Code}".Trim(),
        CodeableConcept cc => Display(cc),
        FhirString s => s.Value ?? "",
        FhirBoolean b => b.Value is true ? "yes" : b.Value is false ? "no" : "",
        Integer i => i.Value?.ToString(CultureInfo.InvariantCulture) ?? "",
        Hl7.Fhir.Model.Range r => $"{ValueOf(r.Low)}–{ValueOf(r.High)}",
        Ratio r => $"{ValueOf(r.Numerator)}/{ValueOf(r.Denominator)}",
        FhirDateTime dt => dt.Value ?? "",
        Period p => $"{p.Start}–{p.End}",
        null => "",
        _ => value.TypeName,
    };
}
