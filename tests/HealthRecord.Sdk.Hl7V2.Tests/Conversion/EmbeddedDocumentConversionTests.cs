using System.Text;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Hl7V2.Tests.Conversion;

/// <summary>Image and document OBX (value types ED and RP) outside document messages: one DocumentReference each, with its data or URL.</summary>
public class EmbeddedDocumentConversionTests(ITestOutputHelper output)
{
    private static IReadOnlyList<Hl7V2ConversionResult> Convert(string corpusFile) =>
        Hl7V2Converter.Convert(Hl7V2Parser.Parse(File.ReadAllBytes(Corpus.PathOf(corpusFile))));

    /// <summary>The ED/RP OBX of a message file that carry content, counted on the raw text (ED-5 data present; RP-1 an absolute URL).</summary>
    private static (int Ed, int Rp, List<string> Urls) RawDocumentObx(string corpusFile)
    {
        int ed = 0, rp = 0;
        var urls = new List<string>();
        foreach (var line in File.ReadAllText(Corpus.PathOf(corpusFile)).TrimStart('\uFEFF').Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('|');
            if (f[0] != "OBX" || f.Length < 6)
            {
                continue;
            }

            var c = f[5].Split('^');
            if (f[2] == "ED" && c.Length >= 5 && c[4].Length > 0)
            {
                ed++;
            }
            else if (f[2] == "RP" && Uri.IsWellFormedUriString(c[0].Replace("\\T\\", "&", StringComparison.Ordinal), UriKind.Absolute))
            {
                rp++;
                urls.Add(c[0].Replace("\\T\\", "&", StringComparison.Ordinal));
            }
        }

        return (ed, rp, urls);
    }

    [CorpusFact]
    public void Convert_OulR22WithFiveImageObx_GivesADocumentReferencePerImageWithItsDataOrUrl()
    {
        const string file = "hl7v2/fhir-converter/OUL-R22-01.hl7";

        var result = Assert.Single(Convert(file));

        var documents = result.Resources.OfType<DocumentReference>().ToList();
        var attachments = documents.SelectMany(d => d.Content).Select(c => c.Attachment).ToList();
        Assert.Equal(4, documents.Count);
        Assert.All(documents, d => Assert.Single(d.Content));
        var slide = Assert.Single(attachments, a => a.Url is not null);
        Assert.Equal("http://172.16.237.4/CaseCenter/index.php?ContainerType=CaseView&ContainerID=0&SlideID=40bcbe96bcbf8cda8b07403263b92cb4", slide.Url);
        Assert.Equal("image/mrxs", slide.ContentType);
        var images = attachments.Where(a => a.Data is not null).ToList();
        Assert.Equal(3, images.Count);
        Assert.All(images, a =>
        {
            Assert.Equal("image/jpeg", a.ContentType);
            Assert.Equal("This is a Base64 string", Encoding.UTF8.GetString(a.Data!));
        });
        Assert.Equal(["3DHISTECH Label Area Image", "3DHISTECH Preview Camera Image", "3DHISTECH Thumbnail Image"], images.Select(a => a.Title).Order(StringComparer.Ordinal));

        // The fifth image OBX carries no data (ED-5 empty) and no code: reported, not made into an empty document.
        var empty = Assert.Single(result.Report.Entries, e => e.Segment == "OBX" && e.Position == 18);
        Assert.Equal(Hl7V2SegmentOutcome.Skipped, empty.Outcome);
        Assert.Contains("ED-5 is empty", empty.Detail, StringComparison.Ordinal);
        Assert.Equal(5, result.Report.Entries.Count(e => e.Segment == "OBX" && e.Position >= 18));
    }

    [CorpusFact]
    public void Convert_EveryNonDocumentCorpusMessageWithImageObx_GivesOneDocumentReferencePerContentObx()
    {
        var checkedFiles = 0;
        foreach (var path in Directory.EnumerateFiles(Corpus.PathOf("hl7v2"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var file = Path.GetRelativePath(Corpus.PathOf("."), path).Replace('\\', '/');
            var text = File.ReadAllText(path);
            if (file.EndsWith(".md", StringComparison.Ordinal) || text.Contains("|MDM^", StringComparison.Ordinal) || !(text.Contains("|ED|", StringComparison.Ordinal) || text.Contains("|RP|", StringComparison.Ordinal)))
            {
                continue;
            }

            var (ed, rp, urls) = RawDocumentObx(file);
            var documents = Convert(file).SelectMany(r => r.Resources).OfType<DocumentReference>().ToList();
            output.WriteLine($"{file}: {ed} ED + {rp} RP with content -> {documents.Count} DocumentReference");

            Assert.Equal(ed + rp, documents.Count);
            Assert.All(documents, d => Assert.True(Assert.Single(d.Content).Attachment is { } a && (a.Data is { Length: > 0 } || a.Url is not null)));
            Assert.Equal(urls.Order(StringComparer.Ordinal), documents.Select(d => d.Content[0].Attachment.Url).OfType<string>().Order(StringComparer.Ordinal));
            checkedFiles++;
        }

        Assert.Equal(4, checkedFiles);
    }
}
