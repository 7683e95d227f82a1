using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace HealthRecord.Sdk.TestSupport.Storage;

/// <summary>What one store backend offers: the EHR store and the reviewers' answers kept beside it.</summary>
/// <param name="Store">The EHR store.</param>
/// <param name="MergeReview">The merge decisions kept in the same store.</param>
/// <param name="LinkReview">The identity answers kept in the same store.</param>
/// <param name="AuditLog">The AuditEvents kept in the same store.</param>
public sealed record StoreSet(IEhrStore Store, IMergeReview MergeReview, ILinkReview LinkReview, IEhrAuditLog AuditLog);

/// <summary>
/// The contract every <see cref="IEhrStore"/> keeps. A backend's test class derives from it and says how to open
/// the store; every test here then runs against that backend (in-memory, SQLite, PostgreSQL).
/// </summary>
public abstract class EhrStoreConformanceTests
{
    private static readonly Lazy<(EhrAggregate Full, EhrAggregate Partial)> Samples = new(() =>
    {
        var full = TestHost.AggregateAsync(TestHost.SampleSources).GetAwaiter().GetResult();
        var partial = TestHost.AggregateAsync(TestHost.SampleSources.Take(2)).GetAwaiter().GetResult();
        return (full.Ehrs.Single() with { SourceRecords = full.SourceRecords }, partial.Ehrs.Single() with { SourceRecords = partial.SourceRecords });
    });

    /// <summary>The sample patient aggregated from all three sample EMRs, with its source records.</summary>
    protected static EhrAggregate Sample => Samples.Value.Full;

    /// <summary>The same patient from two of the three EMRs: another person id (named from another first patient), the same patients.</summary>
    protected static EhrAggregate SamePatientOtherId => Samples.Value.Partial;

    /// <summary>Opens the backend's store; each call in one test opens another instance over the same stored data.</summary>
    /// <returns>The stores.</returns>
    protected abstract StoreSet Open();

    [SkippableFact]
    public async Task SaveAsync_ThenGetAsync_RoundTripsTheEhrAndItsSourceRecords()
    {
        var stores = Open();

        var saved = await stores.Store.SaveAsync(Sample);
        var read = await Open().Store.GetAsync(Sample.PersonId);

        Assert.Equal(1, saved.Version);
        Assert.NotNull(read);
        Assert.Equal(1, read.Version);
        Assert.Equal(FhirJson.Serialize(EhrBundleBuilder.Build(Sample)), FhirJson.Serialize(EhrBundleBuilder.Build(read)));
        Assert.Equal(Sample.Lineage, read.Lineage);
        Assert.Equal(Sample.LinkedPatients, read.LinkedPatients);
        Assert.Equal(Sample.SourceRecords.Count, read.SourceRecords.Count);
        Assert.Equal(Sample.SourceRecords.Select(r => r.ToString()), read.SourceRecords.Select(r => r.ToString()));
        Assert.Equal(
            Sample.SourceRecords.Select(r => r.Resource is null ? "" : FhirJson.Serialize(r.Resource)),
            read.SourceRecords.Select(r => r.Resource is null ? "" : FhirJson.Serialize(r.Resource)));
    }

    [SkippableFact]
    public async Task GetAsync_SourceRecordsKept_ReaggregateWithoutReadingTheSources()
    {
        var stores = Open();
        await stores.Store.SaveAsync(Sample);
        var read = await stores.Store.GetRequiredAsync(Sample.PersonId);

        using var sp = TestHost.Create();
        var again = await sp.GetRequiredService<IEhrAggregator>().AggregateRecordsAsync(read.SourceRecords, new AggregationRequest { SaveToStore = false });

        Assert.Equal(FhirJson.Serialize(EhrBundleBuilder.Build(Sample)), FhirJson.Serialize(EhrBundleBuilder.Build(again.Ehrs.Single())));
    }

