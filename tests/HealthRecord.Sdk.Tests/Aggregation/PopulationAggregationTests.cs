using FluentValidation;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Aggregation;

/// <summary>Person-by-person runs (<see cref="IPopulationAggregator"/>, implemented by <see cref="EhrAggregator"/>).</summary>
public class PopulationAggregationTests
{
    [CorpusFact]
    public async Task AggregatePopulationAsync_BulkNdjsonOfManyPeople_GivesTheEhrsOfAWholeRun()
    {
        var sources = new List<SourceRequest> { new("bulk", Corpus.PathOf("bulk-ndjson/10-patients")) };

        var (population, ehrs) = await RunPopulationAsync(sources, parallelism: 2);
        var whole = await AggregateAsync(sources);

        // Records of many people mixed in one file per type: one part, the same EHRs as a whole run.
        Assert.Equal(1, population.Parts);
        Assert.Equal(whole.Ehrs.Count, population.Persons);
        Assert.Equal(whole.Ehrs.Select(Json), ehrs.Select(Json));
        Assert.Equal(whole.Unattributed, population.Unattributed);
        Assert.All(ehrs, e => Assert.Equal(e.Lineage.Count, e.SourceRecords.Count));
    }

    [CorpusFact]
    public async Task AggregatePopulationAsync_PerPatientFiles_OnePartPerPersonAndTheSameOutputAtAnyParallelism()
    {
        using var tmp = TestHost.TempFolder();
        // The second EMR holds the first person again: linked across sources, still one part for that person.
        CopyThreePeopleIntoTwoEmrs(tmp);
        var sources = new List<SourceRequest> { new("a", tmp.File("a")), new("b", tmp.File("b")) };

        var (one, sequential) = await RunPopulationAsync(sources, parallelism: 1);
        var (four, parallel) = await RunPopulationAsync(sources, parallelism: 4);
        var whole = await AggregateAsync(sources);

        Assert.Equal(3, one.Persons);
        Assert.Equal(3, one.Parts);
        Assert.Equal(sequential.Select(Json), parallel.Select(Json));
        Assert.Equal(whole.Ehrs.Select(e => e.PersonId), sequential.Select(e => e.PersonId));
        Assert.Equal(whole.Ehrs.Select(e => e.CountByType()), sequential.Select(e => e.CountByType()));
        Assert.Equal(whole.Ehrs.Select(e => e.Lineage.Count), sequential.Select(e => e.Lineage.Count));
        Assert.Equal(2, sequential.Single(e => e.Sources.Count == 2).LinkedPatients.Count);
        Assert.Equal(one.Sources.Select(s => (s.Name, s.Documents, s.RecordsRead, s.RecordsRejected)), four.Sources.Select(s => (s.Name, s.Documents, s.RecordsRead, s.RecordsRejected)));
    }

    [Fact]
    public async Task AggregatePopulationAsync_PatientScanFirstPass_SameCountsAndIssuesAsAWholeRun()
    {
        using var tmp = TestHost.TempFolder();
        Directory.CreateDirectory(tmp.File("a"));
        Directory.CreateDirectory(tmp.File("b"));
        static string Person(string id, string family, string birth, string extra) => """
            {"resourceType":"Bundle","type":"collection","entry":[
              {"fullUrl":"urn:uuid:ID","resource":{"resourceType":"Patient","id":"ID","identifier":[{"system":"urn:mrn","value":"ID"}],"name":[{"family":"FAMILY","given":["Kim"]}],"gender":"female","birthDate":"BIRTH"EXTRA}},
              {"fullUrl":"urn:uuid:ID-o","resource":{"resourceType":"Observation","id":"ID-o","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]},"subject":{"reference":"urn:uuid:ID"},"effectiveDateTime":"2020-01-01","valueQuantity":{"value":170,"unit":"cm"},"notAnElement":1}},
              {"fullUrl":"urn:uuid:ID-c","resource":{"resourceType":"Condition","id":"ID-c","subject":{"reference":"urn:uuid:ID"},"code":{"text":"asthma"},"bogus":true}}
            ]}
            """.Replace("ID", id, StringComparison.Ordinal).Replace("FAMILY", family, StringComparison.Ordinal).Replace("BIRTH", birth, StringComparison.Ordinal).Replace("EXTRA", extra, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(tmp.File("a"), "1.json"), Person("p1", "Ashdown", "1970-03-04", ",\"multipleBirthInteger\":\"two\""));
        await File.WriteAllTextAsync(Path.Combine(tmp.File("a"), "2.json"), Person("p2", "Brightwater", "1985-06-07", ""));
        await File.WriteAllTextAsync(Path.Combine(tmp.File("b"), "1.json"), Person("q1", "Ashdown", "1970-03-04", ""));
        await File.WriteAllTextAsync(Path.Combine(tmp.File("b"), "broken.json"), "{\"resourceType\":\"Bundle\",\"entry\":[");
        var sources = new List<SourceRequest> { new("a", tmp.File("a")), new("b", tmp.File("b")) };

        var (population, _) = await RunPopulationAsync(sources, parallelism: 2, validateElements: true);
        var whole = await AggregateAsync(sources, validateElements: true);

        // The first pass deserialised only the Patients, yet the summaries and the issues (document errors, every
        // record's warnings) are those of a run that read everything.
        Assert.Equal(whole.Sources.Select(s => (s.Name, s.Documents, s.FailedDocuments, s.RecordsRead, s.RecordsRejected)),
            population.Sources.Select(s => (s.Name, s.Documents, s.FailedDocuments, s.RecordsRead, s.RecordsRejected)));
        Assert.Contains(population.Issues, i => i.Location == "1.json#entry[1]" && i.Severity == IssueSeverity.Warning);
        Assert.Contains(population.Issues, i => i.Code == HealthRecordErrorCode.MalformedContent && i.SourceName == "b");
        Assert.Equal(ReadIssues(whole.Issues), ReadIssues(population.Issues));
    }

