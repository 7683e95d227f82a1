// A console host that uses HealthRecord.Sdk as a user does: from its NuGet packages, with nothing from the
// repository. It aggregates three EMR exports of one patient into an EHR kept in a SQLite file, then shares that EHR
// with a clinic as the patient's consent allows and prints what was withheld.
//
//   dotnet run -- <data folder> <consent.json> [output folder]
//
// docs/getting-started.md shows this code step by step; a test checks that each of its code blocks is in this file.

// <usings>
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Views;
using Microsoft.Extensions.DependencyInjection;
// </usings>

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: HealthRecord.PackagedHost <data folder> <consent.json> [output folder]");
    return 2;
}

// <inputs>
var data = args[0];                                               // the folder of the EMR exports
var consentPath = args[1];                                        // the patient's consent
var outDir = args.Length > 2 ? args[2] : "healthrecord-out";      // where the store and the files go
Directory.CreateDirectory(outDir);
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancellation.Cancel(); };
var cancellationToken = cancellation.Token;
// </inputs>

// <register>
var services = new ServiceCollection()
    .AddLogging()                                                  // Microsoft.Extensions.Logging
    .AddHealthRecord(hr => hr
        .AddCcda()                                                 // HealthRecord.Sdk.Ccda: C-CDA documents
        .AddHl7V2()                                                // HealthRecord.Sdk.Hl7V2: HL7 v2 messages
        .UseSqliteStore($"Data Source={Path.Combine(outDir, "ehr.db")}")   // HealthRecord.Sdk.Sqlite
        .ConfigureMerge(m => m.Default(MergePolicies.SourcePriority("st-marys-hospital", "valley-primary-care", "northeast-lab"))));
await using var provider = services.BuildServiceProvider();
// </register>

// <aggregate>
var result = await provider.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest
{
    Sources =
    [
        new SourceRequest("valley-primary-care", Path.Combine(data, "valley-primary-care.json")),
        new SourceRequest("st-marys-hospital", Path.Combine(data, "st-marys-hospital.json")),
        new SourceRequest("northeast-lab", Path.Combine(data, "northeast-lab")),    // a folder: every file in it
    ],
}, cancellationToken);
// </aggregate>

// <read-result>
foreach (var source in result.Sources)
{
    Console.WriteLine($"{source.Name}: {source.Documents} documents ({source.FailedDocuments} failed), {source.RecordsRead} records read, {source.RecordsRejected} rejected");
}

foreach (var issue in result.Issues.Where(i => i.Severity != IssueSeverity.Information))
{
    Console.WriteLine($"  {issue.Severity} {issue.Code} [{issue.SourceName}] {issue.Location}: {issue.Message}");
}

Console.WriteLine($"{result.Unattributed.Count} records belong to no person (see their Reason)");

var ehr = result.Ehrs.Single();   // one EHR per person; the sample data describe one patient
Console.WriteLine($"EHR of person {ehr.PersonId}, version {ehr.Version}: {ehr.Records.Count} records, {ehr.Conflicts.Count} conflicts");
foreach (var (type, count) in ehr.CountByType())
{
    Console.WriteLine($"  {type,-22} {count}");
}

var merged = ehr.Lineage.Count(l => l.Action == LineageAction.Merged);
var rejected = ehr.Lineage.Where(l => l.Action == LineageAction.Rejected).ToList();
Console.WriteLine($"{ehr.Lineage.Count} source records: {merged} merged as duplicates, {rejected.Count} rejected");
foreach (var row in rejected)
{
    Console.WriteLine($"  rejected {row.SourceName} {row.SourceResource}: {row.Reason}");
}

var now = EhrCurrentView.Of(ehr);
Console.WriteLine($"Now: {now.Problems.Count} active problems, {now.Medications.Count} medications, {now.Allergies.Count} allergies");
// </read-result>

// <write>
await using (var file = File.Create(Path.Combine(outDir, "ehr.json")))
{
    await new FhirBundleExporter().ExportAsync(ehr, file, cancellationToken);
}

await using (var lineage = File.CreateText(Path.Combine(outDir, "lineage.csv")))
{
    await LineageCsv.WriteAsync(ehr.Lineage, lineage, cancellationToken);
}
// </write>

// <share>
var shared = await provider.GetRequiredService<IEhrSharing>().ShareAsync(ehr, new ShareRequest
{
    Consents = ConsentDocuments.Parse(await File.ReadAllTextAsync(consentPath, cancellationToken)),
    Recipient = ConsentRecipient.Parse("Organization/clinic-b"),
    PurposeOfUse = [AccessRequest.Purpose("TREAT")],
}, cancellationToken);

await File.WriteAllTextAsync(Path.Combine(outDir, "shared.json"), FhirJson.Serialize(shared.Disclosure, pretty: true), cancellationToken);
var withheld = shared.Withheld.Where(r => !r.Contains('#', StringComparison.Ordinal)).ToList();   // "Type/id#x": a contained resource
Console.WriteLine($"Shared with Organization/clinic-b for TREAT: {shared.Disclosure.Entry.Count} entries; withheld {withheld.Count} records "
    + $"(and {shared.Withheld.Count - withheld.Count} resources contained in them)");
foreach (var type in withheld.GroupBy(r => r[..r.IndexOf('/', StringComparison.Ordinal)]))
{
    Console.WriteLine($"  withheld {type.Count()} {type.Key}");
}

foreach (var decision in shared.Decisions.Where(d => d.Decision == ConsentDecision.Deny).Take(3))
{
    Console.WriteLine($"  {decision.Record}: {decision.Decisive.Explanation}");
}
// </share>

// The consent permits the clinic the clinical record and denies it the billing records: check that both held
// (a consent that does not apply would leave the default, deny everything, in charge).
var billing = shared.Disclosure.Entry.Count(e => e.Resource is Hl7.Fhir.Model.Claim or Hl7.Fhir.Model.ExplanationOfBenefit);
var conditions = shared.Disclosure.Entry.Count(e => e.Resource is Hl7.Fhir.Model.Condition);
if (billing > 0 || conditions == 0)
{
    Console.Error.WriteLine($"The consent was not applied as written: {billing} billing records and {conditions} conditions in the disclosure.");
    return 1;
}

Console.WriteLine($"Wrote {Path.Combine(outDir, "ehr.json")}, lineage.csv and shared.json");
return 0;
