using System.Text.Json.Nodes;
using CsCheck;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Aggregation;

/// <summary>
/// <see cref="EhrAggregator.UpdatePersonAsync"/>: one source sends a corrected, entered-in-error, removed or added record;
/// the person's EHR updated from its kept source records equals a full aggregation of every source read again from disk.
/// </summary>
public class IncrementalUpdateTests
{
    [Fact]
    public void UpdatePersonAsync_AnyUpdateOfOneSource_EqualsAFullReaggregation()
    {
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 3], Gen.Int[0, 10_000])
            .Sample((source, kind, pick) => CheckAsync(source, kind, pick).GetAwaiter().GetResult(), iter: 8, threads: 1);
    }

    [Fact]
    public async Task UpdatePersonAsync_WithoutKeptSourceRecords_Throws()
    {
        using var sp = Create();
        var aggregator = (EhrAggregator)sp.GetRequiredService<IEhrAggregator>();
        var ehr = (await aggregator.AggregateAsync(new AggregationRequest { Sources = [new(TestHost.SampleSources[0].Name, TestHost.SampleSources[0].Path)] })).Ehrs.Single();

        await Assert.ThrowsAsync<ArgumentException>(() => aggregator.UpdatePersonAsync(ehr with { SourceRecords = [] }, []));
    }

    private static async Task CheckAsync(int source, int kind, int pick)
    {
        using var tmp = TestHost.TempFolder();
        var sources = new List<SourceRequest>();
        foreach (var (name, path) in TestHost.SampleSources)
        {
            var target = tmp.File(name + (Directory.Exists(path) ? "" : ".json"));
            if (Directory.Exists(path))
            {
                Directory.CreateDirectory(target);
                foreach (var f in Directory.GetFiles(path))
                {
                    File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
                }
            }
            else
            {
                File.Copy(path, target);
            }

            sources.Add(new SourceRequest(name, target));
        }

        using var sp = Create();
        var aggregator = (EhrAggregator)sp.GetRequiredService<IEhrAggregator>();
        var previous = (await aggregator.AggregateAsync(new AggregationRequest { Sources = sources })).Ehrs.Single();

        // The source changes one document on disk.
        var changed = sources[source];
        var document = Directory.Exists(changed.Location) ? Path.Combine(changed.Location, "Observation.ndjson") : changed.Location;
        Mutate(document, kind, pick);
        var documentId = Directory.Exists(changed.Location) ? "Observation.ndjson" : Path.GetFileName(document);
        var update = (await aggregator.ReadAsync(new AggregationRequest { Sources = [changed] })).Records.Where(r => r.DocumentId == documentId).ToList();

        var incremental = (await aggregator.UpdatePersonAsync(previous, update)).Ehrs.Single();
        var full = (await aggregator.AggregateAsync(new AggregationRequest { Sources = sources })).Ehrs.Single();

        Assert.Equal(Json(full), Json(incremental));
        Assert.Equal(full.Lineage, incremental.Lineage);
        Assert.Equal(full.Conflicts.Select(EhrProvenanceExtensions.Describe), incremental.Conflicts.Select(EhrProvenanceExtensions.Describe));
        Assert.Equal(full.SourceRecords.Select(r => r.ToString()), incremental.SourceRecords.Select(r => r.ToString()));
    }

    // 0 corrects a value, 1 marks a record entered-in-error, 2 removes a record, 3 adds one (a copy under a new id).
    private static void Mutate(string path, int kind, int pick)
    {
        var ndjson = path.EndsWith(".ndjson", StringComparison.Ordinal);
        var text = File.ReadAllText(path);
        var resources = ndjson
            ? text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList()
            : JsonNode.Parse(text)!["entry"]!.AsArray().Select(e => e!.AsObject()).ToList();
        JsonObject ResourceOf(JsonObject item) => ndjson ? item : item["resource"]!.AsObject();
        var candidates = resources.Where(r => (string?)ResourceOf(r)["resourceType"] != "Patient").ToList();
        var item = candidates[pick % candidates.Count];
        var resource = ResourceOf(item);
        var type = (string?)resource["resourceType"];
        if (kind == 0 && resource["valueQuantity"]?["value"] is JsonValue value)
        {
            resource["valueQuantity"]!["value"] = value.GetValue<decimal>() + 1.5m;
        }
        else if (kind == 1 && type == "Observation")
        {
            resource["status"] = "entered-in-error";
        }
        else if (kind == 1 && type == "Condition")
        {
            resource["verificationStatus"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/condition-ver-status", ["code"] = "entered-in-error" }) };
        }
        else if (kind == 3)
        {
            var copy = item.DeepClone().AsObject();
            ResourceOf(copy)["id"] = $"update-{pick}";
            if (!ndjson)
            {
                copy["fullUrl"] = $"urn:uuid:00000000-0000-4000-8000-{pick:D12}";
            }

            resources.Add(copy);
        }
        else
        {
            resources.Remove(item);
        }

        if (ndjson)
        {
            File.WriteAllText(path, string.Join("\n", resources.Select(r => r.ToJsonString())) + "\n");
        }
        else
        {
            var bundle = JsonNode.Parse(text)!.AsObject();
            bundle["entry"] = new JsonArray(resources.Select(r => (JsonNode)r.DeepClone()).ToArray());
            File.WriteAllText(path, bundle.ToJsonString());
        }
    }

    private static ServiceProvider Create() => TestHost.Create(hr => hr.Configure(o => o.SaveToStore = false));

    private static string Json(EhrAggregate ehr) => FhirJson.Serialize(EhrBundleBuilder.Build(ehr));
}
