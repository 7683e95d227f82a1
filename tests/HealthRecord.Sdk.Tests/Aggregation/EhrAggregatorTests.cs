using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Tests.Aggregation;

public class EhrAggregatorTests
{
    private static Action<IHealthRecordBuilder> SamplePriority => hr => hr.Configure(o =>
    {
        foreach (var (name, _) in TestHost.SampleSources)
        {
            o.SourcePriority.Add(name);
        }
    });

    [Fact]
    public async Task AggregateAsync_SampleEmrs_BuildOneEhrWithMergedDuplicates()
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources, SamplePriority);

        var ehr = Assert.Single(result.Ehrs);
        Assert.Equal(["northeast-lab", "st-marys-hospital", "valley-primary-care"], ehr.Sources);
        Assert.Equal("Schamberger", ehr.Patient.Name[0].Family);
        Assert.Equal(3, ehr.LinkedPatients.Count);

        // Every immunization was reported by the practice and again by the hospital: each appears once.
        var immunizations = ehr.Records.Where(r => r.Resource is Immunization).ToList();
        Assert.NotEmpty(immunizations);
        Assert.All(immunizations, r => Assert.Equal(["st-marys-hospital", "valley-primary-care"], r.Sources.Select(s => s.SourceName).Order(StringComparer.Ordinal)));

        // The hospital's stale problem-list copy is a conflict, and the practice's value wins by priority.
        var conflict = Assert.Single(ehr.Conflicts);
        Assert.Equal("clinicalStatus", conflict.Element);
        Assert.StartsWith("resolved", conflict.ChosenValue, StringComparison.Ordinal);
        Assert.StartsWith("valley-primary-care:", conflict.ChosenFrom, StringComparison.Ordinal);
        Assert.Equal("active", Assert.Single(conflict.Alternatives).Value);
    }

    [Fact]
    public async Task AggregateAsync_SampleEmrs_RejectsUnusableRecordsWithReasons()
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources);

        var rejected = result.Lineage.Where(l => l.Action == LineageAction.Rejected).OrderBy(l => l.SourceResource, StringComparer.Ordinal).ToList();
        Assert.Equal(["Observation/obs-missing-code", "Observation/obs-missing-subject"], rejected.Select(r => r.SourceResource));
        Assert.Contains("Observation.code", rejected[0].Reason, StringComparison.Ordinal);
        Assert.Contains("Observation.subject", rejected[1].Reason, StringComparison.Ordinal);
        Assert.All(rejected, r => Assert.Null(r.EhrResource));
        Assert.Equal(2, result.Sources.Single(s => s.Name == "northeast-lab").RecordsRejected);
    }

    [Fact]
    public async Task AggregateAsync_EveryRecordReadAppearsInLineageExactlyOnce()
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources);

        var read = result.Sources.Sum(s => s.RecordsRead);
        var rows = result.Lineage.ToList();
        Assert.Equal(read, rows.Count);
        Assert.Equal(rows.Count, rows.Select(r => (r.SourceName, r.SourceResource)).Distinct().Count());

        // Every EHR record is accounted for by at least one source record, and every lineage target exists.
        var ehr = result.Ehrs[0];
        var ehrRefs = ehr.Records.Select(r => r.Reference).Append($"Patient/{ehr.PersonId}").ToHashSet();
        Assert.All(rows.Where(r => r.EhrResource is not null), r => Assert.Contains(r.EhrResource!, ehrRefs));
        Assert.All(ehrRefs, e => Assert.Contains(rows, r => r.EhrResource == e));
    }

    [Fact]
    public async Task AggregateAsync_EveryReferenceResolvesInsideTheEhrBundle()
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources);
        var bundle = EhrBundleBuilder.Build(result.Ehrs[0]);
        var fullUrls = bundle.Entry.Select(e => e.FullUrl).ToHashSet(StringComparer.Ordinal);

        var references = bundle.Entry.SelectMany(e => ResourceReferences.Enumerate(e.Resource!)).Select(x => x.Reference.Reference).Where(r => r is not null).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.True(r!.StartsWith('#') || fullUrls.Contains(r), $"dangling reference {r}"));
    }

    [Fact]
    public async Task AggregateAsync_EveryEhrRecordHasProvenanceNamingItsSources()
    {
        var ehr = (await TestHost.AggregateAsync(TestHost.SampleSources)).Ehrs[0];

        var byTarget = ehr.Provenance.ToDictionary(p => p.Target.Single().Reference!, StringComparer.Ordinal);
        Assert.Equal(ehr.Records.Count + 1, byTarget.Count);
        foreach (var record in ehr.Records)
        {
            var provenance = byTarget[EhrIds.FullUrl(record.Resource.Id!)];
            Assert.Equal(
                record.Sources.Select(s => $"{s.SourceName}|{s.SourceResource}").Order(StringComparer.Ordinal),
                provenance.Entity.Select(e => $"{e.What!.Identifier!.System![EhrIds.SourceSystemPrefix.Length..]}|{e.What.Identifier.Value}").Order(StringComparer.Ordinal));
            Assert.All(provenance.Entity, e => Assert.Equal(Provenance.ProvenanceEntityRole.Source, e.Role));
        }
    }

    [Fact]
    public async Task AggregateAsync_SameInputTwice_GivesByteIdenticalEhr()
    {
        var a = await TestHost.AggregateAsync(TestHost.SampleSources);
        var b = await TestHost.AggregateAsync(TestHost.SampleSources.Reverse());

        Assert.Equal(FhirJson.Serialize(EhrBundleBuilder.Build(a.Ehrs[0])), FhirJson.Serialize(EhrBundleBuilder.Build(b.Ehrs[0])));
    }

    [Fact]
    public async Task AggregateAsync_KeepAllPolicy_MergesNothing()
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources, hr => hr.ConfigureMerge(m => m.Default(MergePolicies.KeepAll())));

        var ehr = Assert.Single(result.Ehrs);
        Assert.DoesNotContain(ehr.Lineage, l => l.Action == LineageAction.Merged && !l.SourceResource.StartsWith("Patient/", StringComparison.Ordinal));
        Assert.Equal(result.Sources.Sum(s => s.RecordsRead) - 2 - 3 + 1, ehr.Records.Count + 1);
    }

    [Fact]
    public async Task AggregateRecordsAsync_ReaggregatesUnderAnotherPolicyWithoutRereadingOrChangingRecords()
    {
        using var sp = TestHost.Create(hr => hr.Configure(o => o.SaveToStore = false));
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var first = await aggregator.AggregateAsync(new AggregationRequest { Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList() });
        var before = first.SourceRecords.Where(r => r.Resource is not null).Select(r => FhirJson.Serialize(r.Resource!)).ToList();

        var again = await aggregator.AggregateRecordsAsync(first.SourceRecords);
        var unmerged = await aggregator.AggregateRecordsAsync(first.SourceRecords, new AggregationRequest { Policy = MergePolicies.KeepAll() });

        Assert.Equal(FhirJson.Serialize(EhrBundleBuilder.Build(first.Ehrs[0])), FhirJson.Serialize(EhrBundleBuilder.Build(again.Ehrs[0])));
        Assert.DoesNotContain(unmerged.Ehrs[0].Lineage, l => l.Action == LineageAction.Merged && !l.SourceResource.StartsWith("Patient/", StringComparison.Ordinal));
        Assert.Equal(first.Lineage.Count(), unmerged.Lineage.Count());
        Assert.Equal(before, first.SourceRecords.Where(r => r.Resource is not null).Select(r => FhirJson.Serialize(r.Resource!)));
    }

    [Fact]
    public async Task AggregateAsync_SameFileTwiceInOneSource_MergesTheRepeatsWithoutError()
    {
        using var tmp = TestHost.TempFolder();
        File.Copy(TestHost.SampleSources[0].Path, tmp.File("a.json"));
        File.Copy(TestHost.SampleSources[0].Path, tmp.File("copy-of-a.json"));

        var result = await TestHost.AggregateAsync([("folder", tmp.Path)]);

        var ehr = Assert.Single(result.Ehrs);
        var once = await TestHost.AggregateAsync([("folder", TestHost.SampleSources[0].Path)]);
        Assert.Equal(once.Ehrs[0].Records.Count, ehr.Records.Count);
        Assert.Equal(2 * once.Lineage.Count(), result.Lineage.Count());
    }

    [Fact]
    public async Task AggregateAsync_BadSources_ReportedWhileOthersAggregate()
    {
        using var tmp = TestHost.TempFolder();
        var malformed = tmp.Write("bad/broken.json", "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":");
        var empty = tmp.Write("empty/empty.json", "");
        var missing = tmp.File("does-not-exist.json");

        var result = await TestHost.AggregateAsync([TestHost.SampleSources[0], ("broken", malformed), ("empty", empty), ("missing", missing)]);

        Assert.Single(result.Ehrs);
        Assert.Contains(result.Issues, i => i.SourceName == "broken" && i.Code == HealthRecordErrorCode.MalformedContent && i.Location!.Contains("broken.json", StringComparison.Ordinal));
        Assert.Contains(result.Issues, i => i.SourceName == "empty" && i.Code == HealthRecordErrorCode.MalformedContent);
        Assert.Contains(result.Issues, i => i.SourceName == "missing" && i.Code == HealthRecordErrorCode.SourceNotFound);
        Assert.Equal(1, result.Sources.Single(s => s.Name == "broken").FailedDocuments);
    }

    [Fact]
    public async Task AggregateAsync_FolderWithUnknownFiles_SkipsNotesAndReportsTheRest()
    {
        using var tmp = TestHost.TempFolder();
        File.Copy(TestHost.SampleSources[0].Path, tmp.File("a.json"));
        tmp.Write("README.md", "# notes");
        tmp.Write("data.bin", "\u0001\u0002binary");

        var result = await TestHost.AggregateAsync([("folder", tmp.Path)]);

        Assert.Single(result.Ehrs);
        var issue = Assert.Single(result.Issues, i => i.Severity == IssueSeverity.Error);
        Assert.Equal(HealthRecordErrorCode.UnsupportedFormat, issue.Code);
        Assert.Equal("data.bin", issue.Location);
    }

    [Fact]
    public async Task AggregateAsync_ConditionalAndRelativeReferences_AreResolved()
    {
        using var tmp = TestHost.TempFolder();
        var path = tmp.Write("tx.json", """
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Doe","given":["Jane"]}],"birthDate":"1970-01-01"}},
              {"fullUrl":"urn:uuid:o1","resource":{"resourceType":"Organization","id":"o1","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}],"name":"Clinic"}},
              {"fullUrl":"urn:uuid:c1","resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"text":"Asthma"},
                "asserter":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999"}}},
              {"fullUrl":"urn:uuid:e1","resource":{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"urn:uuid:p1"},
                "serviceProvider":{"reference":"Organization?identifier=http://hl7.org/fhir/sid/us-npi|1234567893"}}}]}
            """);

        var result = await TestHost.AggregateAsync([("tx", path)]);

        var ehr = Assert.Single(result.Ehrs);
        var encounter = (Encounter)ehr.Records.Single(r => r.Resource is Encounter).Resource;
        var org = ehr.Records.Single(r => r.Resource is Organization).Resource;
        Assert.Equal(EhrIds.FullUrl(org.Id!), encounter.ServiceProvider!.Reference);
        Assert.Equal(EhrIds.FullUrl(ehr.PersonId), encounter.Subject!.Reference);

        // The practitioner the condition names is not in the source: the link is removed, what it said is kept.
        var condition = (Condition)ehr.Records.Single(r => r.Resource is Condition).Resource;
        Assert.Null(condition.Asserter!.Reference);
        Assert.Contains("Practitioner?identifier", condition.Asserter.Display, StringComparison.Ordinal);
        Assert.Contains(result.Issues, i => i.Code == HealthRecordErrorCode.UnresolvedReference && i.Message.Contains("Condition.asserter", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AggregateAsync_RecordsOfAMissingPatient_AreRejectedNotDropped()
    {
        using var tmp = TestHost.TempFolder();
        var path = tmp.Write("obs.ndjson",
            "{\"resourceType\":\"Patient\",\"id\":\"p1\"}\n"
            + "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/p1\"}}\n"
            + "{\"resourceType\":\"Observation\",\"id\":\"o2\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/nobody\"}}\n");

        var result = await TestHost.AggregateAsync([("s", path)]);

        var row = Assert.Single(result.Lineage, l => l.SourceResource == "Observation/o2");
        Assert.Equal(LineageAction.Rejected, row.Action);
        Assert.Contains("does not resolve to a Patient", row.Reason, StringComparison.Ordinal);
    }

    // #17: a source that names a patient without including one is never attached to the only person of the run.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task AggregateAsync_SourceWithoutItsPatientAndNoDeclaration_StaysUnattributed(int persons)
    {
        using var tmp = TestHost.TempFolder();
        var sources = new List<SourceRequest> { new("server", StrangerRecords(tmp)), new(TestHost.SampleSources[0].Name, TestHost.SampleSources[0].Path) };
        if (persons == 2)
        {
            sources.Add(new("other", tmp.Write("other.json", "{\"resourceType\":\"Patient\",\"id\":\"x\",\"name\":[{\"family\":\"Zzyzx\",\"given\":[\"Quentin\"]}],\"birthDate\":\"2001-02-03\",\"gender\":\"male\"}")));
        }

        var result = await AggregateAsync(sources);

        Assert.Equal(persons, result.Ehrs.Count);
        Assert.All(result.Ehrs, e => Assert.DoesNotContain("server", e.Sources));
        Assert.All(result.Ehrs, e => Assert.DoesNotContain(e.Lineage, l => l.SourceName == "server"));
        var condition = Assert.Single(result.Unattributed, l => l.SourceResource == "Condition/c1");
        Assert.Equal(LineageAction.Rejected, condition.Action);
        Assert.Equal("", condition.PersonId);
        Assert.Contains("did not declare the source's person", condition.Reason, StringComparison.Ordinal);
        // The reference data that came with the stranger's records stays out too.
        Assert.Contains(result.Unattributed, l => l.SourceResource == "Practitioner/dr");
    }

    [Theory]
    [InlineData("valley-primary-care:Patient/eba03315-2043-442b-80a8-a4d8d265ac99")]
    [InlineData("urn:oid:2.16.840.1.113883.3.7001.2|VPC-EBA03315")]
    public async Task AggregateAsync_SourceWithDeclaredPerson_JoinsThatPerson(string declaration)
    {
        using var tmp = TestHost.TempFolder();
        var other = tmp.Write("other.json", "{\"resourceType\":\"Patient\",\"id\":\"x\",\"name\":[{\"family\":\"Zzyzx\",\"given\":[\"Quentin\"]}],\"birthDate\":\"2001-02-03\",\"gender\":\"male\"}");
        var result = await AggregateAsync(
        [
            new("server", StrangerRecords(tmp)) { Patient = declaration },
            new(TestHost.SampleSources[0].Name, TestHost.SampleSources[0].Path),
            new("other", other),
        ]);

        Assert.Equal(2, result.Ehrs.Count);
        var ehr = Assert.Single(result.Ehrs, e => e.Sources.Contains("server"));
        Assert.Contains(ehr.LinkedPatients, p => p.SourceName == "valley-primary-care");
        var row = Assert.Single(ehr.Lineage, l => l.SourceResource == "Condition/c1");
        Assert.NotEqual(LineageAction.Rejected, row.Action);
        var condition = (Condition)ehr.Records.Single(r => r.Reference == row.EhrResource).Resource;
        Assert.Equal(EhrIds.FullUrl(ehr.PersonId), condition.Subject!.Reference);
        Assert.Contains(ehr.Lineage, l => l.SourceResource == "Practitioner/dr" && l.Action != LineageAction.Rejected);
        Assert.DoesNotContain(result.Unattributed, l => l.SourceName == "server");
        Assert.Contains(result.Issues, i => i.SourceName == "server" && i.Message.Contains("the person the host declared", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("valley-primary-care:Patient/nobody", "matches no Patient")]
    [InlineData("valley-primary-care:Condition/x", "is not a Patient record key")]
    [InlineData("just-a-name", "neither a Patient record key")]
    public async Task AggregateAsync_SourceWithDeclarationThatFindsNoOne_StaysUnattributed(string declaration, string reason)
    {
        using var tmp = TestHost.TempFolder();
        var result = await AggregateAsync(
        [
            new("server", StrangerRecords(tmp)) { Patient = declaration },
            new(TestHost.SampleSources[0].Name, TestHost.SampleSources[0].Path),
        ]);

        var ehr = Assert.Single(result.Ehrs);
        Assert.DoesNotContain("server", ehr.Sources);
        var row = Assert.Single(result.Unattributed, l => l.SourceResource == "Condition/c1");
        Assert.Contains(reason, row.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AggregateAsync_DeclarationMatchingSeveralPersons_StaysUnattributed()
    {
        using var tmp = TestHost.TempFolder();
        var twin = tmp.Write("twin.json", "{\"resourceType\":\"Patient\",\"id\":\"t\",\"identifier\":[{\"system\":\"urn:oid:2.16.840.1.113883.3.7001.2\",\"value\":\"VPC-EBA03315\"}],\"name\":[{\"family\":\"Zzyzx\",\"given\":[\"Quentin\"]}],\"birthDate\":\"2001-02-03\",\"gender\":\"male\"}");
        var result = await AggregateAsync(
        [
            new("server", StrangerRecords(tmp)) { Patient = "urn:oid:2.16.840.1.113883.3.7001.2|VPC-EBA03315" },
            new(TestHost.SampleSources[0].Name, TestHost.SampleSources[0].Path),
            new("twin", twin),
        ]);

        if (result.Ehrs.Count > 1)
        {
            var row = Assert.Single(result.Unattributed, l => l.SourceResource == "Condition/c1");
            Assert.Contains("several persons", row.Reason, StringComparison.Ordinal);
        }
        else
        {
            // The linker joined the two Patients (same identifier): then the declaration finds one person.
            Assert.Contains("server", result.Ehrs[0].Sources);
        }
    }

    [Fact]
    public async Task ReaggregateAsync_KeepsTheDeclaredPerson()
    {
        using var tmp = TestHost.TempFolder();
        using var sp = TestHost.Create(hr => hr.Configure(o => o.SaveToStore = false));
        var aggregator = (EhrAggregator)sp.GetRequiredService<IEhrAggregator>();
        var read = await aggregator.ReadAsync(new AggregationRequest
        {
            Sources =
            [
                new("server", StrangerRecords(tmp)) { Patient = "valley-primary-care:Patient/eba03315-2043-442b-80a8-a4d8d265ac99" },
                new(TestHost.SampleSources[0].Name, TestHost.SampleSources[0].Path),
            ],
        });

        var result = await aggregator.ReaggregateAsync(new ReaggregationRequest { Input = read });

        Assert.Contains("server", Assert.Single(result.Ehrs).Sources);
    }

    private static string StrangerRecords(TempFolder tmp) => tmp.Write("records.ndjson",
        "{\"resourceType\":\"Condition\",\"id\":\"c1\",\"subject\":{\"reference\":\"Patient/1\"},\"code\":{\"text\":\"Asthma\"},\"asserter\":{\"reference\":\"Practitioner/dr\"}}\n"
        + "{\"resourceType\":\"Practitioner\",\"id\":\"dr\",\"name\":[{\"family\":\"Who\"}]}\n");

    private static async Task<AggregationResult> AggregateAsync(IReadOnlyList<SourceRequest> sources)
    {
        using var sp = TestHost.Create(hr => hr.Configure(o => o.SaveToStore = false));
        return await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = sources });
    }

    [Fact]
    public async Task AggregateAsync_SavesEachEhrAsANewVersionOnlyWhenItChanged()
    {
        using var sp = TestHost.Create();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var store = sp.GetRequiredService<IEhrStore>();
        var request = new AggregationRequest { Sources = [new SourceRequest(TestHost.SampleSources[0].Name, TestHost.SampleSources[0].Path)] };

        var first = await aggregator.AggregateAsync(request);
        var again = await aggregator.AggregateAsync(request);
        var more = await aggregator.AggregateAsync(new AggregationRequest { Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList() });

        Assert.Equal(1, first.Ehrs[0].Version);
        Assert.Equal(1, again.Ehrs[0].Version);
        Assert.Equal(2, more.Ehrs[0].Version);
        var stored = await store.GetAsync(more.Ehrs[0].PersonId);
        Assert.Equal(FhirJson.Serialize(EhrBundleBuilder.Build(more.Ehrs[0])), FhirJson.Serialize(EhrBundleBuilder.Build(stored!)));
    }

    [Fact]
    public async Task AggregateAsync_ReportsProgressThroughEveryStage()
    {
        using var sp = TestHost.Create();
        var stages = new List<string>();
        var progress = new InlineProgress(p => stages.Add(p.Stage));

        await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = [new SourceRequest("a", TestHost.SampleSources[0].Path)], Progress = progress });

        Assert.Equal(["read", "resolve", "link", "merge", "save"], stages.Distinct());
    }

    [Fact]
    public async Task AggregateAsync_Cancelled_Throws()
    {
        using var sp = TestHost.Create();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = [new SourceRequest("a", TestHost.SampleSources[0].Path)] }, cts.Token));
    }

    [Theory]
    [InlineData("a", "a")]
    [InlineData("a:b", "c")]
    public async Task AggregateAsync_BadSourceNames_Throw(string first, string second)
    {
        using var sp = TestHost.Create();
        await Assert.ThrowsAsync<ArgumentException>(() =>
            sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = [new SourceRequest(first, "x"), new SourceRequest(second, "y")] }));
    }

    [CorpusFact]
    public async Task AggregateAsync_SyntheaPatientSplitInTwoIdenticalSources_MergesEverythingOnce()
    {
        var path = Corpus.PathOf("fhir-bundles/synthea/Antonio_Runolfsson_a1795152-808d-4cb9-b259-ce6e3716dedf.json");
        var result = await TestHost.AggregateAsync([("a", path), ("b", path)]);

        var ehr = Assert.Single(result.Ehrs);
        Assert.Equal(145, ehr.Records.Count);
        Assert.All(ehr.Lineage, l => Assert.Equal(LineageAction.Merged, l.Action));
        Assert.Empty(ehr.Conflicts);
    }

    [CorpusFact]
    public async Task AggregateAsync_BulkNdjsonExport_ReadsEveryFile()
    {
        var result = await TestHost.AggregateAsync([("bulk", Corpus.PathOf("bulk-ndjson/10-patients"))]);

        var summary = Assert.Single(result.Sources);
        Assert.True(summary.RecordsRead > 1000, $"read {summary.RecordsRead}");

        // The export client's log is not FHIR: reported as such, and the only document that failed.
        Assert.Equal(1, summary.FailedDocuments);
        Assert.Contains(result.Issues, i => i.Code == HealthRecordErrorCode.UnsupportedFormat && i.Location == "log.ndjson");
        // The "10-patients" export holds 13 distinct Synthea people (some deceased): one EHR each.
        var people = File.ReadLines(Corpus.PathOf("bulk-ndjson/10-patients/Patient.000.ndjson")).Count();
        Assert.Equal(people, result.Ehrs.Count);

        // Conservation with many persons: every record read is accounted for, once in each EHR it belongs to
        // (shared reference data such as an organisation belongs to every person whose records use it).
        Assert.Equal(summary.RecordsRead, result.Lineage.Select(l => (l.SourceName, l.SourceResource)).Distinct().Count());
        Assert.All(result.Ehrs, e => Assert.Equal(e.Lineage.Count, e.Lineage.Select(l => l.SourceResource).Distinct().Count()));
        var patientRows = result.Lineage.Where(l => l.SourceResource.StartsWith("Patient/", StringComparison.Ordinal)).ToList();
        Assert.Equal(people, patientRows.Count);
        Assert.Equal(people, patientRows.Select(l => l.PersonId).Distinct().Count());
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
}
