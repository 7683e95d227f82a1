using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Hl7V2.Tests.Aggregation;

/// <summary>HL7 v2 files through the whole pipeline: read, validate, resolve references, link, merge, lineage.</summary>
public class Hl7V2AggregationTests
{
    [Fact]
    public async Task AggregateAsync_Hl7V2File_KeepsEveryConvertedRecordWithResolvedReferences()
    {
        using var sp = new ServiceCollection().AddLogging().AddHealthRecord(hr => hr.AddHl7V2()).BuildServiceProvider();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();

        var result = await aggregator.AggregateAsync(new AggregationRequest
        {
            Sources = [new SourceRequest("lab", Fixtures.Path("fhir-converter/LRI_2.0-NG_CBC_Typ_Message.hl7"))],
            SaveToStore = false,
        });

        var ehr = Assert.Single(result.Ehrs);
        var counts = ehr.CountByType();
        Assert.Equal(28, counts["Observation"]);
        Assert.Equal(1, counts["DiagnosticReport"]);
        Assert.DoesNotContain(ehr.Lineage, l => l.Action == LineageAction.Rejected);
        Assert.Equal(["lab"], ehr.Sources);
        Assert.All(ehr.Lineage, l => Assert.Equal("lab", l.SourceName));
        Assert.DoesNotContain(result.Issues, i => i.Code == Errors.HealthRecordErrorCode.UnresolvedReference);
    }
}

/// <summary>Every committed fixture through the pipeline.</summary>
public class Hl7V2FolderAggregationTests
{
    [Fact]
    public async Task AggregateAsync_FixtureFolder_RejectsNothingAndAccountsForEveryRecord()
    {
        using var sp = new ServiceCollection().AddLogging().AddHealthRecord(hr => hr.AddHl7V2()).BuildServiceProvider();
        var aggregator = sp.GetRequiredService<IEhrAggregator>();

        var result = await aggregator.AggregateAsync(new AggregationRequest
        {
            Sources = [new SourceRequest("feeds", Fixtures.Path("fhir-converter"))],
            SaveToStore = false,
        });

        var lineage = result.Ehrs.SelectMany(e => e.Lineage).ToList();
        var rejected = lineage.Where(l => l.Action == LineageAction.Rejected).Select(l => $"{l.SourceResource}: {l.Reason}").ToList();
        Assert.True(rejected.Count == 0, string.Join("\n", rejected.Take(10)));
        Assert.NotEmpty(result.Ehrs);
        // Seven RXA in three VXU files: every one is in the lineage, kept or merged into a duplicate from another file.
        var immunizations = lineage.Where(l => l.SourceResource.StartsWith("Immunization/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3 + 3 + 1, immunizations.Count);
        Assert.All(immunizations, l => Assert.Contains(l.Action, new[] { LineageAction.Kept, LineageAction.Merged }));
        Assert.DoesNotContain(result.Issues, i => i.Code == Errors.HealthRecordErrorCode.UnresolvedReference);
    }
}