    [SkippableFact]
    public async Task SaveAsync_UnchangedContent_AddsNoVersion()
    {
        var store = Open().Store;
        await store.SaveAsync(Sample);

        var again = await Open().Store.SaveAsync(Sample);

        Assert.Equal(1, again.Version);
        Assert.Single(await ToListAsync(store.ListVersionsAsync(Sample.PersonId)));
    }

    [SkippableFact]
    public async Task SaveAsync_ChangedContent_KeepsEveryEarlierVersionIntact()
    {
        var store = Open().Store;
        var v1 = await store.SaveAsync(Sample);
        var v2 = await store.SaveAsync(Smaller(1));
        var v3 = await store.SaveAsync(Smaller(2));

        Assert.Equal([1, 2, 3], new[] { v1.Version, v2.Version, v3.Version });
        var versions = await ToListAsync(Open().Store.ListVersionsAsync(Sample.PersonId));
        Assert.Equal([1, 2, 3], versions.Select(v => v.Version));
        Assert.Equal(Sample.Records.Count + 1, versions[0].RecordCount);
        Assert.Equal(Sample.Records.Count - 1, versions[2].RecordCount);
        Assert.Equal(Sample.Records.Count, (await store.GetRequiredAsync(Sample.PersonId, 1)).Records.Count);
        Assert.Equal(Sample.Records.Count - 1, (await store.GetRequiredAsync(Sample.PersonId, 2)).Records.Count);
        Assert.Equal(3, (await store.GetRequiredAsync(Sample.PersonId)).Version);
        Assert.Equal(versions.Select(v => v.ContentHash).Distinct().Count(), versions.Count);
    }

    [SkippableFact]
    public async Task ListPersonsAsync_ListsEachPersonOnceWithItsLatestVersion()
    {
        var store = Open().Store;
        Assert.Empty(await ToListAsync(store.ListPersonsAsync()));
        await store.SaveAsync(Sample);
        await store.SaveAsync(Smaller(1));
        var other = Rebased(Sample, "00000000-0000-8000-8000-000000000001", "other");
        await store.SaveAsync(other);

        var persons = await ToListAsync(Open().Store.ListPersonsAsync());

        Assert.Equal(new[] { other.PersonId, Sample.PersonId }.Order(StringComparer.Ordinal), persons.Select(p => p.PersonId));
        Assert.Equal(2, persons.Single(p => p.PersonId == Sample.PersonId).Version);
        Assert.Equal(Sample.Sources, persons.Single(p => p.PersonId == Sample.PersonId).Sources);
    }

    [SkippableFact]
    public async Task DiffAsync_NamesRecordsAddedRemovedAndChanged()
    {
        var store = Open().Store;
        var changedRecord = Sample.Records[2];
        var edited = (Hl7.Fhir.Model.Resource)changedRecord.Resource.DeepCopy();
        edited.Meta = new Hl7.Fhir.Model.Meta { VersionId = "edited" };
        await store.SaveAsync(Smaller(1));
        await store.SaveAsync(Sample with { Records = Sample.Records.Select(r => r == changedRecord ? r with { Resource = edited } : r).Take(Sample.Records.Count - 1).ToList() });

        var diff = await Open().Store.DiffAsync(Sample.PersonId, 1, 2);

        Assert.Equal([Sample.Records[0].Reference], diff.Added);
        Assert.Equal([Sample.Records[^1].Reference], diff.Removed);
        Assert.Equal([changedRecord.Reference], diff.Changed);
        Assert.Equal(Sample.Records.Count - 3 + 1, diff.Unchanged);
        Assert.True((await store.DiffAsync(Sample.PersonId, 2, 2)).IsEmpty);
    }

