using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Newtonsoft.Json.Linq;

namespace HealthRecord.Sdk.Tests.Aggregation;

/// <summary>
/// The sample EHR as a user sees it: a change to what the demo produces shows up as a snapshot diff to
/// review. Ids are deterministic, so nothing needs scrubbing; the patient is synthetic.
/// </summary>
public class SampleEhrSnapshotTests
{
    [Fact]
    public async Task SampleEhr_MatchesSnapshot()
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources, hr => hr.Configure(o =>
        {
            foreach (var (name, _) in TestHost.SampleSources)
            {
                o.SourcePriority.Add(name);
            }
        }));
        var ehr = result.Ehrs.Single();
        var conflicted = ehr.Find(ehr.Conflicts[0].EhrResource)!;
        var provenance = ehr.Provenance.Single(p => p.Target[0].Reference == EhrIds.FullUrl(conflicted.Resource.Id!));

        var summary = new
        {
            ehr.PersonId,
            ehr.Sources,
            ehr.AsOf,
            RecordsByType = ehr.CountByType(),
            Lineage = ehr.Lineage.GroupBy(l => l.ActionName).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            Rejected = ehr.Lineage.Where(l => l.Action == LineageAction.Rejected).Select(l => $"{l.SourceName}:{l.SourceResource}: {l.Reason}"),
            Conflicts = ehr.Conflicts.Select(EhrProvenanceExtensions.Describe),
            GoldenPatient = JObject.Parse(FhirJson.Serialize(ehr.Patient)),
            ConflictedRecord = JObject.Parse(FhirJson.Serialize(conflicted.Resource)),
            ItsProvenance = JObject.Parse(FhirJson.Serialize(provenance)),
        };

        Snapshots.Match(summary, "sample-ehr");
    }
}
