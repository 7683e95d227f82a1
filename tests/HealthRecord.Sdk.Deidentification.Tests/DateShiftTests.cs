using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deidentification.Tests;

/// <summary>Date-shift mode on a real patient: one shift per person, the same across sources, runs and batching.</summary>
public partial class DateShiftTests
{
    private static readonly HashSet<string> RemovedTypes = ["Provenance", "AuditEvent", "Binary", "Media", "Endpoint"];

    [CorpusFact]
    public async Task Deidentify_SourcesAggregatedSeparatelyAndTogether_ShiftEveryDateOfThePersonByTheSameDays()
    {
        using var temp = TestHost.TempFolder();
        var (clinic, hospital) = Split(Corpus.PathOf(Path.Combine("fhir-bundles", "synthea", "Paris_Casper_826f1b71-0205-4543-b019-ce6583b77fc5.json")), temp);
        var separately = new[]
        {
            Assert.Single(await Pipeline.AggregateAsync(("clinic", clinic))),
            Assert.Single(await Pipeline.AggregateAsync(("hospital", hospital))),
        };
        var together = Assert.Single(await Pipeline.AggregateAsync(("clinic", clinic), ("hospital", hospital)));
        var deidentifier = Pipeline.Deidentifier(DeidentificationMode.DateShift);

        var results = separately.Append(together).Select(ehr => (ehr, result: deidentifier.Deidentify(ehr))).ToList();
        var shift = results[0].result.ShiftDays;
        Assert.NotEqual(0, shift);
        foreach (var (ehr, result) in results)
        {
            Assert.Equal(shift, result.ShiftDays);
            Assert.Equal(results[0].result.PersonId, result.PersonId);
            AssertEveryDateShiftedBy(ehr, result, shift);
        }
    }

    [CorpusFact]
    public async Task Deidentify_SameKey_GivesByteIdenticalOutput_AnotherKeyADifferentOne()
    {
        var ehr = Assert.Single(await Pipeline.AggregateAsync(("s", Corpus.PathOf(Path.Combine("fhir-bundles", "synthea", "Tony_Beer_bb8cd3e5-8910-4eea-bbc6-3f64a4a655b8.json")))));
        foreach (var mode in new[] { DeidentificationMode.DateShift, DeidentificationMode.SafeHarbor })
        {
            var first = FhirJson.Serialize(Pipeline.Deidentifier(mode).Deidentify(ehr).Bundle);
            var second = FhirJson.Serialize(Pipeline.Deidentifier(mode).Deidentify(ehr).Bundle);
            var other = FhirJson.Serialize(Pipeline.Deidentifier(mode, "another secret key, 32 bytes long"u8.ToArray()).Deidentify(ehr).Bundle);
            Assert.Equal(first, second);
            Assert.NotEqual(first, other);
        }
    }

    /// <summary>Every full date in each output resource is a date of the same input resource moved by exactly <paramref name="shift"/> days, time and zone as written; each record's clinical date is among them.</summary>
    private static void AssertEveryDateShiftedBy(EhrAggregate ehr, DeidentificationResult result, int shift)
    {
        var inputs = EhrBundleBuilder.Build(ehr).Entry.Select(e => e.Resource!).Where(r => !RemovedTypes.Contains(r.TypeName)).ToList();
        var outputs = result.Bundle.Entry.Select(e => e.Resource!).ToList();
        Assert.Equal(inputs.Count, outputs.Count);
        var checkedDates = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            Assert.Equal(inputs[i].TypeName, outputs[i].TypeName);
            var expected = Dates(inputs[i]).Select(d => Shift(d, shift)).ToHashSet(StringComparer.Ordinal);
            var actual = Dates(outputs[i]);
            Assert.True(actual.IsSubsetOf(expected), $"{outputs[i].TypeName}: {string.Join(", ", actual.Except(expected))} is not an input date moved by {shift} days");
            if (Sdk.Deidentification.Tests.ClinicalDate.Of(inputs[i]) is { } clinical)
            {
                Assert.Contains(Shift(clinical, shift), actual);
            }

            checkedDates += actual.Count;
        }

        Assert.True(checkedDates > 50, $"only {checkedDates} dates checked");
    }

    private static HashSet<string> Dates(Resource resource)
    {
        var dates = new HashSet<string>(StringComparer.Ordinal);
        Collect(JsonNode.Parse(FhirJson.Serialize(resource)), dates);
        return dates;
    }

    private static void Collect(JsonNode? node, HashSet<string> dates)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, v) in o)
                {
                    Collect(v, dates);
                }

                break;
            case JsonArray a:
                foreach (var v in a)
                {
                    Collect(v, dates);
                }

                break;
            case JsonValue v when v.TryGetValue<string>(out var s) && FullDate().IsMatch(s):
                dates.Add(s);
                break;
        }
    }

    /// <summary>The test's own shift: the calendar date moves, the time of day and zone stay as written.</summary>
    private static string Shift(string date, int days) =>
        DateOnly.ParseExact(date[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + date[10..];

    private static (string Clinic, string Hospital) Split(string path, TempFolder temp)
    {
        var bundle = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var entries = bundle["entry"]!.AsArray();
        var patient = entries.First(e => (string?)e!["resource"]!["resourceType"] == "Patient")!;
        var clinic = new JsonArray { patient.DeepClone() };
        var hospital = new JsonArray { patient.DeepClone() };
        var n = 0;
        foreach (var entry in entries)
        {
            if (!ReferenceEquals(entry, patient))
            {
                (n++ % 2 == 0 ? clinic : hospital).Add(entry!.DeepClone());
            }
        }

        JsonObject Make(JsonArray e) => new() { ["resourceType"] = "Bundle", ["type"] = "collection", ["entry"] = e };
        return (temp.Write("clinic.json", Make(clinic).ToJsonString()), temp.Write("hospital.json", Make(hospital).ToJsonString()));
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}")]
    private static partial Regex FullDate();
}

/// <summary>The test's own reading of a record's clinical date (as written).</summary>
internal static class ClinicalDate
{
    public static string? Of(Resource r)
    {
        var raw = r switch
        {
            Encounter e => e.Period?.Start,
            Condition c => (c.Onset as FhirDateTime)?.Value ?? c.RecordedDate,
            Observation o => (o.Effective as FhirDateTime)?.Value,
            Procedure p => (p.Performed as FhirDateTime)?.Value ?? (p.Performed as Period)?.Start,
            MedicationRequest m => m.AuthoredOn,
            Immunization i => (i.Occurrence as FhirDateTime)?.Value,
            _ => null,
        };
        return raw is { Length: >= 10 } ? raw : null;
    }
}