    [SkippableFact]
    public async Task GetRequiredAsync_MissingPersonOrVersion_ThrowsNotFound()
    {
        var store = Open().Store;
        await store.SaveAsync(Sample);

        Assert.Null(await store.GetAsync("nobody"));
        Assert.Null(await store.GetAsync(Sample.PersonId, 7));
        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => store.DiffAsync(Sample.PersonId, 1, 7));
        Assert.Equal(EhrStoreErrorKind.NotFound, ex.Kind);
        Assert.Equal(HealthRecordErrorCode.StoreFailure, ex.Code);
    }

    [SkippableFact]
    public async Task FindPersonAsync_FindsThePersonOfAnyLinkedPatient()
    {
        var store = Open().Store;
        await store.SaveAsync(Sample);

        Assert.Equal(Sample.PersonId, await Open().Store.FindPersonAsync([Sample.LinkedPatients[^1].ToString(), "x:Patient/none"]));
        Assert.Null(await store.FindPersonAsync(["x:Patient/none"]));
        Assert.Null(await store.FindPersonAsync([]));
    }

    [SkippableFact]
    public async Task SaveAsync_PatientsClaimedByAnotherWriter_SavesAsThePersonThatWon()
    {
        Assert.NotEqual(Sample.PersonId, SamePatientOtherId.PersonId);
        await Open().Store.SaveAsync(Sample);

        // Another writer aggregated the same patient without seeing the stored person (it looked before the save).
        var saved = await Open().Store.SaveAsync(SamePatientOtherId);

        Assert.Equal(Sample.PersonId, saved.PersonId);
        Assert.Equal(Sample.PersonId, saved.Patient.Id);
        Assert.Equal(2, saved.Version);
        var persons = await ToListAsync(Open().Store.ListPersonsAsync());
        Assert.Equal(Sample.PersonId, Assert.Single(persons).PersonId);
        var read = await Open().Store.GetRequiredAsync(Sample.PersonId);
        Assert.All(read.Lineage, l => Assert.Equal(Sample.PersonId, l.PersonId));
        Assert.DoesNotContain(SamePatientOtherId.PersonId, FhirJson.Serialize(EhrBundleBuilder.Build(read)), StringComparison.Ordinal);

        // The rebased ids are the ones an aggregation that continued the stored person would give.
        using var sp = TestHost.Create(hr => hr.UseStore(_ => Open().Store));
        var continued = await sp.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = TestHost.SampleSources.Take(2).Select(s => new Sources.SourceRequest(s.Name, s.Path)).ToList() });
        Assert.Equal(Sample.PersonId, continued.Ehrs.Single().PersonId);
        Assert.Equal(read.Records.Select(r => r.Reference), continued.Ehrs.Single().Records.Select(r => r.Reference));
        Assert.Equal(FhirJson.Serialize(EhrBundleBuilder.Build(read)), FhirJson.Serialize(EhrBundleBuilder.Build(continued.Ehrs.Single())));
    }

    [SkippableFact]
    public async Task SaveAsync_ConcurrentWritersOfOnePatient_CreateOnePerson()
    {
        var saved = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => Open().Store.SaveAsync(i % 2 == 0 ? Sample : SamePatientOtherId))));

        var persons = await ToListAsync(Open().Store.ListPersonsAsync());
        var person = Assert.Single(persons);
        Assert.All(saved, s => Assert.Equal(person.PersonId, s.PersonId));
        var versions = await ToListAsync(Open().Store.ListVersionsAsync(person.PersonId));
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.Version));
        Assert.Subset(versions.Select(v => v.Version).ToHashSet(), saved.Select(s => s.Version).ToHashSet());
    }

    [SkippableFact]
    public async Task SaveAsync_ConcurrentWritersOfOnePerson_LoseNoVersion()
    {
        var variants = Enumerable.Range(0, 8).Select(Smaller).ToArray();

        var saved = await Task.WhenAll(variants.Select(v => Task.Run(() => Open().Store.SaveAsync(v))));

        Assert.Equal(Enumerable.Range(1, 8), saved.Select(s => s.Version).Order());
        var store = Open().Store;
        foreach (var s in saved)
        {
            Assert.Equal(s.Records.Count, (await store.GetRequiredAsync(Sample.PersonId, s.Version)).Records.Count);
        }

        if (store is IEhrStoreIntegrity integrity)
        {
            Assert.Empty(await integrity.CheckIntegrityAsync());
        }
    }

    [SkippableFact]
    public async Task SaveAsync_AfterTheCallerKeptThePersonsApart_SavesTheNewPerson()
    {
        var store = Open().Store;
        await store.SaveAsync(Sample);
        var keys = SamePatientOtherId.LinkedPatients.Select(p => p.ToString()).ToList();

        // A reviewer split the person: the aggregator was told about the stored person and chose another one.
        Assert.Equal(Sample.PersonId, await store.FindPersonAsync(keys));
        var split = await store.SaveAsync(SamePatientOtherId);

        Assert.Equal(SamePatientOtherId.PersonId, split.PersonId);
        Assert.Equal(2, (await ToListAsync(store.ListPersonsAsync())).Count);
        Assert.Equal(SamePatientOtherId.PersonId, await Open().Store.FindPersonAsync(keys));
    }

    [SkippableFact]
    public async Task AggregateAsync_SourceRenamedOrNewForTheSamePatient_KeepsTheStoredPerson()
    {
        using var folder = TestHost.TempFolder();
        var hospital = TestHost.SampleSources[1].Path;
        var clinic = WriteBundle(folder.File("clinic.json"), OtherRecordOf("clinic-77", "Man", "male", "999-43-2320"));
        var twin = WriteBundle(folder.File("twin.json"), OtherRecordOf("twin-12", "Jon", "male", "999-43-2391"));
        using var sp = TestHost.Create(hr => hr.UseStore(_ => Open().Store));
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        async Task<string> AggregateAsync(string name, string path) =>
            (await aggregator.AggregateAsync(new AggregationRequest { Sources = [new Sources.SourceRequest(name, path)] })).Ehrs.Single().PersonId;

        var person = await AggregateAsync("hospital", hospital);

        // The same data under another source name, then a new source with other record ids: the same person, by identity evidence.
        Assert.Equal(person, await AggregateAsync("st-marys", hospital));
        Assert.Equal(person, await AggregateAsync("walk-in-clinic", clinic));
        Assert.Equal(person, Assert.Single(await ToListAsync(Open().Store.ListPersonsAsync())).PersonId);
        Assert.Equal(3, (await ToListAsync(Open().Store.ListVersionsAsync(person))).Count);
        Assert.Equal(person, await Open().Store.FindPersonAsync(["st-marys:Patient/86d061d655598ad7"]));

        // A twin (same family name, birth date, home and phone; another given name and SSN) is never attached.
        var twinPerson = await AggregateAsync("twin-clinic", twin);
        Assert.NotEqual(person, twinPerson);
        Assert.Equal(new[] { person, twinPerson }.Order(StringComparer.Ordinal), (await ToListAsync(Open().Store.ListPersonsAsync())).Select(p => p.PersonId));
        Assert.Equal(3, (await ToListAsync(Open().Store.ListVersionsAsync(person))).Count);
    }

    [SkippableFact]
    public async Task AggregateAsync_OnlyAPossibleLinkToAStoredPerson_StaysANewPersonForReview()
    {
        using var folder = TestHost.TempFolder();
        var stores = Open();
        // A twin: the score is high (family name, birth date, home, phone), but the given names clearly differ, so at most possible.
        var twin = WriteBundle(folder.File("twin.json"), OtherRecordOf("moved-3", "Jon", "male", "999-43-2391"));
        using var sp = TestHost.Create(hr =>
        {
            hr.UseStore(_ => Open().Store);
            hr.Services.AddSingleton(stores.LinkReview);
        });
        var aggregator = sp.GetRequiredService<IEhrAggregator>();
        var person = (await aggregator.AggregateAsync(new AggregationRequest { Sources = [new Sources.SourceRequest("hospital", TestHost.SampleSources[1].Path)] })).Ehrs.Single().PersonId;

        var other = (await aggregator.AggregateAsync(new AggregationRequest { Sources = [new Sources.SourceRequest("other-town", twin)] })).Ehrs.Single().PersonId;

        Assert.NotEqual(person, other);
        var pending = await Open().LinkReview.GetPendingAsync();
        var link = Assert.Single(pending, l => (l.Left, l.Right) == ("hospital:Patient/86d061d655598ad7", "other-town:Patient/moved-3"));
        Assert.Equal(LinkDecision.Possible, link.Decision);
    }

    /// <summary>A record of the sample patient's household from another EMR: its own Patient id and medical record number, one Observation.</summary>
    /// <param name="id">The Patient id.</param>
    /// <param name="given">The given name.</param>
    /// <param name="gender">The gender (male, female).</param>
    /// <param name="ssn">The social security number.</param>
    /// <returns>The bundle.</returns>
    protected static Bundle OtherRecordOf(string id, string given, string gender, string ssn)
    {
        var patient = new Patient
        {
            Id = id,
            Identifier =
            [
                new Identifier("urn:oid:2.16.840.1.113883.3.9999.1", "MRN-" + id),
                new Identifier("http://hl7.org/fhir/sid/us-ssn", ssn),
            ],
            Name = [new HumanName { Family = "Schamberger", Given = [given] }],
            Gender = Enum.Parse<AdministrativeGender>(gender, ignoreCase: true),
            BirthDate = "1949-04-19",
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Home, "555-701-3878")],
            Address = [new Address { Line = ["966 Skiles Mill Suite 99"], City = "Grafton", State = "Massachusetts", PostalCode = "01519", Country = "US" }],
        };
        var observation = new Observation
        {
            Id = "obs-" + id,
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8302-2", "Body height"),
            Subject = new ResourceReference("Patient/" + id),
            Effective = new FhirDateTime("2024-03-01"),
            Value = new Quantity(180, "cm"),
        };
        return new Bundle
        {
            Type = Bundle.BundleType.Collection,
            Entry = [new Bundle.EntryComponent { Resource = patient }, new Bundle.EntryComponent { Resource = observation }],
        };
    }

    /// <summary>Writes a bundle as FHIR JSON.</summary>
    /// <param name="path">The file.</param>
    /// <param name="bundle">The bundle.</param>
    /// <returns>The file.</returns>
    protected static string WriteBundle(string path, Bundle bundle)
    {
        File.WriteAllText(path, FhirJson.Serialize(bundle));
        return path;
    }

    [SkippableFact]
    public async Task SaveAsync_ExpectedVersionNoLongerLatest_ThrowsConflictAndWritesNothing()
    {
        var store = Assert.IsAssignableFrom<IVersionedEhrStore>(Open().Store);
        Assert.Equal(1, (await store.SaveAsync(Sample, 0)).Version);
        Assert.Equal(2, (await store.SaveAsync(Smaller(1), 1)).Version);

        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => store.SaveAsync(Smaller(2), 1));
        var again = await Assert.ThrowsAsync<EhrStoreException>(() => ((IVersionedEhrStore)Open().Store).SaveAsync(SamePatientOtherId, 0));

        Assert.Equal(EhrStoreErrorKind.Conflict, ex.Kind);
        Assert.Equal(EhrStoreErrorKind.Conflict, again.Kind);
        Assert.Equal([1, 2], (await ToListAsync(store.ListVersionsAsync(Sample.PersonId))).Select(v => v.Version));
        Assert.Single(await ToListAsync(store.ListPersonsAsync()));
    }

    [SkippableFact]
    public async Task MergeReview_DecisionsPersistAcrossInstances()
    {
        var decision = MergeOverride.Create(MergeOverrideKind.NeverMerge, ["b:Condition/2", "a:Condition/1"], "two episodes");
        await Open().MergeReview.AddAsync(decision);
        await Open().MergeReview.AddAsync(MergeOverride.Create(MergeOverrideKind.AlwaysMerge, ["a:Observation/1", "b:Observation/9"]));

        var read = await Open().MergeReview.GetOverridesAsync();

        Assert.Equal(2, read.Count);
        Assert.Equal(["a:Condition/1", "b:Condition/2"], read[0].Records);
        Assert.Equal("two episodes", read[0].Reason);
        Assert.True(await Open().MergeReview.RemoveAsync(decision));
        Assert.Single(await Open().MergeReview.GetOverridesAsync());
    }

    [SkippableFact]
    public async Task LinkReview_AnswersAndPendingPersistAcrossInstances()
    {
        await Open().LinkReview.SubmitAsync([new PatientLink("a:Patient/1", "b:Patient/2", 0.7, LinkDecision.Possible), new PatientLink("a:Patient/1", "c:Patient/3", 0.6, LinkDecision.Possible)]);
        await Open().LinkReview.ResolveAsync("b:Patient/2", "a:Patient/1", ReviewDecision.SamePerson);

        var decisions = await Open().LinkReview.GetDecisionsAsync();
        var pending = await Open().LinkReview.GetPendingAsync();

        var decision = Assert.Single(decisions);
        Assert.Equal(("a:Patient/1", "b:Patient/2", ReviewDecision.SamePerson), (decision.Left, decision.Right, decision.Decision));
        Assert.Equal("c:Patient/3", Assert.Single(pending).Right);
    }

    [SkippableFact]
    public async Task AuditLog_EventsPersistAcrossInstancesInOrder()
    {
        var events = Enumerable.Range(1, 3).Select(i => new AuditEvent
        {
            Id = "ae" + i,
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest"),
            Recorded = new DateTimeOffset(2026, 1, i, 0, 0, 0, TimeSpan.Zero),
            Outcome = AuditEvent.AuditEventOutcome.N0,
        }).ToList();

        await Open().AuditLog.WriteAsync(events.Take(2).ToList());
        await Open().AuditLog.WriteAsync(events.Skip(2).ToList());
        var read = await Open().AuditLog.ReadAsync();

        Assert.Equal(["ae1", "ae2", "ae3"], read.Select(e => e.Id));
        Assert.Equal(FhirJson.Serialize(events[2]), FhirJson.Serialize(read[2]));
    }

    [SkippableFact]
    public async Task CheckIntegrityAsync_SoundStore_FindsNothing()
    {
        var store = Open().Store;
        await store.SaveAsync(Sample);
        await store.SaveAsync(Smaller(3));

        var integrity = Assert.IsAssignableFrom<IEhrStoreIntegrity>(store);
        Assert.Empty(await integrity.CheckIntegrityAsync());
    }

    /// <summary>The sample with its first <paramref name="skip"/> records left out.</summary>
    /// <param name="skip">How many records to leave out.</param>
    /// <returns>The aggregate.</returns>
    protected static EhrAggregate Smaller(int skip) => Sample with { Records = Sample.Records.Skip(skip).ToList() };

    /// <summary>The sample as another person with other source patients.</summary>
    /// <param name="aggregate">The aggregate.</param>
    /// <param name="personId">The new person id.</param>
    /// <param name="source">The source name its patients get.</param>
    /// <returns>The aggregate.</returns>
    protected static EhrAggregate Rebased(EhrAggregate aggregate, string personId, string source)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        var moved = EhrAggregateSerializer.Deserialize(EhrAggregateSerializer.Rebase(aggregate, EhrAggregateSerializer.Serialize(aggregate), personId), 0);
        return moved with { LinkedPatients = moved.LinkedPatients.Select(p => p with { SourceName = source }).ToList() };
    }

    /// <summary>Collects an async sequence.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="items">The sequence.</param>
    /// <returns>The items.</returns>
    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = new List<T>();
        await foreach (var i in items)
        {
            list.Add(i);
        }

        return list;
    }
}
