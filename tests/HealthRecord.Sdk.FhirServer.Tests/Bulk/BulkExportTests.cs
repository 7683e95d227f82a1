using HealthRecord.FhirTestServer;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Sources;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.FhirServer.Tests.Bulk;

/// <summary>Bulk Data export over real HTTP on loopback: kick-off, polling, NDJSON files, error file, DELETE, resume.</summary>
public class BulkExportTests
{
    private static string BulkSample => Corpus.PathOf("bulk-ndjson/10-patients");

    [CorpusFact]
    public async Task AggregateAsync_GroupExportOfTheBulkSample_OneEhrPerPersonAsFromTheFiles()
    {
        await using var server = await FhirServerTestKit.StartAsync(o =>
        {
            o.GzipBulkFiles = true;
            o.BulkResourcesPerFile = 250;
            o.BulkPollsBeforeComplete = 2;
        }, BulkSample);
        using var host = FhirServerTestKit.Host(server);

        var fromServer = await FhirServerTestKit.AggregateAsync(host, $"{server.BaseUri}/Group/all/$export");
        var fromFiles = await TestHost.AggregateAsync([("hospital-a", BulkSample)]);

        // The "10-patients" sample holds 13 Patients (3 deceased): one EHR each, with the same clinical records as from the files.
        var people = File.ReadLines(Path.Combine(BulkSample, "Patient.000.ndjson")).Count();
        Assert.Equal(people, fromServer.Ehrs.Count);
        Assert.Equal(ClinicalRecordsByPerson(fromFiles), ClinicalRecordsByPerson(fromServer));
        Assert.DoesNotContain(fromServer.Issues, i => i.Severity == IssueSeverity.Error);
        Assert.True(fromServer.Sources[0].Documents > 10, "many output files");
        Assert.Equal(3, server.Count("GET /fhir/bulkstatus/"));
        Assert.Single(server.DeletedExports);
        var state = host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!;
        Assert.Equal(FhirServerSyncStatus.Complete, state.Status);
        Assert.NotNull(state.Since);
    }

    [CorpusFact]
    public async Task ReadAsync_SystemExportOfTheBulkSample_EveryResourceOfTheFiles()
    {
        await using var server = await FhirServerTestKit.StartAsync(o => o.BulkResourcesPerFile = 500, BulkSample);
        using var host = FhirServerTestKit.Host(server);

        var documents = await FhirServerTestKit.ReadAllAsync(host, $"{server.BaseUri}/$export");

        Assert.Equal((await FhirServerTestKit.AllFileKeysAsync(BulkSample)).Order(), FhirServerTestKit.Keys(documents).Order());
    }

    private static SortedDictionary<string, int> ClinicalRecordsByPerson(Aggregation.AggregationResult result) =>
        new(result.Ehrs.ToDictionary(
            e => e.PersonId,
            e => e.Records.Count(r => r.Resource.TypeName is "Condition" or "MedicationRequest" or "Procedure" or "AllergyIntolerance")), StringComparer.Ordinal);

    [Fact]
    public async Task ReadAsync_PatientExportWithTypes_ReadsThoseTypes()
    {
        await using var server = await FhirServerTestKit.StartAsync(o => o.BulkResourcesPerFile = 10);
        using var host = FhirServerTestKit.Host(server);

        var documents = await FhirServerTestKit.ReadAllAsync(host, $"{server.BaseUri}/Patient/$export?_type=Patient,Immunization");

        var keys = FhirServerTestKit.Keys(documents);
        Assert.Equal(14, keys.Count);
        Assert.All(keys, k => Assert.True(k.StartsWith("Patient/", StringComparison.Ordinal) || k.StartsWith("Immunization/", StringComparison.Ordinal)));
        Assert.Contains(server.Requests, r => r.Contains("_type=Patient,Immunization", StringComparison.Ordinal));
        Assert.Single(server.DeletedExports);
    }

