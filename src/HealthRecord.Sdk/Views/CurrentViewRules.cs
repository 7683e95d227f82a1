using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Views;

/// <summary>The rules of <see cref="EhrCurrentView"/>, one method per list (documented in docs/current-view.md).</summary>
internal sealed class CurrentViewRules
{
    internal const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    internal const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    internal const string AllergyClinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    internal const string AllergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

    // FHIR R4 value sets (http://hl7.org/fhir/ValueSet/condition-clinical, condition-ver-status,
    // allergyintolerance-clinical, allergyintolerance-verification): the codes a coding without a system may carry.
    private static readonly HashSet<string> ConditionClinicalCodes = ["active", "recurrence", "relapse", "inactive", "remission", "resolved"];
    private static readonly HashSet<string> ConditionVerificationCodes = ["unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"];
    private static readonly HashSet<string> AllergyClinicalCodes = ["active", "inactive", "resolved"];
    private static readonly HashSet<string> AllergyVerificationCodes = ["unconfirmed", "confirmed", "refuted", "entered-in-error"];

    private static readonly HashSet<string> ActiveConditionStatuses = ["active", "recurrence", "relapse"];
    private static readonly HashSet<string> VoidVerificationStatuses = ["refuted", "entered-in-error"];

    // MedicationRequest.status (http://hl7.org/fhir/ValueSet/medicationrequest-status) and
    // MedicationStatement.status (http://hl7.org/fhir/ValueSet/medication-statement-status): current, ended;
    // every other code (cancelled, draft, entered-in-error, unknown) says nothing about the therapy now.
    private static readonly HashSet<string> CurrentRequestStatuses = ["active", "on-hold"];
    private static readonly HashSet<string> EndedRequestStatuses = ["stopped", "completed"];
    private static readonly HashSet<string> CurrentStatementStatuses = ["active", "intended", "on-hold"];
    private static readonly HashSet<string> EndedStatementStatuses = ["completed", "stopped", "not-taken"];

    // MedicationRequest.intent (http://hl7.org/fhir/ValueSet/medicationrequest-intent): a suggestion is no treatment.
    private static readonly HashSet<string> NonTreatmentIntents = ["proposal", "option"];

    private readonly EhrAggregate _ehr;
    private readonly DateTimeOffset? _asOf;
    private readonly Dictionary<string, EhrRecord> _medications = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Medication> _medicationsByReference = new(StringComparer.Ordinal);
    private readonly ILookup<string, EhrConflict> _conflicts;

    public CurrentViewRules(EhrAggregate ehr, DateTimeOffset? asOf)
    {
        _ehr = ehr;
        _asOf = asOf;
        foreach (var record in ehr.Records)
        {
            if (record.Resource is Medication { Id: { } id })
            {
                _medications[id] = record;
                _medicationsByReference[record.Reference] = (Medication)record.Resource;
            }
        }

        _conflicts = ehr.Conflicts.ToLookup(c => c.EhrResource, StringComparer.Ordinal);
    }

    public IReadOnlyList<CurrentProblem> Problems()
    {
        var candidates = new List<Candidate>();
        foreach (var record in _ehr.Records)
        {
            if (record.Resource is not Condition c)
            {
                continue;
            }

            var verification = StatusCode(c.VerificationStatus, ConditionVerification, ConditionVerificationCodes);
            var clinical = StatusCode(c.ClinicalStatus, ConditionClinical, ConditionClinicalCodes);
            if ((verification is not null && VoidVerificationStatuses.Contains(verification))
                || (clinical is not null && !ActiveConditionStatuses.Contains(clinical))
                || Ended(c.Abatement))
            {
                continue;
            }

            candidates.Add(new Candidate(record, c.Code, ClinicalDates.Of(c), true, null));
        }

        return Order(Collapse(candidates).Select(group =>
        {
            var c = (Condition)group.Chosen.Record.Resource;
            return Fill(new CurrentProblem
            {
                Reference = group.Chosen.Record.Reference,
                Display = DisplayOf(c.Code, null),
                Sources = [],
                Status = StatusCode(c.ClinicalStatus, ConditionClinical, ConditionClinicalCodes),
                VerificationStatus = StatusCode(c.VerificationStatus, ConditionVerification, ConditionVerificationCodes),
                Categories = c.Category.SelectMany(cc => cc.Coding).Select(x => x.Code).OfType<string>().ToList(),
                Onset = ClinicalDates.FromElement(c.Onset),
                Recorded = ClinicalDates.FromElement(c.RecordedDateElement),
            }, group);
        }));
    }

