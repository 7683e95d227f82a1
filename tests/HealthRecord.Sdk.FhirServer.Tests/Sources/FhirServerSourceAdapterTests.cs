using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Sources;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.FhirServer.Tests.Sources;

/// <summary>Reading one patient over real HTTP on loopback from the sample test server.</summary>
public class FhirServerSourceAdapterTests
{
    [Fact]
    public async Task ReadAsync_ServerWithEverything_ReadsEveryPageOfTheRecord()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = FhirServerTestKit.Host(server, o => o.PageSize = 20);

        var documents = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));

        // Everything the EMR file holds comes back (its Organizations and Practitioners as referenced resources), each once.
        var expected = await FhirServerTestKit.FileKeysAsync(FhirServerTestKit.SampleBundle);
        var records = documents.SelectMany(d => d.Records).ToList();
        Assert.Equal(expected.Order(), FhirServerTestKit.Keys(documents).Order());
        Assert.Equal(records.Count, records.Select(r => r.SourceReference).Distinct().Count());
        Assert.True(documents.Count >= expected.Count / 20, "one document per page");
        Assert.All(documents, d => Assert.True(d.Succeeded));
        Assert.True(server.Count("$everything") >= documents.Count);
        Assert.True(server.Count("_offset=") > 0, "next links were followed");
        Assert.Equal(FhirServerSyncStatus.Complete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
    }

    [Fact]
    public async Task ReadAsync_ServerWithoutEverything_SearchesEachCompartmentType()
    {
        await using var server = await FhirServerTestKit.StartAsync(o => o.SupportsEverything = false);
        using var host = FhirServerTestKit.Host(server, o => o.PageSize = 10);

        var documents = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));

        var expected = await FhirServerTestKit.FileKeysAsync(FhirServerTestKit.SampleBundle);
        Assert.Equal(expected.Order(), FhirServerTestKit.Keys(documents).Order());
        Assert.Equal(0, server.Count("$everything"));
        Assert.True(server.Count("Observation?patient=") > 1, "Observation pages were followed");
        Assert.True(server.Count("_include=Encounter") > 0, "referenced practitioners and organisations were included");
    }

    [Fact]
    public async Task ReadAsync_UseEverythingFalse_SearchesEvenWhenOffered()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = FhirServerTestKit.Host(server, o => o.UseEverything = false);

        var documents = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));

        Assert.Equal(0, server.Count("$everything"));
        Assert.Contains("Patient/" + FhirServerTestKit.SamplePatientId, FhirServerTestKit.Keys(documents));
    }

    [Fact]
    public async Task ReadAsync_Since_ReadsOnlyWhatChanged()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = FhirServerTestKit.Host(server);
        var all = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));
        var changed = all.SelectMany(d => d.Records).Where(r => r.ResourceType is "Observation" or "Condition").Take(3).ToList();
        foreach (var r in changed)
        {
            Assert.True(server.Touch(r.ResourceType, r.ResourceId, new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero)));
        }

        var documents = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server) + "&_since=2025-01-01T00:00:00Z");

        Assert.Equal(changed.Select(r => r.SourceReference).Order(), FhirServerTestKit.Keys(documents).Where(k => !k.StartsWith("Organization/", StringComparison.Ordinal) && !k.StartsWith("Practitioner/", StringComparison.Ordinal)).Order());
        Assert.Contains(server.Requests, r => r.Contains("_since=2025-01-01", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AggregateAsync_PatientFromServer_SameEhrAsTheFile()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = FhirServerTestKit.Host(server, o => o.PageSize = 25);

        var fromServer = await FhirServerTestKit.AggregateAsync(host, FhirServerTestKit.PatientUrl(server));
        var fromFile = await TestHost.AggregateAsync([("hospital-a", FhirServerTestKit.SampleBundle)]);

        Assert.Single(fromServer.Ehrs);
        var expected = await FhirServerTestKit.FileKeysAsync(FhirServerTestKit.SampleBundle);
        Assert.Equal(SourcesOf(fromFile).Where(expected.Contains).Order(), SourcesOf(fromServer).Order());
        Assert.DoesNotContain(fromServer.Issues, i => i.Severity == Model.IssueSeverity.Error);
    }

    [Fact]
    public async Task AggregateRecordsAsync_SinceRefreshOverEarlierRecords_GivesTheSameEhrAsAFullRead()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = FhirServerTestKit.Host(server);
        var aggregator = host.GetRequiredService<IEhrAggregator>();
        var first = await FhirServerTestKit.AggregateAsync(host, FhirServerTestKit.PatientUrl(server));
        var since = host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Since!.Value;
        var changed = first.SourceRecords.First(r => r.ResourceType == "Condition");
        server.Touch(changed.ResourceType, changed.ResourceId, since.AddMinutes(1));

        // The host's incremental refresh: read what changed since the last complete read, put it over the earlier records.
        var refresh = await FhirServerTestKit.AggregateAsync(host, FhirServerTestKit.PatientUrl(server) + "&_since=" + Uri.EscapeDataString(since.ToString("O")));
        var refreshed = refresh.SourceRecords.Select(r => r.SourceReference).ToHashSet(StringComparer.Ordinal);
        var merged = first.SourceRecords.Where(r => !refreshed.Contains(r.SourceReference)).Concat(refresh.SourceRecords).ToList();
        var incremental = await aggregator.AggregateRecordsAsync(merged, new AggregationRequest { SaveToStore = false });
        var full = await FhirServerTestKit.AggregateAsync(host, FhirServerTestKit.PatientUrl(server));

        Assert.Contains(changed.SourceReference, refreshed);
        Assert.True(refresh.SourceRecords.Count < first.SourceRecords.Count / 10, "the refresh reads only what changed");
        Assert.Equal(Assert.Single(full.Ehrs).PersonId, Assert.Single(incremental.Ehrs).PersonId);
        Assert.Equal(full.Ehrs[0].Records.Select(r => r.Reference).Order(), incremental.Ehrs[0].Records.Select(r => r.Reference).Order());
    }

    private static HashSet<string> SourcesOf(Aggregation.AggregationResult result) =>
        result.Ehrs.SelectMany(e => e.Records).SelectMany(r => r.Sources).Select(s => s.SourceResource).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public async Task ReadAsync_UnknownPatient_FailsNamingTheSource()
    {
        await using var server = await FhirServerTestKit.StartAsync(o => o.SupportsEverything = false);
        using var host = FhirServerTestKit.Host(server);

        var ex = await Assert.ThrowsAsync<SourceReadException>(() => FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server, "no-such-patient")));

        Assert.Equal(HealthRecordErrorCode.SourceNotFound, ex.Code);
        Assert.Equal("hospital-a", ex.SourceName);
        Assert.Equal(FhirServerSyncStatus.Incomplete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
    }

    [Theory]
    [InlineData("http://fhir.example.org/r4?patient=1")]
    [InlineData("http://10.0.0.5/fhir/$export")]
    public void ReadAsync_PlainHttpToAnotherHost_IsRefused(string location)
    {
        using var host = TestHost.Create(hr => hr.AddFhirServerSources(FhirServerTestKit.Fast));
        var adapter = host.GetRequiredService<FhirServerSourceAdapter>();

        var ex = Assert.Throws<SourceReadException>(() => adapter.ReadAsync(new SourceRequest("remote", location)));

        Assert.Equal(HealthRecordErrorCode.InvalidConfiguration, ex.Code);
        Assert.Contains("loopback", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_UrlSourceWithDefaults_ReadsWithoutANamedSource()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = TestHost.Create(hr => hr.AddFhirServerSources(FhirServerTestKit.Fast));

        var documents = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server), name: "ad-hoc");

        Assert.Contains("Patient/" + FhirServerTestKit.SamplePatientId, FhirServerTestKit.Keys(documents));
    }

    [Fact]
    public async Task ReadAsync_LocationOffTheConfiguredBase_IsRefused()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = FhirServerTestKit.Host(server);
        var adapter = host.GetRequiredService<FhirServerSourceAdapter>();

        var ex = Assert.Throws<SourceReadException>(() => adapter.ReadAsync(new SourceRequest("hospital-a", "https://other.example/fhir?patient=1")));

        Assert.Equal(HealthRecordErrorCode.InvalidConfiguration, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_Cancelled_StopsAndRecordsIt()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        server.Faults.Add(FhirTestServer.FaultKind.Slow, times: -1, pathContains: "_offset=", delay: TimeSpan.FromSeconds(5));
        using var host = FhirServerTestKit.Host(server, o => o.PageSize = 10);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var started = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server), cancellationToken: cts.Token));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(4), "cancellation does not wait for the slow page");
        var state = host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!;
        Assert.Equal(FhirServerSyncStatus.Incomplete, state.Status);
        Assert.Contains("cancelled", state.LastError, StringComparison.Ordinal);
    }
}
