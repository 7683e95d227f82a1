using System.Globalization;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.PostgreSql;
using HealthRecord.Sdk.Sqlite;
using HealthRecord.Sdk.Storage;
using Hl7.Fhir.Model;

// Usage: storeworker STORE WORKER PEOPLE UPDATES
//   STORE   sqlite:FILE | postgres:CONNECTION[|SCHEMA]
//   WORKER  this worker's number (names its updates)
//   PEOPLE  how many people (patients p0..pN-1, each known to every worker under the same source patient key)
//   UPDATES how many updates this worker makes, round-robin over the people
// Each update reads the person's latest version, adds one record (w{WORKER}-u{N}) and saves it on top of the
// version read (IVersionedEhrStore); a conflict (another writer saved first) is read again and retried. The first
// save of a person names it after this worker, so concurrent workers race to create each person. Prints
// "saved PERSON VERSION RECORD" per update and "done" at the end.
// storeworker population STORE SHARD NAME=PATH…: a population run (see PopulationWorker).
if (args.Length > 0 && args[0] == "population")
{
    return await PopulationWorker.RunAsync(args[1..]);
}

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: storeworker STORE WORKER PEOPLE UPDATES");
    return 2;
}

var (storeSpec, worker, people, updates) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
IVersionedEhrStore store;
PostgreSqlDatabase? database = null;
if (storeSpec.StartsWith("sqlite:", StringComparison.Ordinal))
{
    store = new SqliteEhrStore(new Microsoft.Extensions.Options.OptionsWrapper<SqliteEhrStoreOptions>(new SqliteEhrStoreOptions { ConnectionString = $"Data Source={storeSpec[7..]}", BusyTimeout = TimeSpan.FromSeconds(60) }));
}
else
{
    var parts = storeSpec["postgres:".Length..].Split('|');
    database = PostgreSqlDatabase.Create(parts[0], parts.Length > 1 ? parts[1] : PostgreSqlDatabase.DefaultSchema);
    store = new PostgreSqlEhrStore(database);
}

for (var u = 0; u < updates; u++)
{
    var p = (u + worker) % people;
    var key = $"registry:Patient/p{p}";
    var recordId = $"w{worker}-u{u}";
    for (var attempt = 1; ; attempt++)
    {
        var personId = await store.FindPersonAsync([key]);
        var latest = personId is null ? null : await store.GetAsync(personId);
        var current = latest ?? NewPerson(EhrIds.From("person", key, "w" + worker.ToString(CultureInfo.InvariantCulture)), key, p);
        var next = current with { Records = [.. current.Records, Record(current.PersonId, recordId)] };
        try
        {
            var saved = await store.SaveAsync(next, latest?.Version ?? 0);
            Console.WriteLine($"saved {saved.PersonId} {saved.Version} {recordId}");
            break;
        }
        catch (EhrStoreException ex) when (ex.Kind is EhrStoreErrorKind.Conflict or EhrStoreErrorKind.Busy && attempt < 200)
        {
            await System.Threading.Tasks.Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)));
        }
    }
}

Console.WriteLine("done");
if (database is not null)
{
    await database.DisposeAsync();
}

return 0;

static EhrAggregate NewPerson(string personId, string key, int p) => new()
{
    PersonId = personId,
    Patient = new Patient { Id = personId, Name = [new HumanName { Family = "Person" + p.ToString(CultureInfo.InvariantCulture) }] },
    Records = [],
    Provenance = [],
    Lineage = [],
    Sources = ["registry"],
    LinkedPatients = [new SourceRecordRef("registry", key.Split(':')[1], "registry.ndjson")],
};

static EhrRecord Record(string personId, string recordId) => new(
    new Observation
    {
        Id = EhrIds.From(personId, "Observation", recordId),
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "8867-4", "Heart rate"),
        Subject = new ResourceReference(EhrIds.FullUrl(personId)),
        Identifier = [new Identifier("urn:test:update", recordId)],
    },
    [new SourceRecordRef("registry", "Observation/" + recordId, "registry.ndjson")],
    "only copy");
