namespace HealthRecord.Sdk.Identity;

/// <summary>An <see cref="ILinkReview"/> that keeps answers and pending pairs in memory for the life of the process.</summary>
/// <remarks>Thread-safe.</remarks>
public sealed class InMemoryLinkReview : ILinkReview
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<(string, string), ReviewedLink> _decisions = new(PairComparer.Instance);
    private readonly SortedDictionary<(string, string), PatientLink> _pending = new(PairComparer.Instance);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ReviewedLink>> GetDecisionsAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<ReviewedLink>>(_decisions.Values.ToArray());
        }
    }

    /// <inheritdoc />
    public ValueTask SubmitAsync(IReadOnlyList<PatientLink> links, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(links);
        lock (_gate)
        {
            foreach (var link in links)
            {
                var key = Ordered(link.Left, link.Right);
                if (!_decisions.ContainsKey(key))
                {
                    _pending[key] = link;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<PatientLink>> GetPendingAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<PatientLink>>(_pending.Values.ToArray());
        }
    }

    /// <inheritdoc />
    public ValueTask ResolveAsync(string left, string right, ReviewDecision decision, CancellationToken cancellationToken = default)
    {
        var reviewed = ReviewedLink.Create(left, right, decision);
        lock (_gate)
        {
            _decisions[(reviewed.Left, reviewed.Right)] = reviewed;
            _pending.Remove((reviewed.Left, reviewed.Right));
        }

        return ValueTask.CompletedTask;
    }

    private static (string, string) Ordered(string a, string b) => string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);

    private sealed class PairComparer : IComparer<(string, string)>
    {
        public static readonly PairComparer Instance = new();

        public int Compare((string, string) x, (string, string) y)
        {
            var c = string.CompareOrdinal(x.Item1, y.Item1);
            return c != 0 ? c : string.CompareOrdinal(x.Item2, y.Item2);
        }
    }
}
