using System.Globalization;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Deduplication;

/// <summary>
/// The built-in matcher for the clinical types EMRs re-report (see <see cref="DeduplicationOptions.ClinicalTypes"/>):
/// two records are one fact when they share an identifier, or when their main concepts share a coding
/// (SNOMED CT, ICD-10-CM, LOINC, RxNorm, CVX, NDC…, system URIs and OIDs normalised) or, without a shared
/// code system, the same normalised text; and their clinical times agree within the type's tolerance;
/// and, for observations, their values agree (quantities in UCUM-commensurable units); and, for
/// medications, their doses. Practitioners, organizations and locations match by identifier (NPI), else
/// by name and postal code, also within one source (converters often write one per mention).
/// </summary>
/// <remarks>
/// Different facts stay apart: a repeated measurement on another day, a recurring episode, a restarted
/// medication, another dose or value, or two different records of the same source. As an
/// <see cref="IClusterConstraint"/> it also bounds the time span of a whole cluster. Thread-safe.
/// </remarks>
public sealed class ClinicalRecordMatcher : IRecordMatcher, IClusterConstraint
{
    /// <summary>The rule name for a shared business identifier.</summary>
    public const string SameIdentifierRule = "same-identifier";

    /// <summary>The rule name for identical content.</summary>
    public const string IdenticalContentRule = "identical-content";

    /// <summary>The rule name for a shared coding (and time, value, dose where they apply).</summary>
    public const string SameCodeRule = "same-code";

    /// <summary>The rule name for the same normalised text where no code system is shared.</summary>
    public const string SameTextRule = "same-text";

    /// <summary>The rule name for reference resources with the same name.</summary>
    public const string SameNameRule = "same-name";

    /// <summary>
    /// The rule name for two records of one export of one source that record one act twice (an interface
    /// re-send, a double entry): same concept, times within <see cref="DeduplicationOptions.SameActTimeTolerance"/>,
    /// and a shared identifier or the identical value and <c>issued</c> instant.
    /// </summary>
    public const string SameActRule = "same-act";

    private static readonly HashSet<string> ReferenceTypes = new(StringComparer.Ordinal) { "Practitioner", "Organization", "Location" };
    private readonly DeduplicationOptions _options;

    /// <summary>Creates the matcher with default options.</summary>
    public ClinicalRecordMatcher()
        : this(new DeduplicationOptions())
    {
    }

