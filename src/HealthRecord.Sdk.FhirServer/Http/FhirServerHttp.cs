using System.Net;
using HealthRecord.Sdk.FhirServer.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace HealthRecord.Sdk.FhirServer.Http;

/// <summary>The named <see cref="HttpClient"/> of each source, with its resilience pipeline built from the source's options.</summary>
internal static class FhirServerHttp
{
    private const string Prefix = "HealthRecord.FhirServer:";

    public static string ClientName(string? sourceName) => Prefix + (sourceName ?? "");

    public static void AddClient(IServiceCollection services, string optionsName)
    {
        services.AddHttpClient(ClientName(optionsName))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AllowAutoRedirect = false,
            })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("fhir-server", (builder, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptionsMonitor<FhirServerSourceOptions>>().Get(optionsName);
                Configure(builder, o);
            });
    }

    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max)
    {
        if (response?.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        var delay = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return delay is null ? null : TimeSpan.FromTicks(Math.Clamp(delay.Value.Ticks, 0, max.Ticks));
    }

    /// <summary>Retries (outermost: each attempt may be answered by the breaker), then the circuit breaker, then the attempt timeout.</summary>
    internal static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, FhirServerSourceOptions o)
    {
        var retry = new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(o.MaxRetryAttempts, 0) == 0 ? 1 : o.MaxRetryAttempts,
            ShouldHandle = o.MaxRetryAttempts == 0
                ? static _ => PredicateResult.False()
                : static args => ValueTask.FromResult(HttpClientResiliencePredicates.IsTransient(args.Outcome) || args.Outcome.Exception is Polly.Timeout.TimeoutRejectedException),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = o.RetryBaseDelay,
            MaxDelay = o.MaxRetryDelay,
            // Retry-After is honoured, but never beyond MaxRetryDelay (a server asking for an hour is not waited for).
            ShouldRetryAfterHeader = false,
            DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, o.MaxRetryDelay)),
        };

        // POSTs (token requests) are retried by their caller with a fresh assertion; DELETEs are best-effort.
        retry.DisableForUnsafeHttpMethods();
        builder.AddRetry(retry);
        builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = 0.9,
            MinimumThroughput = 20,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = o.CircuitBreakDuration,
        });
        builder.AddTimeout(o.AttemptTimeout);
    }
}
