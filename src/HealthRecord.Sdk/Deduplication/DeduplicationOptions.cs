namespace HealthRecord.Sdk.Deduplication;

/// <summary>
/// Tolerances and thresholds of the built-in <see cref="ClinicalRecordMatcher"/>, per resource type.
/// Configure with <c>ConfigureDeduplication</c>; validated by <see cref="DeduplicationOptionsValidator"/>.
/// </summary>
/// <example><code>hr.ConfigureDeduplication(d => d.For("Observation", r => r.TimeTolerance = TimeSpan.FromHours(2)));</code></example>
public sealed class DeduplicationOptions
{
    /// <summary>The resource types the built-in matcher handles, with their default rules.</summary>
    public static IReadOnlyList<string> ClinicalTypes { get; } =
    [
        "AllergyIntolerance", "Condition", "DiagnosticReport", "DocumentReference", "Encounter", "Immunization",
        "Location", "Medication", "MedicationRequest", "MedicationStatement", "Observation", "Organization",
        "Practitioner", "Procedure",
    ];

    private readonly Dictionary<string, RecordMatchRule> _rules = new(StringComparer.Ordinal)
    {
        ["AllergyIntolerance"] = new() { TimeTolerance = null, RequireTime = false },
        ["Condition"] = new() { TimeTolerance = TimeSpan.FromDays(3), RequireTime = false },
        ["DiagnosticReport"] = new() { TimeTolerance = TimeSpan.FromHours(12), RequireTime = true },
        ["DocumentReference"] = new() { TimeTolerance = TimeSpan.FromHours(1), RequireTime = true },
        ["Encounter"] = new() { TimeTolerance = TimeSpan.FromHours(4), RequireTime = true },
        ["Immunization"] = new() { TimeTolerance = TimeSpan.FromDays(2), RequireTime = true },
        ["Location"] = new() { TimeTolerance = null, RequireTime = false },
        ["Medication"] = new() { TimeTolerance = null, RequireTime = false },
        ["MedicationRequest"] = new() { TimeTolerance = TimeSpan.FromDays(2), RequireTime = true },
        ["MedicationStatement"] = new() { TimeTolerance = TimeSpan.FromDays(2), RequireTime = false },
        ["Observation"] = new() { TimeTolerance = TimeSpan.FromHours(12), RequireTime = true },
        ["Organization"] = new() { TimeTolerance = null, RequireTime = false },
        ["Practitioner"] = new() { TimeTolerance = null, RequireTime = false },
        ["Procedure"] = new() { TimeTolerance = TimeSpan.FromDays(2), RequireTime = true },
    };

    /// <summary>The rule of each type the built-in matcher handles.</summary>
    public IReadOnlyDictionary<string, RecordMatchRule> Rules => _rules;

    /// <summary>
    /// An allowance, as a relative difference, beyond the precision each quantity is written with.
    /// Quantities are compared (after UCUM conversion) at the precision the less precise one carries:
    /// 1.0746 mg/dL and 0.0107 g/L agree, 24,321.98 µmol/L and 24.39 mmol/L do not (see
    /// <see cref="Terminology.UcumQuantities.AreEqual(Terminology.UcumQuantities.Canonical, Terminology.UcumQuantities.Canonical, double)"/>).
    /// Set it only for sources that convert units with too many digits; every allowance merges real readings that close.
    /// </summary>
    /// <value>The default is 0: the written precision alone decides.</value>
    public double QuantityRelativeTolerance { get; set; }

    /// <summary>
    /// Whether two different clinical records of one export of one source are compared like copies from
    /// different EMRs. By default (<see langword="false"/>) an EMR's own list can still hold the same act
    /// twice (an interface re-send, a double entry), and two of its records merge only on evidence of the
    /// same act: the same concept, clinical times within <see cref="SameActTimeTolerance"/>, and a shared
    /// identifier or (results) the identical value and the identical <c>issued</c> instant. Practitioners,
    /// organizations and locations merge within a source regardless.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool MergeWithinSource { get; set; }

    /// <summary>How far apart the clinical times of two records of one export may be for them to be one act (a re-send, a double entry).</summary>
    /// <value>The default is 10 minutes.</value>
    public TimeSpan SameActTimeTolerance { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Changes the rule of one type.</summary>
    /// <param name="resourceType">One of <see cref="ClinicalTypes"/>.</param>
    /// <param name="configure">Changes the rule.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentException">The built-in matcher does not handle the type.</exception>
    public DeduplicationOptions For(string resourceType, Action<RecordMatchRule> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceType);
        ArgumentNullException.ThrowIfNull(configure);
        if (!_rules.TryGetValue(resourceType, out var rule))
        {
            throw new ArgumentException($"The built-in matcher does not handle '{resourceType}'; it handles {string.Join(", ", ClinicalTypes)}.", nameof(resourceType));
        }

        configure(rule);
        return this;
    }

    /// <summary>The rule of a type.</summary>
    /// <param name="resourceType">The type.</param>
    /// <returns>The rule, or <see langword="null"/> when the built-in matcher does not handle the type.</returns>
    public RecordMatchRule? RuleFor(string resourceType) => _rules.GetValueOrDefault(resourceType);
}

/// <summary>How the built-in matcher treats time for one resource type.</summary>
public sealed class RecordMatchRule
{
    /// <summary>
    /// How far apart the clinical times of two copies may be (after allowing for date-only precision and
    /// time zones); <see langword="null"/> ignores time (allergies, reference resources).
    /// </summary>
    public TimeSpan? TimeTolerance { get; set; }

    /// <summary>
    /// The widest time span one cluster may cover, so that a chain of pairwise "close in time" matches
    /// cannot join far-apart facts; <see langword="null"/> uses <see cref="TimeTolerance"/>.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public TimeSpan? MaxClusterSpan { get; set; }

    /// <summary>
    /// Whether both copies need a clinical time to match on their codes. Repeated facts (labs, vital signs,
    /// immunizations, encounters) cannot be told apart without it; records without a time then match only
    /// by identifier or identical content.
    /// </summary>
    public bool RequireTime { get; set; }

    /// <summary>The span a cluster may cover, or <see langword="null"/> for no bound.</summary>
    public TimeSpan? EffectiveClusterSpan => MaxClusterSpan ?? TimeTolerance;
}
