using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Tests.Identity;

public class ZzProbeTests
{
    [Fact]
    public async Task Probe()
    {
        var set = Environment.GetEnvironmentVariable("PROBE_SET") ?? "3";
        var c = set == "4"
            ? Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4a.csv"), "a").Concat(Febrl.Read(Corpus.PathOf("linkage/febrl/dataset4b.csv"), "b")).ToList()
            : Febrl.Read(Corpus.PathOf($"linkage/febrl/dataset{set}.csv"), "a");
        var review = new InMemoryLinkReview();
        var result = await new ProbabilisticPatientMatcher(Options.Create(new ProbabilisticPatientMatcherOptions()), review).LinkAsync(c);
        var q = PairwiseQuality.Of(c, result, await review.GetPendingAsync(), set == "4");
        var byKey = c.ToDictionary(x => x.Key);
        using var w = new StreamWriter($"/tmp/idprobe/febrl{set}.txt");
        w.WriteLine(q);
        var person = new Dictionary<string, int>();
        for (var i = 0; i < result.Persons.Count; i++) foreach (var k in result.Persons[i]) person[k] = i;
        var links = result.Links.ToDictionary(l => (l.Left, l.Right));
        string Desc(string k) { var p = byKey[k].Patient; return $"{k} {string.Join(' ', p.Name.SelectMany(n => n.Given ?? []))}|{p.Name.FirstOrDefault()?.Family}|{p.BirthDate}|{p.Gender}|{string.Join(' ', p.Address.SelectMany(a => a.Line))}|{p.Address.FirstOrDefault()?.City}|{p.Address.FirstOrDefault()?.PostalCode}|{p.Identifier.FirstOrDefault()?.Value}"; }
        foreach (var e in c.GroupBy(x => Febrl.Entity(x.Key)))
        {
            var m = e.Select(x => x.Key).OrderBy(x => x, StringComparer.Ordinal).ToList();
            for (var i = 0; i < m.Count; i++) for (var j = i + 1; j < m.Count; j++)
            {
                if (set == "4" && byKey[m[i]].SourceName == byKey[m[j]].SourceName) continue;
                if (person[m[i]] == person[m[j]]) continue;
                links.TryGetValue((m[i], m[j]), out var l);
                w.WriteLine($"MISS {Desc(m[i])}\n     {Desc(m[j])}\n     {l?.Explanation ?? "(no link)"}");
            }
        }
        foreach (var l in result.Links.Where(l => l.Decision == LinkDecision.Match && Febrl.Entity(l.Left) != Febrl.Entity(l.Right)))
            w.WriteLine($"FALSE {Desc(l.Left)}\n     {Desc(l.Right)}\n     {l.Explanation}");
        foreach (var l in result.Links.Where(l => l.Decision == LinkDecision.Possible && person[l.Left] != person[l.Right] && Febrl.Entity(l.Left) != Febrl.Entity(l.Right)))
            w.WriteLine($"QFALSE {Desc(l.Left)}\n     {Desc(l.Right)}\n     {l.Explanation}");
    }
}
