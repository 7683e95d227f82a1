using System.Collections.Concurrent;
using System.Text.Json;
using HealthRecord.Sdk.FhirServer.Bulk;

namespace HealthRecord.Sdk.FhirServer.Sources;

/// <summary>
/// The sync state of every FHIR server source read by this process (and, for sources with a
/// <c>CheckpointDirectory</c>, by earlier ones: the state is kept in <c>NAME.sync.json</c> there). Thread-safe.
/// </summary>
public sealed class FhirServerSyncStates
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly ConcurrentDictionary<string, FhirServerSyncState> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _directories = new(StringComparer.Ordinal);

    /// <summary>The states known, by source name.</summary>
    public IReadOnlyCollection<FhirServerSyncState> All => _states.Values.OrderBy(s => s.SourceName, StringComparer.Ordinal).ToList();

    /// <summary>A source's state.</summary>
    /// <param name="sourceName">The source name.</param>
    /// <returns>The state, or <see langword="null"/> when the source was never read.</returns>
    public FhirServerSyncState? Get(string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return _states.GetValueOrDefault(sourceName);
    }

    internal void Load(string sourceName, string? directory)
    {
        if (directory is null)
        {
            return;
        }

        _directories[sourceName] = directory;
        if (_states.ContainsKey(sourceName))
        {
            return;
        }

        var path = PathOf(directory, sourceName);
        if (File.Exists(path))
        {
            try
            {
                if (JsonSerializer.Deserialize<FhirServerSyncState>(File.ReadAllText(path), Json) is { } state)
                {
                    _states.TryAdd(sourceName, state);
                }
            }
            catch (JsonException)
            {
                // A damaged state file is ignored: the next read writes it again.
            }
        }
    }

    internal void Started(string sourceName, DateTimeOffset at) =>
        Set(_states.AddOrUpdate(sourceName, n => new(n, FhirServerSyncStatus.Reading, null, null, at, null), (_, s) => s with { Status = FhirServerSyncStatus.Reading, LastAttempt = at, Progress = null }));

    internal void Completed(string sourceName, DateTimeOffset at, DateTimeOffset? since) =>
        Set(_states.AddOrUpdate(sourceName, n => new(n, FhirServerSyncStatus.Complete, at, since, at, null), (_, s) => s with { Status = FhirServerSyncStatus.Complete, LastCompleteRead = at, Since = since ?? s.Since, LastError = null, Progress = null }));

    internal void Incomplete(string sourceName, string error) =>
        Set(_states.AddOrUpdate(sourceName, n => new(n, FhirServerSyncStatus.Incomplete, null, null, null, error), (_, s) => s with { Status = FhirServerSyncStatus.Incomplete, LastError = error }));

    internal void Progressed(string sourceName, string progress) =>
        _states.AddOrUpdate(sourceName, n => new(n, FhirServerSyncStatus.Reading, null, null, null, null, progress), (_, s) => s with { Progress = progress });

    private void Set(FhirServerSyncState state)
    {
        if (_directories.TryGetValue(state.SourceName, out var directory))
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(PathOf(directory, state.SourceName), JsonSerializer.Serialize(state, Json));
        }
    }

    private static string PathOf(string directory, string sourceName) => Path.Combine(directory, BulkCheckpoint.SafeName(sourceName) + ".sync.json");
}
