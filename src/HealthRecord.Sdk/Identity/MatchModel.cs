namespace HealthRecord.Sdk.Identity;

/// <summary>Fellegi–Sunter m/u probabilities per field and level, and the log2 weights they give.</summary>
internal sealed class MatchModel
{
    private readonly double[][] _weights;

    public MatchModel(double[][] m, double[][] u, double prior)
    {
        M = m;
        U = u;
        Prior = prior;
        _weights = new double[FieldSpec.FieldCount][];
        for (var f = 0; f < FieldSpec.FieldCount; f++)
        {
            _weights[f] = new double[m[f].Length];
            for (var l = 0; l < m[f].Length; l++)
            {
                _weights[f][l] = Math.Log2(m[f][l] / u[f][l]);
            }
        }
    }

    public static MatchModel Default { get; } = new(FieldSpec.DefaultM, FieldSpec.DefaultU, 0.01);

    public double[][] M { get; }

    public double[][] U { get; }

    /// <summary>The estimated share of compared pairs that are matches.</summary>
    public double Prior { get; }

    /// <summary>Whether the weights came from expectation–maximisation on the data of the run.</summary>
    public bool Estimated { get; init; }

    public double Weight(int field, int level) => level == FieldSpec.Missing ? 0 : _weights[field][level];

    public double Score(ulong pattern)
    {
        var s = 0.0;
        for (var f = 0; f < FieldSpec.FieldCount; f++)
        {
            s += Weight(f, FieldSpec.Get(pattern, f));
        }

        return s;
    }

    public IReadOnlyList<FieldEvidence> Evidence(ulong pattern)
    {
        var list = new List<FieldEvidence>(FieldSpec.FieldCount);
        for (var f = 0; f < FieldSpec.FieldCount; f++)
        {
            var level = FieldSpec.Get(pattern, f);
            list.Add(new FieldEvidence((MatchField)f, level == FieldSpec.Missing ? "missing" : FieldSpec.LevelNames[f][level], Math.Round(Weight(f, level), 3)));
        }

        return list;
    }

    /// <summary>
    /// u probabilities from comparison vectors of random pairs (nearly all of them different people), with half a count
    /// added to every level; a field seen fewer than 100 times keeps <paramref name="fallback"/>'s values.
    /// </summary>
    public static double[][] EstimateU(IReadOnlyList<ulong> randomPatterns, MatchModel fallback)
    {
        var u = new double[FieldSpec.FieldCount][];
        for (var f = 0; f < FieldSpec.FieldCount; f++)
        {
            var levels = fallback.U[f].Length;
            var counts = new double[levels];
            var seen = 0;
            foreach (var p in randomPatterns)
            {
                var l = FieldSpec.Get(p, f);
                if (l != FieldSpec.Missing)
                {
                    counts[l]++;
                    seen++;
                }
            }

            u[f] = seen < 100 ? (double[])fallback.U[f].Clone() : counts.Select(c => (c + 0.5) / (seen + (0.5 * levels))).ToArray();
        }

        return u;
    }

    /// <summary>
    /// Expectation–maximisation over the comparison vectors of the compared pairs (a two-class mixture with conditionally
    /// independent fields), started from <paramref name="start"/>, with u held at <paramref name="u"/> (estimated on random
    /// pairs, because blocking makes the compared non-matches agree more often than people in general do). Pseudo-counts from
    /// the start values keep rare levels finite. Returns <see langword="null"/> when the fit is degenerate (no match class,
    /// or agreement that counts against a match).
    /// </summary>
    public static MatchModel? Estimate(IReadOnlyDictionary<ulong, int> patterns, MatchModel start, double[][] u, int maxIterations, CancellationToken cancellationToken)
    {
        const double PseudoPairs = 10;
        var vectors = patterns.OrderBy(kv => kv.Key).ToArray();
        var levels = new int[vectors.Length][];
        for (var v = 0; v < vectors.Length; v++)
        {
            levels[v] = new int[FieldSpec.FieldCount];
            for (var f = 0; f < FieldSpec.FieldCount; f++)
            {
                levels[v][f] = FieldSpec.Get(vectors[v].Key, f);
            }
        }

        var m = start.M.Select(a => (double[])a.Clone()).ToArray();
        var prior = 0.1;
        var total = vectors.Sum(v => (double)v.Value);
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var mCount = FieldSpec.DefaultM.Select(a => new double[a.Length]).ToArray();
            var matchMass = 0.0;
            for (var v = 0; v < vectors.Length; v++)
            {
                var logRatio = Math.Log(prior / (1 - prior));
                for (var f = 0; f < FieldSpec.FieldCount; f++)
                {
                    var l = levels[v][f];
                    if (l != FieldSpec.Missing)
                    {
                        logRatio += Math.Log(m[f][l] / u[f][l]);
                    }
                }

                var g = 1 / (1 + Math.Exp(-Math.Clamp(logRatio, -700, 700)));
                var n = vectors[v].Value;
                matchMass += g * n;
                for (var f = 0; f < FieldSpec.FieldCount; f++)
                {
                    var l = levels[v][f];
                    if (l != FieldSpec.Missing)
                    {
                        mCount[f][l] += g * n;
                    }
                }
            }

            var change = 0.0;
            for (var f = 0; f < FieldSpec.FieldCount; f++)
            {
                var mSum = mCount[f].Sum() + PseudoPairs;
                for (var l = 0; l < m[f].Length; l++)
                {
                    var mNew = (mCount[f][l] + (PseudoPairs * start.M[f][l])) / mSum;
                    change = Math.Max(change, Math.Abs(mNew - m[f][l]));
                    m[f][l] = mNew;
                }
            }

            var newPrior = Math.Clamp(matchMass / total, 1e-9, 1 - 1e-9);
            change = Math.Max(change, Math.Abs(newPrior - prior));
            prior = newPrior;
            if (change < 1e-7)
            {
                break;
            }
        }

        var model = new MatchModel(m, u, prior) { Estimated = true };
        if (prior * total < 1)
        {
            return null;
        }

        // Agreement must count for a match on the identifying fields, or the fit has found some other split of the data.
        foreach (var f in (ReadOnlySpan<MatchField>)[MatchField.GivenName, MatchField.FamilyName, MatchField.BirthDate])
        {
            if (model.Weight((int)f, 0) <= 0)
            {
                return null;
            }
        }

        // A share of same-person pairs this large with a wholly different given name, family name or birth date is not a
        // fit of same-person pairs: the "match" class has absorbed pairs that share only what the blocking made them share
        // (a birth date, a postcode). Registration errors replace a name or a date far less often than that.
        foreach (var (field, different) in DisagreementLevels)
        {
            var share = 0.0;
            foreach (var l in different)
            {
                share += model.M[(int)field][l];
            }

            if (share > MaximumDisagreementShare)
            {
                return null;
            }
        }

        return model;
    }

    /// <summary>The most of the same-person pairs that may disagree entirely on a name or the birth date in an accepted fit.</summary>
    public const double MaximumDisagreementShare = 1.0 / 3;

    private static readonly (MatchField Field, int[] Levels)[] DisagreementLevels =
    [
        (MatchField.GivenName, [FieldSpec.GivenDifferent]),
        (MatchField.FamilyName, [FieldSpec.FamilyDifferent]),
        (MatchField.BirthDate, [FieldSpec.BirthDateDifferent, FieldSpec.BirthDateFar]),
    ];
}
