using System.Text.Json;
using System.Text.Json.Nodes;

namespace HealthRecord.FhirTestServer;

/// <summary>One resource the server holds.</summary>
internal sealed class StoredResource
{
    public required string Type { get; init; }

    public required string Id { get; init; }

    public required string Json { get; init; }

    /// <summary>The patients whose compartment holds the resource.</summary>
    public required IReadOnlyList<string> Patients { get; init; }

    /// <summary>The resources it references, as <c>Type/id</c>, with the top-level element that holds each.</summary>
    public required IReadOnlyList<(string Element, string Reference)> References { get; init; }

    public DateTimeOffset LastUpdated { get; set; }

    public string Key => $"{Type}/{Id}";
}

/// <summary>
/// The FHIR data of a folder, loaded once: bundle entries, single resources and NDJSON lines. References
/// written as <c>urn:uuid:</c> or as conditional references (<c>Practitioner?identifier=sys|value</c>)
/// are rewritten to <c>Type/id</c>, as a server does when it stores a transaction.
/// </summary>
internal sealed class FhirDataStore
{
    // Where the patient compartment (FHIR R4 CompartmentDefinition "patient") puts a resource, for the types served.
    private static readonly string[] CompartmentElements = ["subject", "patient", "beneficiary", "individual"];

    private readonly Dictionary<string, StoredResource> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<StoredResource>> _byType = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<StoredResource>> _byPatient = new(StringComparer.Ordinal);

    public FhirDataStore(IEnumerable<string> paths, DateTimeOffset defaultLastUpdated)
    {
        var raw = new List<JsonObject>();
        foreach (var path in paths)
        {
            var files = File.Exists(path) ? [path] : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
            foreach (var file in files)
            {
                Load(file, raw);
            }
        }

        // Ids for urn:uuid: and conditional references.
        var uuids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var identifiers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in raw)
        {
            var key = $"{(string)r["resourceType"]!}/{(string)r["id"]!}";
            uuids.TryAdd((string)r["id"]!, key);
            if (r["identifier"] is JsonArray ids)
            {
                foreach (var id in ids.OfType<JsonObject>())
                {
                    if (id["system"]?.GetValue<string>() is { } system && id["value"]?.GetValue<string>() is { } value)
                    {
                        identifiers.TryAdd($"{(string)r["resourceType"]!}?identifier={system}|{value}", key);
                    }
                }
            }
        }

        foreach (var r in raw)
        {
            var type = (string)r["resourceType"]!;
            var id = (string)r["id"]!;
            var references = new List<(string, string)>();
            foreach (var (element, value) in r)
            {
                if (value is not null)
                {
                    Rewrite(value, element, uuids, identifiers, references);
                }
            }

            var patients = type == "Patient"
                ? [id]
                : references.Where(x => (CompartmentElements.Contains(x.Item1) || (type == "Provenance" && x.Item1 == "target")) && x.Item2.StartsWith("Patient/", StringComparison.Ordinal))
                    .Select(x => x.Item2["Patient/".Length..]).Distinct(StringComparer.Ordinal).ToList();
            var lastUpdated = r["meta"]?["lastUpdated"]?.GetValue<string>() is { } lu && DateTimeOffset.TryParse(lu, out var parsed) ? parsed : defaultLastUpdated;
            var stored = new StoredResource
            {
                Type = type,
                Id = id,
                Json = r.ToJsonString(),
                Patients = patients,
                References = references,
                LastUpdated = lastUpdated,
            };
            if (!_byKey.TryAdd(stored.Key, stored))
            {
                continue;
            }

            if (!_byType.TryGetValue(type, out var list))
            {
                _byType[type] = list = [];
            }

            list.Add(stored);
            foreach (var p in patients)
            {
                if (!_byPatient.TryGetValue(p, out var plist))
                {
                    _byPatient[p] = plist = [];
                }

                plist.Add(stored);
            }
        }

        foreach (var list in _byType.Values.Concat(_byPatient.Values))
        {
            list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        }
    }

    public IReadOnlyCollection<string> Types => _byType.Keys;

    public int Count => _byKey.Count;

    public StoredResource? Find(string type, string id) => _byKey.GetValueOrDefault($"{type}/{id}");

    public StoredResource? Find(string reference) => _byKey.GetValueOrDefault(reference);

    public IReadOnlyList<StoredResource> OfType(string type) => _byType.GetValueOrDefault(type) ?? [];

    /// <summary>The patient's compartment (the Patient itself first).</summary>
    public IEnumerable<StoredResource> Compartment(string patientId)
    {
        if (Find("Patient", patientId) is { } patient)
        {
            yield return patient;
        }

        foreach (var r in _byPatient.GetValueOrDefault(patientId) ?? [])
        {
            if (r.Type != "Patient")
            {
                yield return r;
            }
        }
    }

    private static void Load(string file, List<JsonObject> into)
    {
        if (file.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var line in File.ReadLines(file))
            {
                if (!string.IsNullOrWhiteSpace(line) && TryParse(line) is JsonObject o)
                {
                    Add(o, into);
                }
            }

            return;
        }

        if (!file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || TryParse(File.ReadAllText(file)) is not JsonObject root)
        {
            return;
        }

        if ((string?)root["resourceType"] == "Bundle")
        {
            foreach (var entry in (root["entry"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (entry["resource"] is JsonObject resource)
                {
                    entry.Remove("resource");
                    if (resource["id"] is null && entry["fullUrl"]?.GetValue<string>() is { } fullUrl && fullUrl.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
                    {
                        resource["id"] = fullUrl[9..];
                    }

                    Add(resource, into);
                }
            }
        }
        else
        {
            Add(root, into);
        }
    }

    private static void Add(JsonObject resource, List<JsonObject> into)
    {
        if (resource["resourceType"] is JsonValue t && t.TryGetValue<string>(out _) && resource["id"] is JsonValue i && i.TryGetValue<string>(out _))
        {
            into.Add(resource);
        }
    }

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Rewrite(JsonNode node, string element, Dictionary<string, string> uuids, Dictionary<string, string> identifiers, List<(string, string)> references)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["reference"] is JsonValue v && v.TryGetValue<string>(out var reference))
                {
                    string? resolved = null;
                    if (reference.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
                    {
                        resolved = uuids.GetValueOrDefault(reference[9..]);
                    }
                    else if (reference.Contains("?identifier=", StringComparison.Ordinal))
                    {
                        resolved = identifiers.GetValueOrDefault(reference);
                    }
                    else if (reference.Split('/') is [var type, var id] && type.Length > 0 && char.IsUpper(type[0]))
                    {
                        resolved = $"{type}/{id}";
                    }

                    if (resolved is not null)
                    {
                        o["reference"] = resolved;
                        references.Add((element, resolved));
                    }
                }

                foreach (var (_, child) in o.ToList())
                {
                    if (child is JsonObject or JsonArray)
                    {
                        Rewrite(child, element, uuids, identifiers, references);
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    if (child is not null)
                    {
                        Rewrite(child, element, uuids, identifiers, references);
                    }
                }

                break;
        }
    }
}
