using System.Diagnostics;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

using PT = Hl7.Fhir.Model.Consent.ConsentProvisionType;
using Task = System.Threading.Tasks.Task;


namespace HealthRecord.Sdk.Tests.Consent;

/// <summary>Sharing real Synthea data (corpus bulk-ndjson/10-patients, CC0): a patient with an intimate-partner-abuse finding.</summary>
public class EhrSharingCorpusTests(ITestOutputHelper output)
{
    private const string AbuseFinding = "706893006"; // SNOMED CT: victim of intimate partner abuse (finding)

    private static List<Resource> ReadAll()
    {
        var resources = new List<Resource>();
        foreach (var file in Directory.GetFiles(Corpus.PathOf("bulk-ndjson/10-patients"), "*.ndjson").Where(f => !f.EndsWith("log.ndjson", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                resources.Add(FhirJson.Parse(line));
            }
        }

        return resources;
    }

    private static Bundle PatientBundle(List<Resource> all, string patientId)
    {
        var bundle = new Bundle { Id = patientId, Type = Bundle.BundleType.Collection };
        foreach (var r in all.Where(r => r is Patient p ? p.Id == patientId : PatientCompartment.SubjectOf(r)?.Reference?.EndsWith(patientId, StringComparison.Ordinal) ?? r is Organization or Practitioner or PractitionerRole or Location))
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + r.Id, Resource = r });
        }

        return bundle;
    }

    [CorpusFact]
    public async Task ShareAsync_SyntheaPatientWithAbuseFinding_WithholdsViolenceRecordsWithoutTrace()
    {
        var all = ReadAll();
        var abuse = all.OfType<Condition>().First(c => c.Code!.Coding.Any(x => x.Code == AbuseFinding));
        var patientId = abuse.Subject!.Reference!.Split('/', ':').Last();
        var ehr = PatientBundle(all, patientId);
        var consent = TestEhr.MakeConsent("c", TestEhr.Provision(PT.Permit, TestEhr.Provision(PT.Deny).WithLabel("SDV")));
        consent.Patient = new ResourceReference("Patient/" + patientId);
        using var sp = TestEhr.Services();

        var result = await sp.GetRequiredService<IEhrSharing>().ShareAsync(ehr, TestEhr.Request("Organization/any", "TREAT", consent));

        var withheld = result.Withheld;
        Assert.Contains($"Condition/{abuse.Id}", withheld);
        var json = FhirJson.Serialize(result.Disclosure);
        Assert.All(withheld, w => Assert.DoesNotContain(w.Split('/')[1], json, StringComparison.Ordinal));
        Assert.DoesNotContain("intimate partner", json, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ehr.Entry.Count - withheld.Count, result.Disclosure.Entry.Count);
        Assert.DoesNotContain(result.Disclosure.Meta!.Security, c => c.Code == "SDV"); // nothing says what was removed
        output.WriteLine($"{ehr.Entry.Count} records, {withheld.Count} withheld");
    }

    [CorpusFact]
    public async Task ShareAsync_TenSyntheaPatients_Throughput()
    {
        var all = ReadAll();
        var ehr = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (var r in all)
        {
            ehr.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + r.Id, Resource = r });
        }

        var consent = TestEhr.MakeConsent("c", TestEhr.Provision(PT.Permit, TestEhr.Provision(PT.Deny).WithLabel("SDV"), TestEhr.Provision(PT.Deny).WithLabel("ETH")));
        consent.Patient = null;
        using var sp = TestEhr.Services();
        var sharing = sp.GetRequiredService<IEhrSharing>();
        await sharing.ShareAsync(PatientBundle(all, all.OfType<Patient>().First().Id!), TestEhr.Request("Organization/any", "TREAT", consent)); // warm-up

        var watch = Stopwatch.StartNew();
        var result = await sharing.ShareAsync(ehr, TestEhr.Request("Organization/any", "TREAT", consent));
        watch.Stop();

        Assert.True(result.Withheld.Count > 0);
        Assert.Equal(ehr.Entry.Count - result.Withheld.Count, result.Disclosure.Entry.Count);
        output.WriteLine($"{ehr.Entry.Count} records shared in {watch.ElapsedMilliseconds} ms ({ehr.Entry.Count * 1000.0 / Math.Max(1, watch.ElapsedMilliseconds):F0} records/s), {result.Withheld.Count} withheld, {result.AuditEvents.Count} audit events");
    }
}