    [Fact]
    public async Task ReadAsync_SystemExportSince_ReadsOnlyWhatChanged()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        server.Touch("Patient", FhirServerTestKit.SamplePatientId, new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero));
        using var host = FhirServerTestKit.Host(server);

        var documents = await FhirServerTestKit.ReadAllAsync(host, $"{server.BaseUri}/$export?_since=2025-01-01T00:00:00Z");

        Assert.Equal(["Patient/" + FhirServerTestKit.SamplePatientId], FhirServerTestKit.Keys(documents));
    }

    [Fact]
    public async Task AggregateAsync_ErrorFile_IsReportedAsIssuesAndTheSourceIncomplete()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = FhirServerTestKit.Host(server);

        var result = await FhirServerTestKit.AggregateAsync(host, $"{server.BaseUri}/Patient/$export?_type=Patient,Condition,not-a-type");

        var issue = Assert.Single(result.Issues, i => i.Severity == IssueSeverity.Error);
        Assert.Contains("not-a-type", issue.Message, StringComparison.Ordinal);
        Assert.Equal("hospital-a", issue.SourceName);
        Assert.Single(result.Ehrs);
        Assert.Equal(FhirServerSyncStatus.Incomplete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
    }

    [Fact]
    public async Task ReadAsync_FileCutOffOnce_IsFetchedAgainAndComplete()
    {
        await using var server = await FhirServerTestKit.StartAsync(o => o.BulkResourcesPerFile = 40);
        server.Faults.Add(FaultKind.TruncatedNdjson, times: 1, pathContains: "Observation.001");
        using var host = FhirServerTestKit.Host(server);

        var documents = await FhirServerTestKit.ReadAllAsync(host, $"{server.BaseUri}/Patient/$export");

        Assert.All(documents, d => Assert.True(d.Succeeded));
        Assert.Equal((await FhirServerTestKit.FileKeysAsync(FhirServerTestKit.SampleBundle)).Count, FhirServerTestKit.Keys(documents).Count);
        Assert.Equal(2, server.Count("Observation.001.ndjson"));
        Assert.Equal(FhirServerSyncStatus.Complete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
    }

    [Fact]
    public async Task ReadAsync_FileAlwaysCutOff_ReportedAndResumedLaterWithoutRefetchingFinishedFiles()
    {
        using var checkpoints = TestHost.TempFolder();
        await using var server = await FhirServerTestKit.StartAsync(o =>
        {
            o.BulkResourcesPerFile = 40;
            o.GzipBulkFiles = true;
        });
        server.Faults.Add(FaultKind.TruncatedNdjson, times: -1, pathContains: "Observation.001");
        using var host = FhirServerTestKit.Host(server, o => o.CheckpointDirectory = checkpoints.Path);
        var location = $"{server.BaseUri}/Patient/$export";

        var first = await FhirServerTestKit.ReadAllAsync(host, location);

        var failed = Assert.Single(first, d => !d.Succeeded);
        Assert.Equal(HealthRecordErrorCode.SourceUnavailable, failed.Error!.Code);
        Assert.Contains("could not be downloaded completely", failed.Error.Reason, StringComparison.Ordinal);
        Assert.Equal(FhirServerSyncStatus.Incomplete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
        Assert.Empty(server.DeletedExports);
        Assert.True(File.Exists(Path.Combine(checkpoints.Path, "hospital-a.bulk.json")));
        var requestsBefore = server.Requests.Count;

        server.Faults.Clear();
        var second = await FhirServerTestKit.ReadAllAsync(host, location);

        var later = server.Requests.Skip(requestsBefore).ToList();
        Assert.DoesNotContain(later, r => r.Contains("$export", StringComparison.Ordinal));
        Assert.Single(later, r => r.Contains("/bulkfiles/", StringComparison.Ordinal));
        Assert.All(second, d => Assert.True(d.Succeeded));
        Assert.Equal((await FhirServerTestKit.FileKeysAsync(FhirServerTestKit.SampleBundle)).Count, FhirServerTestKit.Keys(second).Count);
        Assert.Single(server.DeletedExports);
        Assert.False(File.Exists(Path.Combine(checkpoints.Path, "hospital-a.bulk.json")));
        Assert.Contains("\"Complete\"", File.ReadAllText(Path.Combine(checkpoints.Path, "hospital-a.sync.json")), StringComparison.Ordinal);
        Assert.Equal(FhirServerSyncStatus.Complete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
    }

    [Fact]
    public async Task ReadAsync_CancelledWhileExporting_DeletesTheJob()
    {
        await using var server = await FhirServerTestKit.StartAsync(o =>
        {
            o.BulkPollsBeforeComplete = 1000;
            o.BulkRetryAfterSeconds = 1;
        });
        using var host = FhirServerTestKit.Host(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(4));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FhirServerTestKit.ReadAllAsync(host, $"{server.BaseUri}/$export", cancellationToken: cts.Token));

        Assert.Single(server.DeletedExports);
        var state = host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!;
        Assert.Equal(FhirServerSyncStatus.Incomplete, state.Status);
        Assert.Contains("% done", state.Progress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_StatusPolls_HonourRetryAfter()
    {
        await using var server = await FhirServerTestKit.StartAsync(o =>
        {
            o.BulkPollsBeforeComplete = 1;
            o.BulkRetryAfterSeconds = 1;
        });
        using var host = FhirServerTestKit.Host(server, o => o.BulkMaxPollInterval = TimeSpan.FromSeconds(5));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var documents = await FhirServerTestKit.ReadAllAsync(host, $"{server.BaseUri}/Patient/$export?_type=Patient");

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"polled again after {watch.Elapsed}, not after Retry-After: 1");
        Assert.Single(FhirServerTestKit.Keys(documents));
    }

    [Fact]
    public async Task ReadAsync_UnknownGroup_FailsNamingTheSource()
    {
        await using var server = await FhirServerTestKit.StartAsync();
        using var host = FhirServerTestKit.Host(server);

        var ex = await Assert.ThrowsAsync<SourceReadException>(() => FhirServerTestKit.ReadAllAsync(host, $"{server.BaseUri}/Group/nope/$export"));

        Assert.Equal(HealthRecordErrorCode.SourceNotFound, ex.Code);
        Assert.Equal("hospital-a", ex.SourceName);
    }
}
