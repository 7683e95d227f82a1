using System.Diagnostics;
using System.Globalization;
using System.Text;
using FluentValidation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Identity;

/// <summary>
/// The default <see cref="IPatientMatcher"/>: Fellegi–Sunter probabilistic record linkage over FHIR Patients, with
/// multi-key blocking, m/u weights estimated by expectation–maximisation on the run's own data (default weights when the
/// run is small), safeguards against merging relatives, twins and namesakes, reviewer answers from <see cref="ILinkReview"/>,
/// and person clustering that refuses to chain clearly different records together.
/// </summary>
/// <remarks>
/// <para>Decisions: a pair scoring at least <see cref="ProbabilisticPatientMatcherOptions.MatchThreshold"/> is a match; at least
/// <see cref="ProbabilisticPatientMatcherOptions.PossibleThreshold"/>, a possible link, which is submitted for review and never
/// merged. Safeguards, unless an identifier agrees (an SSN equal, or with a keying error that the consecutive numbers of
/// twins never show; a driver's licence or MRN of one system): a pair whose given name and
/// birth date both differ is no match (relatives sharing a surname, an address and a phone); one whose given names clearly
/// differ (twins), whose sexes differ while the given names are only alike (boy and girl twins: Daniel, Daniela), whose birth dates are ten or more years apart (parent and child of one name), whose given names and birth dates both only look alike
/// (siblings such as Jon and Joan), or whose identifier of one
/// system differs while nothing about where they live agrees (namesakes), is at most possible. Relatives, and pairs scoring below
/// <see cref="ProbabilisticPatientMatcherOptions.ConflictThreshold"/>, never join one person through a chain of other matches.</para>
/// <para>Deterministic: candidates are processed in ordinal key order, so any input order gives the same persons and links.
/// Thread-safe: one instance can serve concurrent calls.</para>
/// </remarks>
public sealed class ProbabilisticPatientMatcher : IPatientMatcher, IPatientFeatureLinker
{
    /// <summary>How many random pairs estimate u.</summary>
    private const int RandomPairSample = 50_000;

    private readonly ProbabilisticPatientMatcherOptions _options;
    private readonly ILinkReview? _review;
    private readonly NicknameTable? _nicknames;
    private readonly ILogger _logger;

