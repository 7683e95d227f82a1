namespace HealthRecord.Sdk.Deduplication;

/// <summary>What a reviewer decided about a group of source records.</summary>
public enum MergeOverrideKind
{
    /// <summary>No two of the records may end in one EHR record, whatever the matcher says.</summary>
    NeverMerge,

    /// <summary>The records are one fact: they end in one EHR record, whatever the matcher says (a never-merge still wins).</summary>
    AlwaysMerge,
}

/// <summary>
/// A reviewer's manual decision about source records, named by their keys <c>source:Type/id</c> (as
/// <see cref="Model.SourceRecordRef"/> and the lineage show them). It holds in every later aggregation until removed.
/// </summary>
/// <param name="Kind">Never or always merge.</param>
/// <param name="Records">At least two record keys <c>source:Type/id</c>, distinct, in ordinal order.</param>
/// <param name="Reason">Why, in the reviewer's words; shown in the EHR record's rule.</param>
public sealed record MergeOverride(MergeOverrideKind Kind, IReadOnlyList<string> Records, string? Reason = null)
{
    /// <summary>Creates an override with its keys checked and put in ordinal order.</summary>
    /// <param name="kind">Never or always merge.</param>
    /// <param name="records">Two or more keys <c>source:Type/id</c>.</param>
    /// <param name="reason">Why.</param>
    /// <returns>The override.</returns>
    /// <exception cref="ArgumentException">Fewer than two distinct keys, or a key that is not <c>source:Type/id</c>.</exception>
    public static MergeOverride Create(MergeOverrideKind kind, IEnumerable<string> records, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var keys = records.Select(k => k?.Trim() ?? "").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (keys.Count < 2)
        {
            throw new ArgumentException("An override names at least two different source records.", nameof(records));
        }

        foreach (var key in keys)
        {
            if (!TryParseKey(key, out _, out _))
            {
                throw new ArgumentException($"'{key}' is not a source record key: write source:Type/id (e.g. clinic:Condition/123).", nameof(records));
            }
        }

        return new MergeOverride(kind, keys, string.IsNullOrWhiteSpace(reason) ? null : reason.Trim());
    }

    /// <summary>Whether two overrides say the same thing (kind and records; the reason does not count).</summary>
    /// <param name="other">The other override.</param>
    /// <returns><see langword="true"/> when kind and records are equal.</returns>
    public bool SameAs(MergeOverride other) => other is not null && other.Kind == Kind && other.Records.SequenceEqual(Records, StringComparer.Ordinal);

    /// <summary>Splits <c>source:Type/id</c> (a plain <c>Type/id</c>, no base URL or version).</summary>
    internal static bool TryParseKey(string key, out string source, out string type)
    {
        var ok = Model.RecordKey.TryParse(key, out var parsed);
        (source, type) = ok ? (parsed.Source, parsed.Type) : ("", "");
        return ok;
    }
}

/// <summary>
/// Manual merge decisions that persist across aggregations: "never merge these" splits what the matcher
/// joined, "always merge these" joins what it kept apart. Every aggregation reads them; the matcher never
/// changes them.
/// </summary>
/// <remarks>
/// Implementations must be thread-safe. The default keeps decisions in memory for the life of the process;
/// <c>UseSqliteStore</c> keeps them in the store's database, so they survive restarts.
/// </remarks>
public interface IMergeReview
{
    /// <summary>Every decision, in the order they were recorded.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The decisions.</returns>
    ValueTask<IReadOnlyList<MergeOverride>> GetOverridesAsync(CancellationToken cancellationToken = default);

    /// <summary>Records a decision (a decision that says the same thing as an earlier one replaces it).</summary>
    /// <param name="decision">The decision (see <see cref="MergeOverride.Create"/>).</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    ValueTask AddAsync(MergeOverride decision, CancellationToken cancellationToken = default);

    /// <summary>Removes a decision.</summary>
    /// <param name="decision">A decision with the same kind and records.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns><see langword="true"/> when one was removed.</returns>
    ValueTask<bool> RemoveAsync(MergeOverride decision, CancellationToken cancellationToken = default);
}

/// <summary>An <see cref="IMergeReview"/> that keeps decisions in memory for the life of the process.</summary>
public sealed class InMemoryMergeReview : IMergeReview
{
    private readonly Lock _gate = new();
    private readonly List<MergeOverride> _decisions = [];

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<MergeOverride>> GetOverridesAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<MergeOverride>>([.. _decisions]);
        }
    }

    /// <inheritdoc />
    public ValueTask AddAsync(MergeOverride decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        decision = MergeOverride.Create(decision.Kind, decision.Records, decision.Reason);
        lock (_gate)
        {
            _decisions.RemoveAll(d => d.SameAs(decision));
            _decisions.Add(decision);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> RemoveAsync(MergeOverride decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        decision = MergeOverride.Create(decision.Kind, decision.Records, decision.Reason);
        lock (_gate)
        {
            return ValueTask.FromResult(_decisions.RemoveAll(d => d.SameAs(decision)) > 0);
        }
    }
}
