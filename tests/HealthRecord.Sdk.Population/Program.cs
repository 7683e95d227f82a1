using System.Diagnostics;
using System.Globalization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

// P, the baseline of docs/performance.md: parses every .json file under the given folders with Firely's
// FhirJsonDeserializer defaults, one after the other, and does nothing else. Run it as a cold process beside
// `healthrecord aggregate` over the same files.
//   dotnet tests/HealthRecord.Sdk.Population/bin/Release/net10.0/HealthRecord.Sdk.Population.dll FOLDER...
var started = Stopwatch.GetTimestamp();
var deserializer = new FhirJsonDeserializer();
long files = 0, resources = 0;
foreach (var folder in args)
{
    foreach (var file in Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
    {
        var bundle = deserializer.Deserialize<Bundle>(File.ReadAllText(file));
        files++;
        resources += bundle.Entry.Count;
    }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parsed {files} files, {resources} resources in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.00} s"));
