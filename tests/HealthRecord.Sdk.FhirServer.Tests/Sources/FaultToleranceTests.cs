using System.Diagnostics;
using HealthRecord.FhirTestServer;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Sources;
using HealthRecord.Sdk.Model;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.FhirServer.Tests.Sources;

/// <summary>Every injected fault is either retried into a complete read, or reported as an incomplete source: never silently partial.</summary>
public class FaultToleranceTests
{
    private static async Task<(List<Sdk.Sources.SourceDocumentResult> Documents, HashSet<string> Expected)> ReadAsync(FhirTestServer.FhirTestServer server, ServiceProvider host)
    {
        var documents = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));
        return (documents, await FhirServerTestKit.FileKeysAsync(FhirServerTestKit.SampleBundle));
    }

    [Theory]
    [InlineData(FaultKind.TooManyRequests)]
    [InlineData(FaultKind.ServiceUnavailable)]
    [InlineData(FaultKind.ServerError)]
    public async Task ReadAsync_TransientFaults_AreRetriedIntoACompleteRead(FaultKind kind)
    {
        await using var server = await FhirServerTestKit.StartAsync();
        server.Faults.Add(kind, times: 3, pathContains: "$everything");
        using var host = FhirServerTestKit.Host(server, o => o.PageSize = 30);

        var (documents, expected) = await ReadAsync(server, host);

        Assert.Equal(expected.Order(), FhirServerTestKit.Keys(documents).Order());
        Assert.Equal(FhirServerSyncStatus.Complete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
    }

    [Fact]
    public async Task ReadAsync_TooManyRequests_HonoursRetryAfter()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        server.Faults.Add(FaultKind.TooManyRequests, times: 1, pathContains: "$everything", retryAfterSeconds: 1);
        using var host = FhirServerTestKit.Host(server, o => o.MaxRetryDelay = TimeSpan.FromSeconds(5));

        var watch = Stopwatch.StartNew();
        var (documents, expected) = await ReadAsync(server, host);

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"waited {watch.Elapsed} for Retry-After: 1");
        Assert.Equal(expected.Count, FhirServerTestKit.Keys(documents).Count);
    }

    [Fact]
    public async Task ReadAsync_PageCutOffHalfWay_IsAskedAgain()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        server.Faults.Add(FaultKind.TruncatedPage, times: 2, pathContains: "_offset=30");
        using var host = FhirServerTestKit.Host(server, o => o.PageSize = 30);

        var (documents, expected) = await ReadAsync(server, host);

        Assert.Equal(expected.Count, FhirServerTestKit.Keys(documents).Count);
        Assert.Equal(3, server.Count("_offset=30"));
    }

    [Fact]
    public async Task ReadAsync_SlowResponse_TimesOutAndRetries()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        server.Faults.Add(FaultKind.Slow, times: 1, pathContains: "$everything", delay: TimeSpan.FromSeconds(6));
        using var host = FhirServerTestKit.Host(server, o => o.AttemptTimeout = TimeSpan.FromSeconds(1.5));

        var (documents, expected) = await ReadAsync(server, host);

        Assert.Equal(expected.Count, FhirServerTestKit.Keys(documents).Count);
        Assert.True(server.Count("$everything") >= 2, "the slow request was sent again");
    }

    [Fact]
    public async Task AggregateAsync_ServerFailsPartWay_SourceIsReportedIncomplete()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        // The first page is served; every later page fails, whatever the retries.
        server.Faults.Add(FaultKind.ServerError, times: -1, pathContains: "_offset=");
        using var host = FhirServerTestKit.Host(server, o => o.PageSize = 20);

        var result = await FhirServerTestKit.AggregateAsync(host, FhirServerTestKit.PatientUrl(server));

        var issue = Assert.Single(result.Issues, i => i.Severity == IssueSeverity.Error && i.SourceName == "hospital-a");
        Assert.Equal(HealthRecordErrorCode.SourceUnavailable, issue.Code);
        Assert.Contains("incomplete", issue.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", issue.Message, StringComparison.Ordinal);
        var state = host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!;
        Assert.Equal(FhirServerSyncStatus.Incomplete, state.Status);
        Assert.Null(state.LastCompleteRead);
        Assert.True(server.Count("_offset=20") >= 5, "the failing page was retried before giving up");
    }

    [Fact]
    public async Task ReadAsync_ServerDown_CircuitBreakerStopsSendingRequests()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        server.Faults.Add(FaultKind.ServerError, times: -1, pathContains: "$everything");
        using var host = FhirServerTestKit.Host(server, o =>
        {
            o.MaxRetryAttempts = 20;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(10);
            o.CircuitBreakDuration = TimeSpan.FromSeconds(30);
        });

        var first = await Assert.ThrowsAsync<SourceReadException>(() => FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server)));
        var sent = server.Count("$everything");
        var second = await Assert.ThrowsAsync<SourceReadException>(() => FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server)));

        Assert.Contains("circuit breaker", first.Reason, StringComparison.Ordinal);
        Assert.InRange(sent, 18, 21); // the breaker opens once 90% of at least 20 requests (metadata included) failed
        Assert.Contains("circuit breaker", second.Reason, StringComparison.Ordinal);
        Assert.Equal(sent, server.Count("$everything"));
    }

    [Fact]
    public async Task ReadAsync_AlwaysSlow_ReportsTheSourceIncomplete()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        server.Faults.Add(FaultKind.Slow, times: -1, pathContains: "$everything", delay: TimeSpan.FromSeconds(2));
        using var host = FhirServerTestKit.Host(server, o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(200);
            o.MaxRetryAttempts = 2;
        });

        var ex = await Assert.ThrowsAsync<SourceReadException>(() => FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server)));

        Assert.Equal(HealthRecordErrorCode.SourceUnavailable, ex.Code);
        Assert.Contains("did not answer in time", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(FhirServerSyncStatus.Incomplete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
    }
}