    /// <summary>Creates the matcher.</summary>
    /// <param name="options">Thresholds and limits; validated here.</param>
    /// <param name="review">Where possible links go and reviewers' answers come from; none when <see langword="null"/>.</param>
    /// <param name="logger">Counts only, never patient data.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public ProbabilisticPatientMatcher(IOptions<ProbabilisticPatientMatcherOptions>? options = null, ILinkReview? review = null, ILogger<ProbabilisticPatientMatcher>? logger = null)
    {
        _options = options?.Value ?? new ProbabilisticPatientMatcherOptions();
        var validation = new ProbabilisticPatientMatcherOptionsValidator().Validate(_options);
        if (!validation.IsValid)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ProbabilisticPatientMatcherOptions),
                validation.Errors.Select(e => $"{nameof(ProbabilisticPatientMatcherOptions)}.{e.PropertyName}: {e.ErrorMessage}"));
        }

        _review = review;
        _nicknames = _options.UseNicknames ? NicknameTable.Default : null;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">Two candidates have the same key, or a candidate is null or has no Patient.</exception>
    public async ValueTask<PatientLinkResult> LinkAsync(IReadOnlyList<PatientCandidate> patients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patients);
        if (patients.Any(p => p?.Patient is null || p.Key is null))
        {
            throw new ArgumentException("Every candidate needs a key and a Patient.", nameof(patients));
        }

        var started = Stopwatch.GetTimestamp();
        var candidates = patients.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        ThrowIfSameKeyTwice(candidates.Select(c => c.Key).ToArray(), nameof(patients));
        var features = new PatientFeatures[candidates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            features[i] = PatientFeatures.From(candidates[i].Key, candidates[i].Patient, _nicknames);
        }

        return await LinkCoreAsync(features, candidates.Select(SourcePatientReference.Of).ToArray(), started, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    PatientFeatures IPatientFeatureLinker.Features(string key, Hl7.Fhir.Model.Patient patient) => PatientFeatures.From(key, patient, _nicknames);

    /// <inheritdoc />
    async ValueTask<PatientLinkResult> IPatientFeatureLinker.LinkAsync(IReadOnlyList<(PatientFeatures Features, SourcePatientReference Reference)> candidates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var started = Stopwatch.GetTimestamp();
        var ordered = candidates.OrderBy(c => c.Features.Key, StringComparer.Ordinal).ToArray();
        ThrowIfSameKeyTwice(ordered.Select(c => c.Features.Key).ToArray(), nameof(candidates));
        return await LinkCoreAsync(ordered.Select(c => c.Features).ToArray(), ordered.Select(c => c.Reference).ToArray(), started, cancellationToken).ConfigureAwait(false);
    }

    private static void ThrowIfSameKeyTwice(string[] orderedKeys, string parameter)
    {
        for (var i = 1; i < orderedKeys.Length; i++)
        {
            if (string.Equals(orderedKeys[i], orderedKeys[i - 1], StringComparison.Ordinal))
            {
                throw new ArgumentException("Two candidates have the same key; each source Patient needs its own key.", parameter);
            }
        }
    }

    // Links candidates' features, in ordinal key order (the references index for index).
    private async ValueTask<PatientLinkResult> LinkCoreAsync(PatientFeatures[] features, SourcePatientReference[] references, long started, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var pairs = CandidateBlocker.Pairs(features, _options.MaximumBlockSize, warnings);
        cancellationToken.ThrowIfCancellationRequested();
        var patterns = ComparePairs(features, pairs, cancellationToken);
        var model = ChooseModel(features, patterns, warnings, cancellationToken);
        // Term-frequency adjustments need a population to count in: only for runs large enough to estimate weights.
        var frequencies = _options.EstimateWeights && pairs.Length >= _options.MinimumPairsForEstimation ? TermFrequencies.Count(features) : null;
        var run = new Run(this, model, frequencies, features, references, pairs, patterns);

        var reviewed = _review is null ? [] : await _review.GetDecisionsAsync(cancellationToken).ConfigureAwait(false);
        var index = new Dictionary<string, int>(features.Length, StringComparer.Ordinal);
        for (var i = 0; i < features.Length; i++)
        {
            index[features[i].Key] = i;
        }

        var manualSame = new List<long>();
        var manualDifferent = new HashSet<long>();
        foreach (var r in reviewed)
        {
            if (index.TryGetValue(r.Left, out var a) && index.TryGetValue(r.Right, out var b) && a != b)
            {
                (r.Decision == ReviewDecision.SamePerson ? (ICollection<long>)manualSame : manualDifferent).Add(CandidateBlocker.Pack(a, b));
            }
        }

        manualSame.Sort();
        var (groups, links) = run.Cluster(manualSame, manualDifferent, warnings);
        var persons = groups.Select(g => (IReadOnlyList<string>)g.Select(i => features[i].Key).ToArray()).ToArray();

        if (_review is not null)
        {
            var person = new int[features.Length];
            for (var g = 0; g < groups.Count; g++)
            {
                foreach (var i in groups[g])
                {
                    person[i] = g;
                }
            }

            var open = ReviewQueue(links, person, index, reviewed);
            if (open.Length > 0)
            {
                await _review.SubmitAsync(open, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var w in warnings)
        {
            IdentityLog.LinkWarning(_logger, w);
        }

        long n = features.Length;
        var statistics = new PatientLinkStatistics(features.Length, n * (n - 1) / 2, pairs.Length, model.Estimated, model.Estimated ? model.Prior : null);
        IdentityLog.Linked(_logger, features.Length, persons.Length, pairs.Length, statistics.TotalPairs,
            links.Count(l => l.Decision == LinkDecision.Match), links.Count(l => l.Decision == LinkDecision.Possible),
            (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new PatientLinkResult(persons, links) { Warnings = warnings, Statistics = statistics };
    }

    /// <summary>
    /// The pairs to put before a reviewer: one per pair of persons (its strongest possible link), and none for two persons a
    /// reviewer already said are different people (through any of their records). A reviewer decides once per two persons, not
    /// once per pair of their records.
    /// </summary>
    internal static PatientLink[] ReviewQueue(IReadOnlyList<PatientLink> links, int[] person, Dictionary<string, int> index, IReadOnlyList<ReviewedLink> reviewed)
    {
        static long PersonPair(int x, int y) => CandidateBlocker.Pack(x, y);
        var answered = new HashSet<long>();
        foreach (var r in reviewed)
        {
            if (r.Decision == ReviewDecision.DifferentPersons && index.TryGetValue(r.Left, out var a) && index.TryGetValue(r.Right, out var b) && person[a] != person[b])
            {
                answered.Add(PersonPair(person[a], person[b]));
            }
        }

        var best = new Dictionary<long, PatientLink>();
        foreach (var link in links)
        {
            int a = person[index[link.Left]], b = person[index[link.Right]];
            if (link.Decision != LinkDecision.Possible || a == b)
            {
                continue;
            }

            var key = PersonPair(a, b);
            if (answered.Contains(key))
            {
                continue;
            }

            // Strongest first; links are in key order, so ties keep the first.
            if (!best.TryGetValue(key, out var kept) || link.Score > kept.Score)
            {
                best[key] = link;
            }
        }

        return best.Values.OrderBy(l => l.Left, StringComparer.Ordinal).ThenBy(l => l.Right, StringComparer.Ordinal).ToArray();
    }

    private ulong[] ComparePairs(PatientFeatures[] features, long[] pairs, CancellationToken cancellationToken)
    {
        var patterns = new ulong[pairs.Length];
        if (_options.Parallel && pairs.Length > 4096)
        {
            System.Threading.Tasks.Parallel.For(0, (pairs.Length + 4095) / 4096, new ParallelOptions { CancellationToken = cancellationToken }, chunk =>
            {
                var end = Math.Min(pairs.Length, (chunk + 1) * 4096);
                for (var k = chunk * 4096; k < end; k++)
                {
                    var (a, b) = CandidateBlocker.Unpack(pairs[k]);
                    patterns[k] = PatientComparator.Compare(features[a], features[b]);
                }
            });
        }
        else
        {
            for (var k = 0; k < pairs.Length; k++)
            {
                if ((k & 0xFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var (a, b) = CandidateBlocker.Unpack(pairs[k]);
                patterns[k] = PatientComparator.Compare(features[a], features[b]);
            }
        }

        return patterns;
    }

    private MatchModel ChooseModel(PatientFeatures[] features, ulong[] patterns, List<string> warnings, CancellationToken cancellationToken)
    {
        if (!_options.EstimateWeights || patterns.Length < _options.MinimumPairsForEstimation)
        {
            return MatchModel.Default;
        }

        var counts = new Dictionary<ulong, int>();
        foreach (var p in patterns)
        {
            counts[p] = counts.TryGetValue(p, out var c) ? c + 1 : 1;
        }

        var u = MatchModel.EstimateU(RandomPairPatterns(features, cancellationToken), MatchModel.Default);
        var estimated = MatchModel.Estimate(counts, MatchModel.Default, u, _options.MaximumEstimationIterations, cancellationToken);
        if (estimated is null)
        {
            // u from random pairs does not depend on the fit; only m falls back to the defaults.
            warnings.Add("Weight estimation did not find a plausible match class in the compared pairs; the default m probabilities were used with u estimated on random pairs.");
            return new MatchModel(MatchModel.Default.M, u, MatchModel.Default.Prior);
        }

        IdentityLog.WeightsEstimated(_logger, counts.Count, estimated.Prior);
        return estimated;
    }

    /// <summary>
    /// Comparison vectors of up to <see cref="RandomPairSample"/> pairs drawn with a fixed-seed generator (all pairs when there
    /// are fewer), for estimating u. Deterministic: the same candidates give the same sample. The pairs are drawn first, in
    /// order, and compared afterwards (in parallel like the candidate pairs, each vector in its pair's slot), so the vectors
    /// and their order do not depend on the number of cores.
    /// </summary>
    private ulong[] RandomPairPatterns(PatientFeatures[] features, CancellationToken cancellationToken)
    {
        var n = features.Length;
        var total = (long)n * (n - 1) / 2;
        // (a << 32) | b as drawn (a may exceed b: the comparator sees each pair the way round it was drawn).
        var sample = new long[(int)Math.Min(total, RandomPairSample)];
        var count = 0;
        if (total <= RandomPairSample)
        {
            for (var a = 0; a < n; a++)
            {
                for (var b = a + 1; b < n; b++)
                {
                    sample[count++] = ((long)a << 32) | (uint)b;
                }
            }
        }
        else
        {
            var state = 0x9E3779B97F4A7C15UL;
            while (count < sample.Length)
            {
                var a = (int)(SplitMix64(ref state) % (ulong)n);
                var b = (int)(SplitMix64(ref state) % (ulong)n);
                if (a != b)
                {
                    sample[count++] = ((long)a << 32) | (uint)b;
                }
            }
        }

        return ComparePairs(features, sample, cancellationToken);
    }

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The assessment of one comparison vector.</summary>
    private readonly record struct Assessment(double Score, LinkDecision Decision, bool ClearlyDifferent, string? Safeguard);

    /// <summary>What the safeguards say about one comparison vector (independent of the score).</summary>
    /// <param name="Relative">Given name and birth date both differ with no shared identifier.</param>
    /// <param name="Capped">A safeguard keeps the pair at most possible.</param>
    /// <param name="Note">The safeguard's explanation.</param>
    /// <param name="Twin">Given names clearly differ with no shared identifier (twins, siblings, relatives).</param>
    private readonly record struct Safeguards(bool Relative, bool Capped, string? Note, bool Twin);

    /// <summary>One linking run: its features, pairs, comparison vectors and model.</summary>
    private sealed class Run(ProbabilisticPatientMatcher owner, MatchModel model, TermFrequencies? frequencies, PatientFeatures[] features, SourcePatientReference[] references, long[] pairs, ulong[] patterns)
    {
        private readonly Dictionary<ulong, Safeguards> _safeguards = [];

        // The links of a run outlive it (a population run returns them at its end), yet they repeat a few hundred distinct field
        // evidences, evidence lists and explanations: one instance of each is kept, so a link costs a few references instead of a
        // dozen objects and a string of its own, and what the links hold no longer grows by kilobytes per person.
        private readonly Dictionary<FieldEvidence, (FieldEvidence Value, int Id)> _fieldEvidence = [];
        private readonly Dictionary<string, IReadOnlyList<FieldEvidence>> _evidenceLists = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _explanations = new(StringComparer.Ordinal);

        public (List<List<int>> Groups, List<PatientLink> Links) Cluster(List<long> manualSame, HashSet<long> manualDifferent, List<string> warnings)
        {
            var clusterer = new PersonClusterer(features.Length);
            foreach (var pair in manualSame)
            {
                var (a, b) = CandidateBlocker.Unpack(pair);
                clusterer.TryUnion(a, b, null, out _);
                if (manualDifferent.Contains(pair))
                {
                    manualDifferent.Remove(pair);
                }
            }

            var edges = new List<(double Score, long Pair)>();
            var adjustments = new double[pairs.Length];
            for (var k = 0; k < pairs.Length; k++)
            {
                adjustments[k] = Adjustment(pairs[k], patterns[k]);
                var assessment = Assess(patterns[k], adjustments[k]);
                if (assessment.Decision == LinkDecision.Match && !manualDifferent.Contains(pairs[k]))
                {
                    edges.Add((assessment.Score, pairs[k]));
                }
            }

            edges.Sort((x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Pair.CompareTo(y.Pair));
            var refused = new Dictionary<long, (int, int)>();
            var ambiguous = AmbiguousEdges(edges, manualDifferent);
            edges.RemoveAll(e => ambiguous.ContainsKey(e.Pair));
            bool Conflict(int x, int y)
            {
                var pair = CandidateBlocker.Pack(x, y);
                if (manualDifferent.Contains(pair))
                {
                    return true;
                }

                var pattern = PatternOf(pair);
                return Assess(pattern, Adjustment(pair, pattern)).ClearlyDifferent;
            }

            foreach (var (_, pair) in edges)
            {
                var (a, b) = CandidateBlocker.Unpack(pair);
                if (!clusterer.TryUnion(a, b, Conflict, out var blocker))
                {
                    refused[pair] = blocker;
                }
            }

            var groups = clusterer.Groups();
            foreach (var pair in manualDifferent)
            {
                var (a, b) = CandidateBlocker.Unpack(pair);
                if (clusterer.Find(a) == clusterer.Find(b))
                {
                    warnings.Add("A reviewer's different-persons answer contradicts a chain of same-person answers; the same-person answers were kept.");
                    break;
                }
            }

            var links = new List<PatientLink>();
            var manual = new HashSet<long>(manualSame);
            for (var k = 0; k < pairs.Length; k++)
            {
                if (manual.Contains(pairs[k]) || manualDifferent.Contains(pairs[k]))
                {
                    continue;
                }

                var assessment = Assess(patterns[k], adjustments[k]);
                if (assessment.Decision == LinkDecision.NoMatch)
                {
                    continue;
                }

                var (a, b) = CandidateBlocker.Unpack(pairs[k]);
                var decision = assessment.Decision;
                var note = assessment.Safeguard;
                if (refused.TryGetValue(pairs[k], out var blocker))
                {
                    decision = LinkDecision.Possible;
                    note = $"not merged: {features[blocker.Item1].Key} and {features[blocker.Item2].Key} would join one person but clearly differ";
                }
                else if (ambiguous.TryGetValue(pairs[k], out var between))
                {
                    decision = LinkDecision.Possible;
                    note = $"not merged: a record without a given name matches both {features[between.Item1].Key} and {features[between.Item2].Key}, who clearly differ (twins or relatives?)";
                }

                var evidence = Evidence(pairs[k], patterns[k]);
                links.Add(new PatientLink(features[a].Key, features[b].Key, Math.Round(assessment.Score, 6), decision, Explain(evidence, assessment.Score, decision, note))
                {
                    Evidence = evidence,
                    LeftRecord = references[a],
                    RightRecord = references[b],
                });
            }

            foreach (var pair in manualSame)
            {
                var (a, b) = CandidateBlocker.Unpack(pair);
                var pattern = PatternOf(pair);
                var score = Math.Round(model.Score(pattern) + Adjustment(pair, pattern), 6);
                var evidence = Evidence(pair, pattern);
                links.Add(new PatientLink(features[a].Key, features[b].Key, score, LinkDecision.Match, "Same person by a reviewer's answer (ILinkReview); " + Explain(evidence, score, LinkDecision.Match, null))
                {
                    Evidence = evidence,
                    IsManual = true,
                    LeftRecord = references[a],
                    RightRecord = references[b],
                });
            }

            links.Sort((x, y) =>
            {
                var c = string.CompareOrdinal(x.Left, y.Left);
                return c != 0 ? c : string.CompareOrdinal(x.Right, y.Right);
            });
            return (groups, links);
        }

        private ulong PatternOf(long pair)
        {
            var k = Array.BinarySearch(pairs, pair);
            if (k >= 0)
            {
                return patterns[k];
            }

            var (a, b) = CandidateBlocker.Unpack(pair);
            return PatientComparator.Compare(features[a], features[b]);
        }

        /// <summary>
        /// Match edges of a record without a given name that matches records of two people who clearly differ (twins, relatives
        /// of one household: the given name is what tells them apart). Such a record could belong to either; none of its edges
        /// is merged, whichever scores higher. Returns each such edge with the two records it cannot choose between.
        /// </summary>
        private Dictionary<long, (int, int)> AmbiguousEdges(List<(double Score, long Pair)> edges, HashSet<long> manualDifferent)
        {
            var partners = new SortedDictionary<int, List<int>>();
            foreach (var (_, pair) in edges)
            {
                var (a, b) = CandidateBlocker.Unpack(pair);
                foreach (var (x, y) in (ReadOnlySpan<(int, int)>)[(a, b), (b, a)])
                {
                    if (features[x].Given.Length == 0)
                    {
                        if (!partners.TryGetValue(x, out var list))
                        {
                            partners[x] = list = [];
                        }

                        list.Add(y);
                    }
                }
            }

            var result = new Dictionary<long, (int, int)>();
            foreach (var (record, list) in partners)
            {
                (int, int)? between = null;
                for (var i = 0; i < list.Count && between is null; i++)
                {
                    for (var j = i + 1; j < list.Count && between is null; j++)
                    {
                        var pair = CandidateBlocker.Pack(list[i], list[j]);
                        if (manualDifferent.Contains(pair))
                        {
                            between = (Math.Min(list[i], list[j]), Math.Max(list[i], list[j]));
                            continue;
                        }

                        var pattern = PatternOf(pair);
                        if (SafeguardsOf(pattern).Twin || Assess(pattern, Adjustment(pair, pattern)).ClearlyDifferent)
                        {
                            between = (Math.Min(list[i], list[j]), Math.Max(list[i], list[j]));
                        }
                    }
                }

                if (between is { } b)
                {
                    foreach (var partner in list)
                    {
                        result[CandidateBlocker.Pack(record, partner)] = b;
                    }
                }
            }

            return result;
        }

        /// <summary>The term-frequency adjustment of a pair (0 without frequencies).</summary>
        private double Adjustment(long pair, ulong pattern)
        {
            if (frequencies is null)
            {
                return 0;
            }

            var (a, b) = CandidateBlocker.Unpack(pair);
            return frequencies.Adjust(features[a], features[b], pattern, model);
        }

        /// <summary>The evidence of a pair: each field's level and weight, term-frequency adjustments included.</summary>
        private IReadOnlyList<FieldEvidence> Evidence(long pair, ulong pattern)
        {
            var evidence = model.Evidence(pattern);
            if (frequencies is null)
            {
                return Shared(evidence);
            }

            var (a, b) = CandidateBlocker.Unpack(pair);
            Span<double> perField = stackalloc double[FieldSpec.FieldCount];
            frequencies.Adjust(features[a], features[b], pattern, model, perField);
            var list = new List<FieldEvidence>(evidence.Count);
            foreach (var e in evidence)
            {
                var adjustment = perField[(int)e.Field];
                list.Add(adjustment == 0 ? e : e with { Level = e.Level + "+tf", Weight = Math.Round(model.Weight((int)e.Field, 0) + adjustment, 3) });
            }

            return Shared(list);
        }

        /// <summary>The run's one instance of an evidence list equal to this one (element by element).</summary>
        private IReadOnlyList<FieldEvidence> Shared(IReadOnlyList<FieldEvidence> evidence)
        {
            Span<char> ids = stackalloc char[evidence.Count];
            var shared = new FieldEvidence[evidence.Count];
            for (var i = 0; i < evidence.Count; i++)
            {
                if (!_fieldEvidence.TryGetValue(evidence[i], out var known))
                {
                    if (_fieldEvidence.Count >= char.MaxValue)
                    {
                        return evidence; // more distinct values than a key can name: keep this list as it is
                    }

                    _fieldEvidence[evidence[i]] = known = (evidence[i], _fieldEvidence.Count);
                }

                shared[i] = known.Value;
                ids[i] = (char)known.Id;
            }

            var key = new string(ids);
            if (!_evidenceLists.TryGetValue(key, out var list))
            {
                _evidenceLists[key] = list = new List<FieldEvidence>(shared);
            }

            return list;
        }

        private Assessment Assess(ulong pattern, double adjustment)
        {
            var guard = SafeguardsOf(pattern);
            var options = owner._options;
            var score = model.Score(pattern) + adjustment;
            var decision = score >= options.MatchThreshold ? LinkDecision.Match : score >= options.PossibleThreshold ? LinkDecision.Possible : LinkDecision.NoMatch;
            var safeguard = guard.Note;
            if (guard.Relative)
            {
                decision = LinkDecision.NoMatch;
            }
            else if (guard.Capped && decision == LinkDecision.Match)
            {
                decision = LinkDecision.Possible;
            }
            else if (decision == LinkDecision.NoMatch || !guard.Capped)
            {
                safeguard = null;
            }

            // Relatives, twin-shaped pairs and pairs scoring below the conflict threshold never join one person through a chain
            // of other matches.
            return new Assessment(score, decision, guard.Relative || score < options.ConflictThreshold, safeguard);
        }

        private Safeguards SafeguardsOf(ulong pattern)
        {
            lock (_safeguards)
            {
                if (_safeguards.TryGetValue(pattern, out var known))
                {
                    return known;
                }
            }

            var options = owner._options;
            // SSNs less than 100 apart do not agree here: twins are often given consecutive numbers. Keying errors that
            // consecutive numbers never show (a transposition, one wrong digit 100 or more apart) do.
            var ssnLevel = FieldSpec.Get(pattern, (int)MatchField.SocialSecurityNumber);
            var identifierAgrees = ssnLevel is 0 or FieldSpec.SsnTransposed or FieldSpec.SsnOneDigit
                || FieldSpec.Get(pattern, (int)MatchField.DriversLicense) == 0
                || FieldSpec.Get(pattern, (int)MatchField.LocalIdentifier) == 0;
            var identifierDiffers = ssnLevel == FieldSpec.SsnDifferent
                || FieldSpec.Get(pattern, (int)MatchField.DriversLicense) == 1
                || FieldSpec.Get(pattern, (int)MatchField.LocalIdentifier) == 1;
            var placeAgrees = FieldSpec.Get(pattern, (int)MatchField.AddressLine) <= FieldSpec.AddressSimilar
                || FieldSpec.Get(pattern, (int)MatchField.PostalCode) <= 1
                || FieldSpec.Get(pattern, (int)MatchField.City) <= 1
                || FieldSpec.Get(pattern, (int)MatchField.Phone) == 0
                || FieldSpec.Get(pattern, (int)MatchField.Email) == 0;
            var givenLevel = FieldSpec.Get(pattern, (int)MatchField.GivenName);
            var givenDiffers = givenLevel == FieldSpec.GivenDifferent;
            var birthLevel = FieldSpec.Get(pattern, (int)MatchField.BirthDate);
            var sexDiffers = FieldSpec.Get(pattern, (int)MatchField.Sex) == 1;
            var birthDiffers = birthLevel is FieldSpec.BirthDateDifferent or FieldSpec.BirthDateFar;
            string? safeguard = null;
            var relative = !identifierAgrees && givenDiffers && birthDiffers;
            var capped = false;
            if (relative)
            {
                safeguard = "no match: given name and birth date both differ with no shared identifier (a relative?)";
            }
            else if (!identifierAgrees && givenDiffers && options.GivenNameSafeguard)
            {
                capped = true;
                safeguard = "at most possible: given names differ with no shared identifier (a twin or sibling?)";
            }
            else if (!identifierAgrees && sexDiffers && givenLevel is > 0 and < FieldSpec.GivenDifferent)
            {
                capped = true;
                safeguard = "at most possible: the sexes differ and the given names are only alike, with no shared identifier (boy and girl twins such as Daniel and Daniela?)";
            }
            else if (!identifierAgrees && birthLevel == FieldSpec.BirthDateFar)
            {
                capped = true;
                safeguard = "at most possible: birth dates ten or more years apart with no shared identifier (a parent or child?)";
            }
            else if (!identifierAgrees && givenLevel != FieldSpec.Missing && birthLevel != FieldSpec.Missing
                && birthLevel != FieldSpec.BirthDateSameYearTypo
                && givenLevel >= FieldSpec.GivenNickname && birthLevel >= 1)
            {
                capped = true;
                safeguard = "at most possible: both the given names and the birth dates are only alike, with no shared identifier (siblings?)";
            }
            else if (!identifierAgrees && identifierDiffers && !placeAgrees)
            {
                capped = true;
                safeguard = "at most possible: an identifier of the same system differs and no address, city, postcode, phone or e-mail agrees (a namesake?)";
            }

            var result = new Safeguards(relative, capped, safeguard, !identifierAgrees && givenDiffers && options.GivenNameSafeguard);
            lock (_safeguards)
            {
                _safeguards[pattern] = result;
            }

            return result;
        }

        private string Explain(IReadOnlyList<FieldEvidence> evidence, double score, LinkDecision decision, string? note)
        {
            var options = owner._options;
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{decision}: score {score:+0.00;-0.00;0} (match >= {options.MatchThreshold:0.##}, possible >= {options.PossibleThreshold:0.##}; {(model.Estimated ? "EM-estimated" : "default")} weights{(frequencies is null ? "" : ", term-frequency adjusted")})");
            if (note is not null)
            {
                sb.Append("; ").Append(note);
            }

            sb.Append(" |");
            foreach (var e in evidence)
            {
                sb.Append(CultureInfo.InvariantCulture, $" {e.Field}={e.Level}({e.Weight:+0.00;-0.00;0})");
            }

            var text = sb.ToString();
            if (!_explanations.TryGetValue(text, out var shared))
            {
                _explanations[text] = shared = text;
            }

            return shared;
        }
    }
}
