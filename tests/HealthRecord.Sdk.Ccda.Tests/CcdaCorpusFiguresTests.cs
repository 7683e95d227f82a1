using HealthRecord.Sdk.Ccda;
using HealthRecord.Sdk.TestSupport;
using Xunit.Abstractions;

namespace HealthRecord.Sdk.Ccda.Tests;

public class CcdaCorpusFiguresTests(ITestOutputHelper output)
{
    [CorpusFact]
    public void Convert_WholeCorpus_ConvertsNearlyEveryEntry()
    {
        var converter = new CcdaConverter();
        var documents = 0;
        var entries = 0;
        var converted = 0;
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var warnings = new Dictionary<string, int>(StringComparer.Ordinal);
        var kinds = new Dictionary<string, (int Entries, int Converted)>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Corpus.PathOf("ccda"), "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            var report = converter.Convert(stream, file).Report;
            documents++;
            entries += report.EntryCount;
            converted += report.ConvertedEntryCount;
            foreach (var section in report.Sections)
            {
                kinds.TryGetValue(section.Kind, out var k);
                kinds[section.Kind] = (k.Entries + section.Entries, k.Converted + section.Converted);
            }

            foreach (var w in report.Warnings)
            {
                var key = "warning: " + (w.Message.Length > 40 ? w.Message[..40] : w.Message);
                warnings[key] = warnings.GetValueOrDefault(key) + 1;
            }

            foreach (var n in report.NotConverted)
            {
                var key = n.Section + ": " + (n.Reason.Length > 90 ? n.Reason[..90] : n.Reason);
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
                if (Environment.GetEnvironmentVariable("CCDA_DEBUG") == "1")
                {
                    output.WriteLine($"{Path.GetFileName(file)} {n.XPath} {n.Reason}");
                }
            }
        }

        output.WriteLine($"documents={documents} entries={entries} converted={converted} ({100.0 * converted / entries:F1}%)");
        foreach (var (kind, (e, c)) in kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{kind}: {c}/{e}");
        }

        foreach (var (reason, count) in reasons.OrderByDescending(r => r.Value))
        {
            output.WriteLine($"{count,5} {reason}");
        }

        foreach (var (warning, count) in warnings.OrderByDescending(r => r.Value))
        {
            output.WriteLine($"{count,5} {warning}");
        }

        Assert.Equal(64, documents);
        Assert.True(converted >= entries * 0.9, $"Only {converted} of {entries} entries were converted.");
    }
}
