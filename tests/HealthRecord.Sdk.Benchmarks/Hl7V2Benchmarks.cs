using BenchmarkDotNet.Attributes;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Benchmarks;

/// <summary>HL7 v2 parsing and conversion of the committed fixture messages, against the Firely parse of the resources they become.</summary>
[MemoryDiagnoser]
public class Hl7V2Benchmarks
{
    private byte[][] _files = [];
    private string[] _json = [];

    [GlobalSetup]
    public void Setup()
    {
        _files = Directory.GetFiles(Corpus.Fixture("hl7v2"), "*.hl7", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        _json = _files.SelectMany(f => Hl7V2Converter.Convert(Hl7V2Parser.Parse(f))).SelectMany(r => r.Resources).Select(r => FhirJson.Serialize(r)).ToArray();
    }

    [Benchmark(Baseline = true)]
    public int FirelyParseOfSameResources()
    {
        var n = 0;
        foreach (var j in _json)
        {
            n += FhirJson.Parse(j).Id!.Length;
        }

        return n;
    }

    [Benchmark]
    public int Parse()
    {
        var n = 0;
        foreach (var f in _files)
        {
            n += Hl7V2Parser.Parse(f).Messages.Count;
        }

        return n;
    }

    [Benchmark]
    public int ParseAndConvert()
    {
        var n = 0;
        foreach (var f in _files)
        {
            foreach (var r in Hl7V2Converter.Convert(Hl7V2Parser.Parse(f)))
            {
                n += r.Resources.Count;
            }
        }

        return n;
    }
}