    public IReadOnlyList<CurrentAllergy> Allergies()
    {
        var candidates = new List<Candidate>();
        foreach (var record in _ehr.Records)
        {
            if (record.Resource is not AllergyIntolerance a)
            {
                continue;
            }

            var verification = StatusCode(a.VerificationStatus, AllergyVerification, AllergyVerificationCodes);
            var clinical = StatusCode(a.ClinicalStatus, AllergyClinical, AllergyClinicalCodes);
            if ((verification is not null && VoidVerificationStatuses.Contains(verification))
                || (clinical is not null && clinical != "active"))
            {
                continue;
            }

            candidates.Add(new Candidate(record, a.Code, ClinicalDates.Of(a), true, null));
        }

        return Order(Collapse(candidates).Select(group =>
        {
            var a = (AllergyIntolerance)group.Chosen.Record.Resource;
            return Fill(new CurrentAllergy
            {
                Reference = group.Chosen.Record.Reference,
                Display = DisplayOf(a.Code, null),
                Sources = [],
                Status = StatusCode(a.ClinicalStatus, AllergyClinical, AllergyClinicalCodes),
                VerificationStatus = StatusCode(a.VerificationStatus, AllergyVerification, AllergyVerificationCodes),
                Criticality = Literal(a.CriticalityElement),
                Categories = a.CategoryElement.Select(Literal).OfType<string>().ToList(),
                Onset = ClinicalDates.FromElement(a.Onset),
                Recorded = ClinicalDates.FromElement(a.RecordedDateElement),
            }, group);
        }));
    }

    public IReadOnlyList<CurrentMedication> Medications()
    {
        var candidates = new List<Candidate>();
        foreach (var record in _ehr.Records)
        {
            switch (record.Resource)
            {
                case MedicationRequest r:
                {
                    var status = Literal(r.StatusElement);
                    var intent = Literal(r.IntentElement);
                    var current = status is not null && CurrentRequestStatuses.Contains(status);
                    if (r.DoNotPerform == true || (intent is not null && NonTreatmentIntents.Contains(intent))
                        || !(current || (status is not null && EndedRequestStatuses.Contains(status))))
                    {
                        continue;
                    }

                    var (concept, medication) = MedicationConcept(r.Medication, r);
                    candidates.Add(new Candidate(record, concept, ClinicalDates.FromElement(r.AuthoredOnElement), current, medication));
                    break;
                }

                case MedicationStatement s:
                {
                    var status = Literal(s.StatusElement);
                    var current = status is not null && CurrentStatementStatuses.Contains(status) && !Ended((s.Effective as Period)?.EndElement);
                    if (!(current || (status is not null && (EndedStatementStatuses.Contains(status) || CurrentStatementStatuses.Contains(status)))))
                    {
                        continue;
                    }

                    var (concept, medication) = MedicationConcept(s.Medication, s);
                    candidates.Add(new Candidate(record, concept, StatementAsserted(s), current, medication));
                    break;
                }
            }
        }

        // One drug at ingredient (and strength) level: the RxNorm clinical drug, branded drug and ingredient of
        // albuterol are one entry. A record that names no strength joins its ingredient's entry when the
        // history holds only one strength of it; with several strengths it stays its own entry.
        var products = candidates.Select(c => DrugProduct.Of(c.Concept, c.Medication is { } m && _medicationsByReference.TryGetValue(m, out var med) ? med : null)).ToList();
        var strengthsOf = products.OfType<DrugProduct>().Where(p => p.Strength is not null).GroupBy(p => p.Ingredients, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => p.Strength).Distinct(StringComparer.Ordinal).Count(), StringComparer.Ordinal);
        IEnumerable<string> DrugKeys(int i)
        {
            if (products[i] is not { } p)
            {
                yield break;
            }

            if (p.Strength is not null)
            {
                yield return "drug:" + p.Ingredients + "|" + p.Strength;
            }

            if (strengthsOf.GetValueOrDefault(p.Ingredients) <= 1)
            {
                yield return "drug:" + p.Ingredients;
            }
        }