    /// <summary>Creates the matcher.</summary>
    /// <param name="options">Tolerances per type.</param>
    public ClinicalRecordMatcher(IOptions<DeduplicationOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <summary>Creates the matcher.</summary>
    /// <param name="options">Tolerances per type.</param>
    public ClinicalRecordMatcher(DeduplicationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        ResourceTypes = DeduplicationOptions.ClinicalTypes.Where(t => options.RuleFor(t) is not null).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> ResourceTypes { get; }

    /// <inheritdoc />
    public IEnumerable<string> GetBlockingKeys(MatchCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var f = FeaturesOf(candidate);
        var keys = new List<string>();
        foreach (var id in f.Identifiers)
        {
            keys.Add("id|" + id);
        }

        if (!HasConcept(f))
        {
            // Nothing to block on but the content itself: identical copies still meet.
            keys.Add(ExactDuplicateMatcher.ContentBlockingKey(candidate));
            return keys;
        }

        if (ReferenceTypes.Contains(f.Type))
        {
            keys.Add("name|" + f.Name);
            return keys;
        }

        var concepts = new List<string>(f.Codes.Count + 1);
        concepts.AddRange(f.Codes.Select(c => "c|" + c));
        if (f.Text is not null)
        {
            concepts.Add("t|" + f.Text);
        }

        var rule = _options.RuleFor(f.Type);
        if (rule is { RequireTime: true, TimeTolerance: { } tolerance })
        {
            // Repeated facts (labs, vitals, visits) block by concept and UTC day, so a long history is not compared all-pairs.
            if (f.Time is not { } t)
            {
                keys.AddRange(concepts.Select(c => c + "|-"));
                return keys;
            }

            // A month- or year-precision time would touch hundreds of days; its first 40 are enough to meet its copies' keys.
            var lastDay = RecordFeatures.Add(t.High, tolerance).UtcDateTime.Date;
            var firstDay = RecordFeatures.Add(t.Low, -tolerance).UtcDateTime.Date;
            if ((lastDay - firstDay).TotalDays > 40)
            {
                lastDay = firstDay.AddDays(40);
            }

            keys.EnsureCapacity(keys.Count + (concepts.Count * ((int)(lastDay - firstDay).TotalDays + 1)));

            for (var day = firstDay; day <= lastDay; day = day == DateTime.MaxValue.Date ? DateTime.MaxValue : day.AddDays(1))
            {
                // yyyyMMdd, written as a number (cheaper than date formatting).
                var d = ((day.Year * 10000) + (day.Month * 100) + day.Day).ToString("D8", CultureInfo.InvariantCulture);
                foreach (var c in concepts)
                {
                    keys.Add(c + "|" + d);
                }
            }

            return keys;
        }

        keys.AddRange(concepts);
        return keys;
    }

    /// <inheritdoc />
    public RecordMatch Compare(MatchCandidate left, MatchCandidate right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var a = FeaturesOf(left);
        var b = FeaturesOf(right);
        if (!string.Equals(a.Type, b.Type, StringComparison.Ordinal))
        {
            return RecordMatch.None;
        }

        // The content fingerprint costs a walk over the whole resource: it is only computed when it decides.
        if (!_options.MergeWithinSource && left.IsSameExport(right) && !ReferenceTypes.Contains(a.Type))
        {
            return left.Fingerprint == right.Fingerprint
                ? new RecordMatch(true, 1.0, IdenticalContentRule, "content fingerprint " + left.Fingerprint)
                : SameAct(left, a, right, b);
        }

        if (SharedIdentifier(left, a, right, b) is { } id)
        {
            return new RecordMatch(true, 1.0, SameIdentifierRule, "identifier " + id);
        }

        var match = ReferenceTypes.Contains(a.Type) ? CompareReferenceResources(a, b) : CompareClinical(a, b);
        // Identical content always has identical features, so only records without a concept or name need the fingerprint.
        if (!match.IsMatch && !HasConcept(a) && !HasConcept(b) && left.Fingerprint == right.Fingerprint)
        {
            return new RecordMatch(true, 1.0, IdenticalContentRule, "content fingerprint " + left.Fingerprint);
        }

        return match;
    }

    /// <inheritdoc />
    public bool CanJoin(IReadOnlyList<MatchCandidate> left, IReadOnlyList<MatchCandidate> right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var type = left.Count > 0 ? left[0].Resource.TypeName : "";
        if (!_options.MergeWithinSource && !ReferenceTypes.Contains(type))
        {
            // No export contributes two different records to one cluster, unless the two are one act.
            foreach (var l in left)
            {
                foreach (var r in right)
                {
                    if (l.IsSameExport(r) && l.Fingerprint != r.Fingerprint && !SameAct(l, FeaturesOf(l), r, FeaturesOf(r)).IsMatch)
                    {
                        return false;
                    }
                }
            }
        }

        if (_options.RuleFor(type)?.EffectiveClusterSpan is not { } span)
        {
            return true;
        }

        // The narrowest spread the members' times allow: latest "earliest possible" minus earliest "latest possible".
        DateTimeOffset? maxLow = null, minHigh = null;
        foreach (var c in left.Concat(right))
        {
            if (FeaturesOf(c).Time is { } t)
            {
                maxLow = maxLow is null || t.Low > maxLow ? t.Low : maxLow;
                minHigh = minHigh is null || t.High < minHigh ? t.High : minHigh;
            }
        }

        return maxLow is null || minHigh is null || maxLow.Value - minHigh.Value <= span;
    }

    /// <summary>
    /// Two different records of one export: the same act only on evidence — the same concept, clinical times
    /// both known and within <see cref="DeduplicationOptions.SameActTimeTolerance"/>, and either a shared
    /// identifier or, for results, the identical value (to every digit, in the same unit) and the identical
    /// <c>issued</c> instant. Two real readings differ in value or in <c>issued</c>.
    /// </summary>
    private RecordMatch SameAct(MatchCandidate left, RecordFeatures a, MatchCandidate right, RecordFeatures b)
    {
        if (ConceptEvidence(a, b) is not { } concept || a.Time is not { } ta || b.Time is not { } tb)
        {
            return RecordMatch.None;
        }

        var gap = Gap(ta, tb);
        if (gap > _options.SameActTimeTolerance || Different(a.Provider, b.Provider) || DifferentParticipants(a, b))
        {
            return RecordMatch.None;
        }

        var times = string.Create(CultureInfo.InvariantCulture, $"times within {Math.Ceiling(gap.TotalMinutes)} min");
        if (SharedIdentifier(left, a, right, b) is { } id)
        {
            return new RecordMatch(true, 1.0, SameActRule, $"{concept.Evidence}, identifier {id}, {times}");
        }

        if (a.Issued is { } ia && b.Issued is { } ib && ia == ib && IdenticalValues(a, b))
        {
            return new RecordMatch(true, 0.95, SameActRule, $"{concept.Evidence}, same issued instant, identical value, {times}");
        }

        return RecordMatch.None;
    }

    // The value as written: the same number in the same unit (or the same code or text), components alike.
    private static bool IdenticalValues(RecordFeatures a, RecordFeatures b)
    {
        static bool Same(ValueFeature? x, ValueFeature? y) =>
            (x is null && y is null) || (x is not null && y is not null && x.IsIdentical(y));

        if (!Same(a.Value, b.Value) || a.Components.Count != b.Components.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Components.Count; i++)
        {
            if (!string.Equals(a.Components[i].Code, b.Components[i].Code, StringComparison.Ordinal) || !Same(a.Components[i].Value, b.Components[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    // Whether two encounters' service providers are known to be different organisations.
    private static bool Different(RecordFeatures? a, RecordFeatures? b) => a is not null && b is not null && SameParty(a, b) == false;

    // Whether both encounters name people who took part and none of them is in both.
    private static bool DifferentParticipants(RecordFeatures a, RecordFeatures b)
    {
        var comparable = false;
        foreach (var x in a.Participants)
        {
            foreach (var y in b.Participants)
            {
                switch (SameParty(x, y))
                {
                    case true:
                        return false;
                    case false:
                        comparable = true;
                        break;
                }
            }
        }

        return comparable;
    }

    // The same organisation or person (as reference resources match), null when the two cannot be compared
    // (one known by its record, the other only by a display text).
    private static bool? SameParty(RecordFeatures a, RecordFeatures b)
    {
        if (!string.Equals(a.Type, b.Type, StringComparison.Ordinal))
        {
            return null;
        }

        if (a.Identifiers.Intersect(b.Identifiers, StringComparer.Ordinal).Any())
        {
            return true;
        }

        return a.Name is null || b.Name is null ? (ConflictingSystem(a.Identifiers, b.Identifiers) ? false : null) : CompareReferenceResources(a, b).IsMatch;
    }

    private static (string Rule, string Evidence)? ConceptEvidence(RecordFeatures a, RecordFeatures b)
    {
        var shared = FirstShared(a.Codes, b.Codes);
        if (shared is not null)
        {
            return (SameCodeRule, "code " + shared);
        }

        if (a.Codes.Count > 0 && b.Codes.Count > 0 && ShareASystem(a.Codes, b.Codes))
        {
            // Both coded in one system, with different codes: different facts.
            return null;
        }

        return a.Text is not null && string.Equals(a.Text, b.Text, StringComparison.Ordinal) ? (SameTextRule, "same normalised text") : null;
    }

    private RecordMatch CompareClinical(RecordFeatures a, RecordFeatures b)
    {
        if (ConceptEvidence(a, b) is not var (rule, evidence))
        {
            return RecordMatch.None;
        }

        // An encounter is an event at one place: other service providers or other participants, another encounter.
        if (Different(a.Provider, b.Provider) || DifferentParticipants(a, b))
        {
            return RecordMatch.None;
        }

        var score = rule == SameCodeRule ? 0.95 : 0.85;
        if (a.Issued is { } ia && b.Issued is { } ib && ia == ib)
        {
            // The same issued instant: the same report, not merely the same value.
            score += 0.04;
        }

        var ruleOptions = _options.RuleFor(a.Type);
        if (ruleOptions?.TimeTolerance is { } tolerance)
        {
            if (a.Time is { } ta && b.Time is { } tb)
            {
                var gap = Gap(ta, tb);
                if (gap > tolerance)
                {
                    return RecordMatch.None;
                }

                // Closer in time is better evidence (it decides between two candidate copies); at most 0.04 off.
                score -= tolerance > TimeSpan.Zero ? 0.04 * (gap / tolerance) : 0;

                // A date written without a time overlaps the neighbouring days' instants (±14 h of zones); the copy
                // whose written day is the same day is the better evidence (daily orders, one a day, copied as dates).
                if ((a.DateOnly || b.DateOnly) && a.WrittenDay is { } dayA && b.WrittenDay is { } dayB && !string.Equals(dayA, dayB, StringComparison.Ordinal))
                {
                    score -= 0.03;
                }

                evidence += string.Create(CultureInfo.InvariantCulture, $", times within {Math.Ceiling(gap.TotalMinutes)} min");
            }
            else if (ruleOptions.RequireTime)
            {
                // Without both times, two copies of a repeated fact (this year's and last year's flu shot) cannot be told apart.
                return RecordMatch.None;
            }
        }

        if (a.Value is not null && b.Value is not null)
        {
            if (!a.Value.SameAs(b.Value, _options.QuantityRelativeTolerance))
            {
                return RecordMatch.None;
            }

            evidence += ", same value";
        }
        else if ((a.Value is null) != (b.Value is null) && a.Components.Count == 0 && b.Components.Count == 0)
        {
            // One copy has a result and the other has none (a pending or cancelled test): not the same report of a value.
            return RecordMatch.None;
        }

        if (a.Components.Count > 0 && b.Components.Count > 0)
        {
            var common = 0;
            foreach (var (code, value) in a.Components)
            {
                foreach (var (otherCode, otherValue) in b.Components)
                {
                    if (string.Equals(code, otherCode, StringComparison.Ordinal))
                    {
                        if (!value.SameAs(otherValue, _options.QuantityRelativeTolerance))
                        {
                            return RecordMatch.None;
                        }

                        common++;
                    }
                }
            }

            if (common == 0)
            {
                return RecordMatch.None;
            }

            evidence += ", same component values";
        }

        if (a.Dose is { } da && b.Dose is { } db)
        {
            if (!Terminology.UcumQuantities.AreEqual(da, db, _options.QuantityRelativeTolerance))
            {
                return RecordMatch.None;
            }

            evidence += ", same dose";
        }

        return new RecordMatch(true, score, rule, evidence);
    }

    private static RecordMatch CompareReferenceResources(RecordFeatures a, RecordFeatures b)
    {
        if (a.Name is null || !string.Equals(a.Name, b.Name, StringComparison.Ordinal))
        {
            return RecordMatch.None;
        }

        // Different identifiers in one system (two NPIs) are two providers who share a name.
        if (ConflictingSystem(a.Identifiers, b.Identifiers))
        {
            return RecordMatch.None;
        }

        if (a.PostalCode is not null && b.PostalCode is not null && !string.Equals(a.PostalCode, b.PostalCode, StringComparison.Ordinal))
        {
            return RecordMatch.None;
        }

        return new RecordMatch(true, 0.9, SameNameRule, a.PostalCode is not null && b.PostalCode is not null ? "same name and postal code" : "same name");
    }

    // A system both name, with no value in common.
    private static bool ConflictingSystem(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        foreach (var x in a)
        {
            var system = x[..x.IndexOf('|', StringComparison.Ordinal)];
            var inB = b.Where(y => y.StartsWith(system + "|", StringComparison.Ordinal)).ToList();
            if (inB.Count > 0 && !inB.Any(y => a.Contains(y)))
            {
                return true;
            }
        }

        return false;
    }

    private static string? SharedIdentifier(MatchCandidate left, RecordFeatures a, MatchCandidate right, RecordFeatures b)
    {
        foreach (var id in a.Identifiers)
        {
            // An NPI names one provider even when a source repeats it on several records; other identifiers
            // that one source gives to different records are no evidence.
            var trusted = id.StartsWith(Terminology.CodeSystems.Npi + "|", StringComparison.Ordinal)
                || (left.AmbiguousIdentifiers?.Contains(id) != true && right.AmbiguousIdentifiers?.Contains(id) != true);
            if (b.Identifiers.Contains(id) && trusted)
            {
                return id;
            }
        }

        return null;
    }

    private static string? FirstShared(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                if (string.Equals(x, y, StringComparison.Ordinal))
                {
                    return x;
                }
            }
        }

        return null;
    }

    private static bool ShareASystem(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        foreach (var x in a)
        {
            var sx = x.AsSpan(0, x.IndexOf('|', StringComparison.Ordinal));
            foreach (var y in b)
            {
                if (sx.SequenceEqual(y.AsSpan(0, y.IndexOf('|', StringComparison.Ordinal))))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static TimeSpan Gap((DateTimeOffset Low, DateTimeOffset High) a, (DateTimeOffset Low, DateTimeOffset High) b)
    {
        if (a.High < b.Low)
        {
            return b.Low - a.High;
        }

        return b.High < a.Low ? a.Low - b.High : TimeSpan.Zero;
    }

    private static bool HasConcept(RecordFeatures f) => ReferenceTypes.Contains(f.Type) ? f.Name is not null : f.Codes.Count > 0 || f.Text is not null;

    private static RecordFeatures FeaturesOf(MatchCandidate candidate)
    {
        if (candidate.Features is RecordFeatures f)
        {
            return f;
        }

        f = RecordFeatures.Of(candidate);
        candidate.Features = f;
        return f;
    }
}
