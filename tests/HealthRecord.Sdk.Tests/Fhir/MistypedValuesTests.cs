using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Fhir;

/// <summary>
/// The reader walks a resource for mistyped values only when the deserializer told <see cref="MistypedValues.Notice"/> it met
/// one: these tests check that it never misses one a walk of every resource finds.
/// </summary>
public class MistypedValuesTests
{
    private static readonly Lazy<JsonObject[]> Resources = new(() =>
        JsonNode.Parse(File.ReadAllText(TestHost.SampleSources[1].Path))!["entry"]!.AsArray()
            .Select(e => e!["resource"]!.AsObject())
            .Take(60)
            .ToArray());

    // A deserializer that notices nothing: the reference for what a walk of every resource finds.
    private static readonly FhirJsonDeserializer Unwatched = new(new DeserializerSettings { Validator = null });

    private static readonly JsonNode[] WrongValues = [JsonValue.Create(2020), JsonValue.Create(true), JsonValue.Create("text"), JsonValue.Create(1.5m), JsonValue.Create(false)];

    [Fact]
    public async Task Notice_ValueOfAnyKindInAnyPrimitive_ReaderWarnsAsAFullWalkDoes()
    {
        var gen = Gen.Select(Gen.Int[0, Resources.Value.Length - 1], Gen.Double[0, 1], Gen.Int[0, WrongValues.Length - 1], Gen.Bool);
        var mistyped = 0;
        await gen.SampleAsync(
            async (resourceIndex, at, wrong, validate) =>
            {
                var json = Mutate(Resources.Value[resourceIndex], at, WrongValues[wrong]);
                var read = await ReadOneAsync(json, validate);
                var expected = WalkEverything(json, validate);
                var actual = read?.Warnings.Where(w => w.EndsWith("; the value was dropped.", StringComparison.Ordinal)).ToList() ?? [];
                Assert.Equal(expected ?? [], actual);
                if (actual.Count > 0)
                {
                    Interlocked.Increment(ref mistyped);
                }
            },
            iter: 300);

        Assert.True(mistyped > 20, $"only {mistyped} samples had a mistyped value");
    }

    [Fact]
    public void Notice_ValueOfTheStoredType_IsNotSeen()
    {
        MistypedValues.StartWatching();
        FhirJson.StructuralDeserializer.DeserializeResource("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":5.4},"effectiveDateTime":"2020-01-01","issued":"2020-01-01T00:00:00Z"}""");

        Assert.False(MistypedValues.Seen);
    }

    [Fact]
    public void Notice_NumberWhereAStringBelongs_IsSeen()
    {
        MistypedValues.StartWatching();
        FhirJson.StructuralDeserializer.DeserializeResource("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":2020}""");

        Assert.True(MistypedValues.Seen);
    }

    // The resource with its n-th leaf value (in document order, "resourceType" aside) replaced.
    private static string Mutate(JsonObject resource, double at, JsonNode wrong)
    {
        var copy = resource.DeepClone().AsObject();
        var leaves = new List<JsonValue>();
        Collect(copy, leaves);
        var leaf = leaves[(int)(at * (leaves.Count - 1))];
        leaf.ReplaceWith(wrong.DeepClone());
        return copy.ToJsonString();
    }

    private static void Collect(JsonNode? node, List<JsonValue> leaves)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                {
                    if (name != "resourceType")
                    {
                        Collect(child, leaves);
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Collect(child, leaves);
                }

                break;
            case JsonValue v:
                leaves.Add(v);
                break;
        }
    }

    private static async Task<SourceRecord?> ReadOneAsync(string json, bool validate)
    {
        var reader = new FhirJsonDocumentReader(Microsoft.Extensions.Options.Options.Create(new HealthRecordOptions { ValidateFhirElements = validate }));
        SourceRecord? record = null;
        await foreach (var r in reader.ReadAsync(SourceDocument.FromBytes("src", "r.json", Encoding.UTF8.GetBytes(json))))
        {
            record = r;
        }

        return record;
    }

    // What a walk of the whole resource (as the reader did for every resource before) drops; null when the resource is refused.
    private static List<string>? WalkEverything(string json, bool validate)
    {
        Resource resource;
        try
        {
            resource = (validate ? new FhirJsonDeserializer(new DeserializerSettings()) : Unwatched).DeserializeResource(json);
        }
        catch (DeserializationFailedException ex) when (ex.PartialResult is Resource partial)
        {
            resource = partial;
        }
        catch (DeserializationFailedException)
        {
            return null;
        }

        return MistypedValues.Drop(resource);
    }
}