        // The latest record of a drug decides; an entry only when that record says the drug is current.
        return Order(Collapse(candidates, DrugKeys).Where(g => g.Chosen.Current).Select(group =>
        {
            var chosen = group.Chosen;
            var statement = chosen.Record.Resource as MedicationStatement;
            var request = chosen.Record.Resource as MedicationRequest;
            return Fill(new CurrentMedication
            {
                Reference = chosen.Record.Reference,
                Display = DisplayOf(chosen.Concept, (request?.Medication ?? statement?.Medication) as ResourceReference),
                Sources = [],
                Status = Literal(request?.StatusElement) ?? Literal(statement?.StatusElement),
                Intent = Literal(request?.IntentElement),
                Medication = chosen.Medication,
                Asserted = chosen.Date,
                EffectiveStart = ClinicalDates.FromElement(statement?.Effective),
                EffectiveEnd = ClinicalDates.FromElement((statement?.Effective as Period)?.EndElement),
            }, group);
        }));
    }

    /// <summary>Whether an end (abatement, effective end) has happened by <see cref="_asOf"/>.</summary>
    /// <remarks>An end that is not a date (an age, a range, a text) has happened; a date after the instant has not.</remarks>
    private bool Ended(DataType? end)
    {
        if (end is null || (end is PrimitiveType p && p.JsonValue is null))
        {
            return false;
        }

        var date = end is Period period ? ClinicalDates.FromElement(period.StartElement) ?? ClinicalDates.FromElement(period.EndElement) : ClinicalDates.FromElement(end);
        return date is null || _asOf is null || date <= _asOf;
    }

    private static DateTimeOffset? StatementAsserted(MedicationStatement s) =>
        ClinicalDates.FromElement(s.DateAssertedElement) ?? ClinicalDates.FromElement(s.Effective);

    private (CodeableConcept? Concept, string? Medication) MedicationConcept(DataType? medication, DomainResource owner)
    {
        switch (medication)
        {
            case CodeableConcept cc:
                return (cc, null);
            case ResourceReference { Reference: { } reference }:
                if (reference.StartsWith('#'))
                {
                    var contained = owner.Contained.OfType<Medication>().FirstOrDefault(m => m.Id == reference[1..]);
                    return (contained?.Code, null);
                }

                var id = reference.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase) ? reference["urn:uuid:".Length..]
                    : ResourceReferences.TryParseTypeAndId(reference, out var type, out var parsed) && type == "Medication" ? parsed
                    : null;
                return id is not null && _medications.TryGetValue(id, out var record)
                    ? (((Medication)record.Resource).Code, record.Reference)
                    : (null, null);
            default:
                return (null, null);
        }
    }

    /// <summary>Joins candidates that share a concept key; in each group the latest record comes first.</summary>
    private static List<Group> Collapse(List<Candidate> candidates, Func<int, IEnumerable<string>>? moreKeys = null)
    {
        var parent = Enumerable.Range(0, candidates.Count).ToArray();
        int Find(int i)
        {
            while (parent[i] != i)
            {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }

            return i;
        }

        var firstWithKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < candidates.Count; i++)
        {
            foreach (var key in moreKeys is null ? KeysOf(candidates[i]) : KeysOf(candidates[i]).Concat(moreKeys(i)))
            {
                if (firstWithKey.TryGetValue(key, out var j))
                {
                    parent[Find(i)] = Find(j);
                }
                else
                {
                    firstWithKey[key] = i;
                }
            }
        }

        return [.. Enumerable.Range(0, candidates.Count)
            .GroupBy(Find)
            .Select(g => new Group([.. g.Select(i => candidates[i])
                .OrderByDescending(c => c.Date.HasValue)
                .ThenByDescending(c => c.Date)
                .ThenByDescending(c => ClinicalDates.LastUpdated(c.Record.Resource))
                .ThenByDescending(c => c.Current)
                .ThenBy(c => c.Record.Reference, StringComparer.Ordinal)]))];
    }

    private static IEnumerable<string> KeysOf(Candidate candidate)
    {
        var keys = CodeSystems.KeysOf(candidate.Concept);
        if (keys.Count > 0)
        {
            return keys;
        }

        var text = ClinicalText.Normalize(candidate.Concept?.Text ?? candidate.Concept?.Coding.FirstOrDefault(c => !string.IsNullOrWhiteSpace(c.Display))?.Display);
        return text is not null ? ["text:" + text]
            : candidate.Medication is not null ? ["medication:" + candidate.Medication]
            : ["record:" + candidate.Record.Reference];
    }

    private T Fill<T>(T item, Group group)
        where T : CurrentViewItem => item with
        {
            Concept = group.Chosen.Concept,
            Sources = [.. group.Members
                .Where(m => m.Current)
                .SelectMany(m => m.Record.Sources)
                .DistinctBy(s => (s.SourceName, s.SourceResource))
                .OrderBy(s => s.SourceName, StringComparer.Ordinal)
                .ThenBy(s => s.SourceResource, StringComparer.Ordinal)],
            Collapsed = [.. group.Members.Skip(1).Select(m => m.Record.Reference)],
            Conflicts = [.. _conflicts[group.Chosen.Record.Reference]],
        };

    private static List<T> Order<T>(IEnumerable<T> items)
        where T : CurrentViewItem =>
        [.. items.OrderBy(i => i.Display, StringComparer.OrdinalIgnoreCase).ThenBy(i => i.Display, StringComparer.Ordinal).ThenBy(i => i.Reference, StringComparer.Ordinal)];

    /// <summary>The status code from a coding of the expected system, else from a coding without a system that the value set holds.</summary>
    internal static string? StatusCode(CodeableConcept? concept, string system, HashSet<string> codes)
    {
        if (concept is null)
        {
            return null;
        }

        return concept.Coding.FirstOrDefault(c => c.System == system && !string.IsNullOrEmpty(c.Code))?.Code
            ?? concept.Coding.FirstOrDefault(c => string.IsNullOrEmpty(c.System) && c.Code is not null && codes.Contains(c.Code))?.Code;
    }

    private static string DisplayOf(CodeableConcept? concept, ResourceReference? reference)
    {
        if (!string.IsNullOrWhiteSpace(concept?.Text))
        {
            return concept.Text.Trim();
        }

        var coding = concept?.Coding.FirstOrDefault(c => !string.IsNullOrWhiteSpace(c.Display)) ?? concept?.Coding.FirstOrDefault(c => !string.IsNullOrWhiteSpace(c.Code));
        return coding?.Display?.Trim() is { Length: > 0 } display ? display
            : coding?.Code?.Trim() is { Length: > 0 } code ? code
            : !string.IsNullOrWhiteSpace(reference?.Display) ? reference.Display.Trim()
            : "(unnamed)";
    }

    private static string? Literal(PrimitiveType? element) => element?.JsonValue as string;

    private sealed record Candidate(EhrRecord Record, CodeableConcept? Concept, DateTimeOffset? Date, bool Current, string? Medication);

    private sealed record Group(IReadOnlyList<Candidate> Members)
    {
        public Candidate Chosen => Members[0];
    }
}
