using System.Text.Json;
using System.Text.Json.Serialization;

namespace HealthRecord.Sdk.FhirServer.Bulk;

/// <summary>
/// Where a Bulk Data read stands, kept as a small JSON file (<c>NAME.bulk.json</c>) beside the output files already
/// downloaded (<c>NAME.bulk/</c>), so that a read that stopped part-way resumes without fetching finished files again.
/// </summary>
internal sealed class BulkCheckpoint
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The kick-off URL (the same request resumes; another starts afresh).</summary>
    public string Request { get; set; } = "";

    /// <summary>The status URL of the job (the kick-off's <c>Content-Location</c>).</summary>
    public string? StatusUrl { get; set; }

    /// <summary>The manifest, once the export completed.</summary>
    public BulkManifest? Manifest { get; set; }

    /// <summary>Output files downloaded completely (by their index in the manifest), with their local names.</summary>
    public Dictionary<int, string> Completed { get; set; } = [];

    [JsonIgnore]
    public string? Path { get; private set; }

    [JsonIgnore]
    public string? FilesFolder => Path is null ? null : System.IO.Path.ChangeExtension(Path, null);

    public static BulkCheckpoint Load(string? directory, string sourceName, string request)
    {
        if (directory is null)
        {
            return new BulkCheckpoint { Request = request };
        }

        var path = System.IO.Path.Combine(directory, SafeName(sourceName) + ".bulk.json");
        if (File.Exists(path))
        {
            try
            {
                var loaded = JsonSerializer.Deserialize<BulkCheckpoint>(File.ReadAllText(path), Json);
                if (loaded is not null && loaded.Request == request)
                {
                    loaded.Path = path;
                    return loaded;
                }
            }
            catch (JsonException)
            {
                // A damaged checkpoint only costs a fresh export.
            }
        }

        var fresh = new BulkCheckpoint { Request = request, Path = path };
        fresh.DeleteFiles();
        return fresh;
    }

    public void Save()
    {
        if (Path is null)
        {
            return;
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, Path, overwrite: true);
    }

    /// <summary>Forgets the job (after it finished, or when the server no longer knows it).</summary>
    public void Reset()
    {
        StatusUrl = null;
        Manifest = null;
        Completed.Clear();
        DeleteFiles();
        Save();
    }

    /// <summary>Removes the checkpoint and its files (the read is complete).</summary>
    public void Delete()
    {
        if (Path is null)
        {
            return;
        }

        DeleteFiles();
        File.Delete(Path);
    }

    private void DeleteFiles()
    {
        if (FilesFolder is { } folder && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    internal static string SafeName(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}

/// <summary>The completed export's manifest (the parts the client uses).</summary>
internal sealed class BulkManifest
{
    public string? TransactionTime { get; set; }

    public bool RequiresAccessToken { get; set; }

    public List<BulkFile> Output { get; set; } = [];

    public List<BulkFile> Error { get; set; } = [];

    public static BulkManifest Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        return new BulkManifest
        {
            TransactionTime = root.TryGetProperty("transactionTime", out var t) ? t.GetString() : null,
            RequiresAccessToken = root.TryGetProperty("requiresAccessToken", out var r) && r.ValueKind == JsonValueKind.True,
            Output = Files(root, "output"),
            Error = Files(root, "error"),
        };
    }

    private static List<BulkFile> Files(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray()
                .Where(f => f.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String)
                .Select(f => new BulkFile(f.TryGetProperty("type", out var t) ? t.GetString() ?? "Unknown" : "Unknown", f.GetProperty("url").GetString()!,
                    f.TryGetProperty("count", out var c) && c.TryGetInt64(out var n) ? n : null))
                .ToList()
            : [];
}

/// <summary>One output or error file of a manifest.</summary>
internal sealed record BulkFile(string Type, string Url, long? Count);
