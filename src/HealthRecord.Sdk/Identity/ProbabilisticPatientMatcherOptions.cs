namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Settings of <see cref="ProbabilisticPatientMatcher"/>. Scores are log2 likelihood ratios (Fellegi–Sunter match weights):
/// +10 means the comparison is 1,024 times likelier for the same person than for two different people.
/// </summary>
public sealed class ProbabilisticPatientMatcherOptions
{
    /// <summary>Pairs scoring at least this are the same person (unless a safeguard caps them).</summary>
    /// <value>Default 14.</value>
    public double MatchThreshold { get; set; } = 14;

    /// <summary>Pairs scoring at least this (and below <see cref="MatchThreshold"/>) are reported for review and never merged.</summary>
    /// <value>Default 4.</value>
    public double PossibleThreshold { get; set; } = 4;

    /// <summary>
    /// Two records whose pair scores below this clearly disagree: clustering never puts them in one person through a
    /// chain of other matches (A~B and B~C do not merge A and C).
    /// </summary>
    /// <value>Default 0.</value>
    public double ConflictThreshold { get; set; }

    /// <summary>Whether m/u probabilities are re-estimated with expectation–maximisation on the compared pairs of each run.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool EstimateWeights { get; set; } = true;

    /// <summary>The fewest compared pairs for estimation; smaller runs use the built-in default weights.</summary>
    /// <value>Default 2,000.</value>
    public int MinimumPairsForEstimation { get; set; } = 2_000;

    /// <summary>The most expectation–maximisation iterations.</summary>
    /// <value>Default 100.</value>
    public int MaximumEstimationIterations { get; set; } = 100;

    /// <summary>
    /// The largest blocking block compared all-pairs. A larger block is not dropped: its records are sorted by name and birth
    /// date and each is compared with its next <see cref="MaximumBlockSize"/> neighbours, and a warning is reported.
    /// </summary>
    /// <value>Default 500.</value>
    public int MaximumBlockSize { get; set; } = 500;

    /// <summary>Whether given names that are nicknames of each other (Bill, William) count as agreeing.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool UseNicknames { get; set; } = true;

    /// <summary>
    /// Whether a pair whose given names clearly differ (not a nickname, a typo or an initial), with no agreeing identifier,
    /// is at most possible. This keeps twins and siblings who share a surname, a birth date, an address and a phone apart.
    /// Turning it off links records whose given name was replaced by a data-entry error, at the cost of linking such twins.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool GivenNameSafeguard { get; set; } = true;

    /// <summary>Whether compared pairs are run in parallel (the result is the same either way).</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool Parallel { get; set; } = true;
}
