using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Merge;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.Views;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Cli.Tests;

/// <summary>The README's "In your application" code, run as written against the sample EMRs.</summary>
public sealed class ReadmeExampleTests : IDisposable
{
    private readonly TempFolder _tmp = TestHost.TempFolder();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    [Fact]
    public async Task ReadmeExample_AggregatesWithEveryPackageAndShares()
    {
        var cancellationToken = CancellationToken.None;
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr
            .AddCcda()
            .AddHl7V2()
            .UseSqliteStore($"Data Source={_tmp.File("ehr.db")}")
            .Configure(o => o.SourcePriority.Add("valley-primary-care"))
            .ConfigureMerge(m => m.Default(MergePolicies.SourcePriority("valley-primary-care", "st-marys-hospital"))
                                  .For("Observation", MergePolicies.MostRecent())));
        await using var provider = services.BuildServiceProvider();

        var aggregator = provider.GetRequiredService<IEhrAggregator>();
        var result = await aggregator.AggregateAsync(new AggregationRequest
        {
            Sources = TestHost.SampleSources.Select(s => new SourceRequest(s.Name, s.Path)).ToList(),
        }, cancellationToken);

        var ehr = Assert.Single(result.Ehrs);
        Assert.Equal(1, ehr.Version);
        Assert.Single(ehr.Conflicts);
        var now = EhrCurrentView.Of(ehr);
        Assert.Equal((5, 3, 0), (now.Problems.Count, now.Medications.Count, now.Allergies.Count));

        var consentPath = _tmp.Write("consent.json", $$$"""
            {"resourceType":"Consent","id":"c","status":"active",
             "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
             "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
             "patient":{"reference":"urn:uuid:{{{ehr.PersonId}}}"},
             "provision":{"type":"permit","provision":[{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"Claim"}]}]}}
            """);
        var shared = await provider.GetRequiredService<IEhrSharing>().ShareAsync(result.Ehrs[0], new ShareRequest
        {
            Consents = ConsentDocuments.Parse(File.ReadAllText(consentPath)),
            Recipient = ConsentRecipient.Parse("Organization/clinic-b"),
            PurposeOfUse = [AccessRequest.Purpose("TREAT")],
        }, cancellationToken);

        Assert.DoesNotContain(shared.Disclosure.Entry, e => e.Resource is Claim);
        Assert.Contains(shared.Disclosure.Entry, e => e.Resource is Condition);
        Assert.NotEmpty(shared.AuditEvents);
        Assert.Equal(ehr.Records.Count(r => r.Resource is Claim), shared.Withheld.Count);
    }
}
