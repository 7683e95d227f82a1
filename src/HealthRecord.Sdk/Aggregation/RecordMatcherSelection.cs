using HealthRecord.Sdk.Deduplication;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// Chooses the matcher for a resource type: a host's matchers first (type-specific, then catch-all, the last
/// registered winning), then the SDK's default clinical matcher for its types, then exact duplicates.
/// </summary>
/// <remarks>
/// The default matcher is known by identity (the instance the SDK registered), never by testing a matcher's
/// concrete type: a host that registers its own <see cref="ClinicalRecordMatcher"/> has it treated as its own.
/// </remarks>
internal sealed class RecordMatcherSelection
{
    private readonly IRecordMatcher[] _host;
    private readonly IRecordMatcher _default;
    private readonly ExactDuplicateMatcher _exact = new();

    /// <summary>Creates the selection.</summary>
    /// <param name="matchers">Every registered matcher, in registration order.</param>
    /// <param name="defaultMatcher">The SDK's default matcher (one of <paramref name="matchers"/> when registered by DI), or <see langword="null"/> for a new one.</param>
    public RecordMatcherSelection(IEnumerable<IRecordMatcher> matchers, IRecordMatcher? defaultMatcher)
    {
        _default = defaultMatcher ?? new ClinicalRecordMatcher();
        _host = matchers.Where(m => !ReferenceEquals(m, _default)).ToArray();
    }

    public IRecordMatcher For(string type) =>
        _host.LastOrDefault(m => m.ResourceTypes.Contains(type))
        ?? _host.LastOrDefault(m => m.ResourceTypes.Count == 0)
        ?? (_default.ResourceTypes.Contains(type) ? _default : _exact);
}