    [CorpusFact]
    public async Task AggregatePopulationAsync_FeaturesLinkedWhileReading_SameAsLinkingPatientsAtAnyParallelism()
    {
        using var tmp = TestHost.TempFolder();
        // One Patient id twice in a source (the "#2" key), the first person in another EMR, and a Patient a host's validator rejects.
        var files = CopyThreePeopleIntoTwoEmrs(tmp);
        File.Copy(files[1], Path.Combine(tmp.File("a"), "resent.json"));
        await File.WriteAllTextAsync(Path.Combine(tmp.File("b"), "noid.json"), """
            {"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Nobody","given":["Ann"]}],"birthDate":"1970-01-01"}}]}
            """);
        var sources = new List<SourceRequest> { new("a", tmp.File("a")), new("b", tmp.File("b")) };

        // The default matcher links features computed while reading; the same matcher behind a host's wrapper is given Patients.
        var nobody = new InlineValidator<Resource>();
        nobody.RuleFor(r => r).Must(r => r is not Patient p || p.Name.All(n => n.Family != "Nobody")).WithMessage("no Nobody");
        var (features, featureEhrs) = await RunPopulationAsync(sources, parallelism: 1, validator: nobody);
        var (featuresFour, featureEhrsFour) = await RunPopulationAsync(sources, parallelism: 4, validator: nobody);
        var (patients, patientEhrs) = await RunPopulationAsync(sources, parallelism: 4, matcher: new OpaqueMatcher(new ProbabilisticPatientMatcher()), validator: nobody);

        static IEnumerable<string> Links(PopulationResult r) => r.PatientLinks.Select(l => $"{l.Left}|{l.Right}|{l.Score}|{l.Decision}|{l.Explanation}|{l.LeftRecord}|{l.RightRecord}");
        Assert.Equal(3, features.Persons);
        Assert.Contains(features.Unattributed, u => u.SourceName == "b" && u.Reason.Contains("no Nobody", StringComparison.Ordinal));
        Assert.Contains(features.PatientLinks, l => l.Right.EndsWith("#2", StringComparison.Ordinal) || l.Left.EndsWith("#2", StringComparison.Ordinal));
        Assert.Equal(Links(patients), Links(features));
        Assert.Equal(Links(features), Links(featuresFour));
        Assert.Equal(patientEhrs.Select(Json), featureEhrs.Select(Json));
        Assert.Equal(featureEhrs.Select(Json), featureEhrsFour.Select(Json));
        Assert.Equal(patients.Unattributed, features.Unattributed);
        Assert.Equal(patients.Issues.Select(i => i.ToString()), features.Issues.Select(i => i.ToString()));
        Assert.Equal(features.Issues.Select(i => i.ToString()), featuresFour.Issues.Select(i => i.ToString()));
    }

    [Fact]
    public async Task AggregatePopulationAsync_ReportsPeopleDoneRateAndTimeLeft()
    {
        var progress = new List<AggregationProgress>();
        using var sp = TestHost.Create(hr => hr.Configure(o => o.SaveToStore = false));
        await sp.GetRequiredService<IPopulationAggregator>().AggregatePopulationAsync(
            new AggregationRequest { Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList(), Progress = new InlineProgress(progress.Add) },
            (_, _) => ValueTask.CompletedTask);

        Assert.Equal(["read", "link", "merge"], progress.Select(p => p.Stage).Distinct());
        var last = progress[^1];
        Assert.Equal("merge", last.Stage);
        Assert.Equal(1, last.Completed);
        Assert.Equal(1, last.Total);
        Assert.True(last.RecordsDone > 0);
        Assert.Equal(TimeSpan.Zero, last.EstimatedRemaining);
    }

