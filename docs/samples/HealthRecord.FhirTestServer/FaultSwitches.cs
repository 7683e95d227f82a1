using System.Net;

namespace HealthRecord.FhirTestServer;

/// <summary>The kinds of fault the server can inject.</summary>
public enum FaultKind
{
    /// <summary>429 Too Many Requests with <c>Retry-After</c>.</summary>
    TooManyRequests,

    /// <summary>500 Internal Server Error.</summary>
    ServerError,

    /// <summary>503 Service Unavailable with <c>Retry-After</c>.</summary>
    ServiceUnavailable,

    /// <summary>The response is delayed, then served.</summary>
    Slow,

    /// <summary>A Bulk Data output file stops half-way (the connection is cut).</summary>
    TruncatedNdjson,

    /// <summary>A search or <c>$everything</c> page stops half-way (the connection is cut).</summary>
    TruncatedPage,
}

/// <summary>
/// Faults to inject, switchable while the server runs (thread-safe). Each rule applies to requests whose
/// path and query contain <see cref="FaultRule.PathContains"/> (all when null), a number of times or forever.
/// </summary>
public sealed class FaultSwitches
{
    private readonly Lock _gate = new();
    private readonly List<FaultRule> _rules = [];
    private long _tokenGeneration;

    /// <summary>Adds a fault.</summary>
    /// <param name="kind">The fault.</param>
    /// <param name="times">How many matching requests it hits; -1 for all of them.</param>
    /// <param name="pathContains">Only requests whose path and query contain this text; null for all.</param>
    /// <param name="retryAfterSeconds">The <c>Retry-After</c> of 429 and 503 answers.</param>
    /// <param name="delay">The delay of <see cref="FaultKind.Slow"/>.</param>
    public void Add(FaultKind kind, int times = 1, string? pathContains = null, int retryAfterSeconds = 1, TimeSpan delay = default)
    {
        lock (_gate)
        {
            _rules.Add(new FaultRule(kind, times, pathContains, retryAfterSeconds, delay));
        }
    }

    /// <summary>Makes every access token issued so far invalid (the next request with one gets 401).</summary>
    public void ExpireAllTokens() => Interlocked.Increment(ref _tokenGeneration);

    /// <summary>Removes every fault.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    internal long TokenGeneration => Interlocked.Read(ref _tokenGeneration);

    /// <summary>Takes the first rule of one of the kinds that matches the request, counting it down.</summary>
    internal FaultRule? Take(string pathAndQuery, params FaultKind[] kinds)
    {
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if (rule.Remaining == 0 || !kinds.Contains(rule.Kind)
                    || (rule.PathContains is not null && !pathAndQuery.Contains(rule.PathContains, StringComparison.Ordinal)))
                {
                    continue;
                }

                if (rule.Remaining > 0)
                {
                    rule.Remaining--;
                }

                return rule;
            }

            return null;
        }
    }

    internal static HttpStatusCode StatusOf(FaultKind kind) => kind switch
    {
        FaultKind.TooManyRequests => HttpStatusCode.TooManyRequests,
        FaultKind.ServiceUnavailable => HttpStatusCode.ServiceUnavailable,
        _ => HttpStatusCode.InternalServerError,
    };
}

/// <summary>One injected fault.</summary>
public sealed class FaultRule
{
    internal FaultRule(FaultKind kind, int times, string? pathContains, int retryAfterSeconds, TimeSpan delay)
    {
        Kind = kind;
        Remaining = times;
        PathContains = pathContains;
        RetryAfterSeconds = retryAfterSeconds;
        Delay = delay;
    }

    /// <summary>The fault.</summary>
    public FaultKind Kind { get; }

    /// <summary>Matching requests it still hits (-1: all).</summary>
    public int Remaining { get; internal set; }

    /// <summary>The text the path and query must contain.</summary>
    public string? PathContains { get; }

    /// <summary>The <c>Retry-After</c> seconds.</summary>
    public int RetryAfterSeconds { get; }

    /// <summary>The delay.</summary>
    public TimeSpan Delay { get; }
}
