using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Ccda;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Ccda.Tests;

public class CcdaDocumentReaderTests
{
    private static async Task<List<SourceRecord>> ReadAll(SourceDocument document, CcdaDocumentReader? reader = null)
    {
        var records = new List<SourceRecord>();
        await foreach (var record in (reader ?? new CcdaDocumentReader()).ReadAsync(document))
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public async Task ReadAsync_Fixture_YieldsOneRecordPerResourceAndOneRejectionPerUnconvertedEntry()
    {
        var path = Corpus.Fixture("ccda/ONC_EMRDirect_all-data_jeremy.xml");
        var expected = new CcdaConverter().Convert(File.ReadAllBytes(path), "doc");

        var records = await ReadAll(SourceDocument.FromFile("clinic", path, "jeremy.xml"));

        var accepted = records.Where(r => r.Resource is not null).ToList();
        Assert.Equal(expected.Resources.Select(r => r.TypeName + "/" + r.Id), accepted.Select(r => r.SourceReference));
        Assert.All(accepted, r => Assert.StartsWith("jeremy.xml#/ClinicalDocument", r.Location, StringComparison.Ordinal));
        Assert.All(accepted, r => Assert.Equal("jeremy.xml", r.DocumentId));
        var rejected = records.Where(r => r.Rejection is not null).ToList();
        Assert.Equal(expected.Report.NotConverted.Count, rejected.Count);
        Assert.All(rejected, r => Assert.Equal(HealthRecordErrorCode.NotConverted, r.Rejection!.Code));
        Assert.Equal(expected.Report.Warnings.Count(w => accepted.Any(a => w.XPath.StartsWith(a.Location["jeremy.xml#".Length..], StringComparison.Ordinal))),
            accepted.Sum(r => r.Warnings.Count));
    }

    [Fact]
    public void CanRead_SniffsContentNotFileName()
    {
        var reader = new CcdaDocumentReader();

        Assert.True(reader.CanRead(File.ReadAllBytes(Corpus.Fixture("ccda/HL7_Progress_Note.xml")).AsSpan(0, 4096)));
        Assert.False(reader.CanRead("{\"resourceType\":\"Patient\"}"u8));
        Assert.Equal("ccda", reader.Format);
    }

    [Fact]
    public void ReadAsync_DocumentLargerThanTheSdkLimit_IsRefusedBeforeReading()
    {
        var reader = new CcdaDocumentReader(Options.Create(new HealthRecordOptions { MaxDocumentBytes = 100 }), Options.Create(new CcdaOptions()));
        var document = new SourceDocument("s", "big.xml", _ => throw new InvalidOperationException("must not open"), length: 1000);

        var ex = Assert.Throws<SourceReadException>(() => reader.ReadAsync(document));

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public void AddCcda_RegistersTheReaderOnceAndValidatesOptions()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthRecord(hr => hr.AddCcda().AddCcda(o => o.MaxDepth = 40));
        using var provider = services.BuildServiceProvider();

        Assert.Single(provider.GetServices<ISourceDocumentReader>().OfType<CcdaDocumentReader>());
        Assert.Equal(40, provider.GetRequiredService<IOptions<CcdaOptions>>().Value.MaxDepth);

        var bad = new ServiceCollection().AddLogging();
        bad.AddHealthRecord(hr => hr.AddCcda(o => o.MaxDepth = 1));
        using var badProvider = bad.BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<CcdaOptions>>().Value);
    }

    [Fact]
    public async Task AggregateAsync_CcdaFixtures_BuildsEhrsWithLineageForEveryRecord()
    {
        var folder = Directory.CreateTempSubdirectory("ccda-source-");
        try
        {
            File.Copy(Corpus.Fixture("ccda/HL7_CCD.xml"), Path.Combine(folder.FullName, "ccd.xml"));
            File.Copy(Corpus.Fixture("ccda/HL7_Progress_Note.xml"), Path.Combine(folder.FullName, "note.xml"));
            using var provider = new ServiceCollection().AddLogging().AddHealthRecord(hr => hr.AddCcda()).BuildServiceProvider();
            var aggregator = provider.GetRequiredService<IEhrAggregator>();
            var records = (await ReadAll(SourceDocument.FromFile("hl7", Path.Combine(folder.FullName, "ccd.xml"))))
                .Concat(await ReadAll(SourceDocument.FromFile("hl7", Path.Combine(folder.FullName, "note.xml")))).ToList();

            var result = await aggregator.AggregateAsync(new AggregationRequest { Sources = [new SourceRequest("hl7", folder.FullName)], SaveToStore = false });

            Assert.NotEmpty(result.Ehrs);
            Assert.All(result.Ehrs, e => Assert.NotEmpty(e.Records));
            Assert.Contains(result.Ehrs.SelectMany(e => e.Records), r => r.Resource is Observation);
            var lineage = result.Ehrs.SelectMany(e => e.Lineage).ToList();
            Assert.DoesNotContain(lineage, l => l.Reason.Contains("does not resolve", StringComparison.Ordinal));
            var traced = lineage.Select(l => l.SourceResource).ToHashSet(StringComparer.Ordinal);
            Assert.All(records.Where(r => r.Resource is not null and not Patient), r => Assert.Contains(r.SourceReference, traced));
            Assert.Contains(result.Ehrs.SelectMany(e => e.Records), r => r.Resource is AllergyIntolerance);
        }

        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AggregateAsync_TwoDocumentsOfOnePatientInOneSource_AreReadWithoutIdClashes()
    {
        var folder = Directory.CreateTempSubdirectory("ccda-two-docs-");
        try
        {
            // Two documents of the same patient whose entries repeat the same ids: record ids must stay unique in the source.
            var original = File.ReadAllText(Corpus.Fixture("ccda/ONC_Afoundria_CCD_Jones_Myra.xml"));
            var later = new System.Text.RegularExpressions.Regex("<id [^>]*/>").Replace(original, "<id root=\"2.16.840.1.113883.19.5.99999.1\" extension=\"later-version\"/>", 1);
            Assert.NotEqual(original, later);
            File.WriteAllText(Path.Combine(folder.FullName, "first.xml"), original);
            File.WriteAllText(Path.Combine(folder.FullName, "second.xml"), later);
            using var provider = new ServiceCollection().AddLogging().AddHealthRecord(hr => hr.AddCcda()).BuildServiceProvider();
            var aggregator = provider.GetRequiredService<IEhrAggregator>();

            var result = await aggregator.AggregateAsync(new AggregationRequest { Sources = [new SourceRequest("clinic", folder.FullName)], SaveToStore = false });

            var ehr = Assert.Single(result.Ehrs);
            var firstRecords = await ReadAll(SourceDocument.FromFile("clinic", Path.Combine(folder.FullName, "first.xml")));
            Assert.Contains(ehr.Records, r => r.Resource is Condition);
            Assert.True(ehr.Lineage.Count(l => l.Action == HealthRecord.Sdk.Model.LineageAction.Merged) > 0, "the repeated facts of the two documents are merged");
            Assert.True(ehr.Records.Count < 2 * firstRecords.Count(r => r.Resource is not null));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Convert_SameDocumentTwice_GivesTheSameRecordIds()
    {
        var bytes = File.ReadAllBytes(Corpus.Fixture("ccda/ONC_Afoundria_CCD_Jones_Myra.xml"));

        var first = new CcdaConverter().Convert(bytes, "a.xml").Resources.Select(r => r.TypeName + "/" + r.Id);
        var second = new CcdaConverter().Convert(bytes, "b.xml").Resources.Select(r => r.TypeName + "/" + r.Id);

        Assert.Equal(first, second);
    }
}