    [Fact]
    public async Task AggregatePopulationAsync_CancelledWhileHandingOver_StopsAndThrows()
    {
        using var sp = TestHost.Create(hr => hr.Configure(o => o.SaveToStore = false));
        using var cts = new CancellationTokenSource();
        var handed = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sp.GetRequiredService<IPopulationAggregator>().AggregatePopulationAsync(
            new AggregationRequest { Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList() },
            (_, _) =>
            {
                handed++;
                cts.Cancel();
                cts.Token.ThrowIfCancellationRequested();
                return ValueTask.CompletedTask;
            },
            cts.Token));

        Assert.Equal(1, handed);
    }

    [CorpusFact]
    public async Task AggregatePopulationAsync_HandOverFails_ReportsThatErrorAndStopsTheParts()
    {
        using var tmp = TestHost.TempFolder();
        foreach (var f in Corpus.SyntheaBundles().Take(4))
        {
            File.Copy(f, tmp.File(Path.GetFileName(f)));
        }

        using var sp = TestHost.Create(hr => hr.Configure(o =>
        {
            o.SaveToStore = false;
            o.MaxDegreeOfParallelism = 2;
        }));
        var handed = 0;

        // The host's hand-over (writing a file) fails on the first EHR: that error, not a cancellation, comes out.
        var ex = await Assert.ThrowsAsync<IOException>(() => sp.GetRequiredService<IPopulationAggregator>().AggregatePopulationAsync(
            new AggregationRequest { Sources = [new SourceRequest("a", tmp.Path)] },
            (_, _) =>
            {
                handed++;
                throw new IOException("disk full");
            }));

        Assert.Equal("disk full", ex.Message);
        Assert.Equal(1, handed);
    }

    // What reading reports (document errors, element-level warnings), not the issues of building each EHR.
    private static IEnumerable<string> ReadIssues(IEnumerable<EhrIssue> issues) => issues
        .Where(i => i.Code is HealthRecordErrorCode.InvalidResource or HealthRecordErrorCode.MalformedContent)
        .Select(i => $"{i.Severity}|{i.Code}|{i.SourceName}|{i.Location}|{i.Message}")
        .Order(StringComparer.Ordinal);

    private static string Json(EhrAggregate ehr) => FhirJson.Serialize(EhrBundleBuilder.Build(ehr));

    private static async Task<AggregationResult> AggregateAsync(IReadOnlyList<SourceRequest> sources, bool validateElements = false)
    {
        using var sp = TestHost.Create(hr => hr.Configure(o =>
        {
            o.SaveToStore = false;
            o.ValidateFhirElements = validateElements;
        }));
        return await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = sources });
    }

    private static async Task<(PopulationResult Result, List<EhrAggregate> Ehrs)> RunPopulationAsync(IReadOnlyList<SourceRequest> sources, int parallelism, bool validateElements = false,
        IPatientMatcher? matcher = null, IValidator<Resource>? validator = null)
    {
        using var sp = TestHost.Create(hr =>
        {
            hr.Configure(o =>
            {
                o.SaveToStore = false;
                o.ValidateFhirElements = validateElements;
                o.MaxDegreeOfParallelism = parallelism;
                o.MaxParallelSources = parallelism;
            });
            if (matcher is not null)
            {
                hr.UsePatientMatcher(matcher);
            }

            if (validator is not null)
            {
                hr.Services.AddSingleton(validator);
            }
        });
        var ehrs = new List<EhrAggregate>();
        var result = await sp.GetRequiredService<IPopulationAggregator>().AggregatePopulationAsync(new AggregationRequest { Sources = sources }, (ehr, _) =>
        {
            ehrs.Add(ehr);
            return ValueTask.CompletedTask;
        });
        ehrs.Sort((a, b) => string.CompareOrdinal(a.PersonId, b.PersonId));
        return (result, ehrs);
    }

    // A host's matcher: the aggregator cannot see that it could link features, so it is given the Patients.
    private sealed class OpaqueMatcher(IPatientMatcher inner) : IPatientMatcher
    {
        public ValueTask<PatientLinkResult> LinkAsync(IReadOnlyList<PatientCandidate> patients, CancellationToken cancellationToken = default) =>
            inner.LinkAsync(patients, cancellationToken);
    }

    private sealed class InlineProgress(Action<AggregationProgress> report) : IProgress<AggregationProgress>
    {
        private readonly Lock _gate = new();

        public void Report(AggregationProgress value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }

    // Three Synthea people in EMR folder "a", the first of them again in EMR folder "b" (again.json); returns the three files.
    private static List<string> CopyThreePeopleIntoTwoEmrs(TempFolder tmp)
    {
        var files = Corpus.SyntheaBundles().Take(3).ToList();
        Directory.CreateDirectory(tmp.File("a"));
        Directory.CreateDirectory(tmp.File("b"));
        foreach (var f in files)
        {
            File.Copy(f, Path.Combine(tmp.File("a"), Path.GetFileName(f)));
        }

        File.Copy(files[0], Path.Combine(tmp.File("b"), "again.json"));
        return files;
    }
}
