using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Sources;

namespace HealthRecord.Sdk.Aggregation;

/// <summary>
/// One shard of a population run split across processes or machines (<see cref="AggregationRequest.Shard"/>,
/// <c>aggregate --shard i/n</c>): every worker reads the Patients of all sources and links them the same way, then
/// aggregates and saves only the people of its shard. A person belongs to shard
/// <c>1 + (h mod n)</c>, where <c>h</c> is the first 8 bytes of the SHA-256 of the smallest (ordinal) source Patient key
/// (<c>source:Patient/id</c>) of the person's linked Patients, so independent workers given the same sources put every
/// person in exactly one shard, whatever the machine, the process or the order the files were read in.
/// </summary>
/// <remarks>
/// Shards are numbered from 1 (<c>1/4</c> … <c>4/4</c>). The split holds only when every worker is given the same
/// sources (the same files under the same source names) and the same identity-linking settings: the shard of a person
/// depends on the Patients it is linked with.
/// </remarks>
public sealed record PopulationShard
{
    /// <summary>Creates shard <paramref name="index"/> of <paramref name="count"/>.</summary>
    /// <param name="index">The shard, from 1 to <paramref name="count"/>.</param>
    /// <param name="count">The number of shards, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The count is below 1, or the index is not in 1…count.</exception>
    public PopulationShard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, count);
        Index = index;
        Count = count;
    }

    /// <summary>The shard, from 1 to <see cref="Count"/>.</summary>
    public int Index { get; }

    /// <summary>The number of shards.</summary>
    public int Count { get; }

    /// <summary>Parses <c>i/n</c> (e.g. <c>2/4</c>), with 1 ≤ i ≤ n.</summary>
    /// <param name="text">The text.</param>
    /// <param name="shard">The shard, when the text is one.</param>
    /// <returns>Whether the text is a shard.</returns>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PopulationShard? shard)
    {
        shard = null;
        var slash = text?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash <= 0
            || !int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count < 1 || index < 1 || index > count)
        {
            return false;
        }

        shard = new PopulationShard(index, count);
        return true;
    }

    /// <summary>Whether the person with these linked source Patients (<c>source:Patient/id</c> keys) belongs to this shard.</summary>
    /// <param name="patientKeys">The keys of the person's linked Patients (at least one).</param>
    /// <returns>Whether this shard aggregates the person.</returns>
    /// <exception cref="ArgumentException">No key is given.</exception>
    public bool Owns(IEnumerable<string> patientKeys)
    {
        ArgumentNullException.ThrowIfNull(patientKeys);
        string? smallest = null;
        foreach (var key in patientKeys)
        {
            if (smallest is null || string.CompareOrdinal(key, smallest) < 0)
            {
                smallest = key;
            }
        }

        if (smallest is null)
        {
            throw new ArgumentException("A person has at least one linked Patient.", nameof(patientKeys));
        }

        return Of(smallest, Count) == Index;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    // The shard (1…count) of a person whose smallest linked Patient key is this one.
    private static int Of(string smallestKey, int count)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(smallestKey), hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)count) + 1;
    }
}

/// <summary>
/// Applies a <see cref="PopulationShard"/> to a person-by-person run (<see cref="EhrAggregator.AggregatePopulationAsync"/>):
/// which people of the first pass the shard owns, which parts it must read (those holding a document of one of its
/// people), and which people of a part it aggregates. Kept apart from the pipeline so a run without a shard is unchanged.
/// </summary>
internal static class PopulationShards
{
    /// <summary>A shard splits a population run only: an aggregation that returns every EHR at once refuses one rather than save everyone.</summary>
    public static void RefuseShard(AggregationRequest request)
    {
        if (request.Shard is not null)
        {
            throw new ArgumentException($"A shard ({request.Shard}) splits a population run only (IPopulationAggregator.AggregatePopulationAsync); this aggregation would save everyone.", nameof(request));
        }
    }

    /// <summary>The source Patient keys (<c>source:Patient/id</c>, as <see cref="PopulationPlan.DocumentPatients"/> holds them) of a person.</summary>
    public static IEnumerable<string> PatientKeys(RecordGraph graph, PersonSlot person) =>
        person.PatientNodes.Select(n => RecordKey.Of(graph.Nodes[n].Record).ToString());

    /// <summary>Whether the shard (none: every person) aggregates this person of a graph.</summary>
    public static bool Owns(PopulationShard? shard, RecordGraph graph, PersonSlot person) =>
        shard is null || shard.Owns(PatientKeys(graph, person));

    /// <summary>The persons of the first pass the shard owns, and the Patient keys of those persons.</summary>
    /// <param name="shard">The shard.</param>
    /// <param name="recordKeys">Per Patient node of the first pass, its record key (<c>source:Patient/id</c>).</param>
    /// <param name="population">The persons of the first pass.</param>
    public static (int Persons, HashSet<string> PatientKeys) Owned(PopulationShard shard, IReadOnlyList<string> recordKeys, List<PersonSlot> population)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var persons = 0;
        foreach (var person in population)
        {
            var own = person.PatientNodes.Select(n => recordKeys[n]).ToList();
            if (shard.Owns(own))
            {
                persons++;
                keys.UnionWith(own);
            }
        }

        return (persons, keys);
    }

    /// <summary>
    /// The parts the shard must read: those with a document holding a Patient of one of its persons. A part of the
    /// whole run (null document sets: one part for everything) is always read.
    /// </summary>
    public static List<IReadOnlyList<IReadOnlySet<string>?>> Parts(List<IReadOnlyList<IReadOnlySet<string>?>> parts, IReadOnlyList<SourceRequest> sources,
        IEnumerable<PopulationPlan.DocumentPatients> documents, IReadOnlySet<string> ownedPatientKeys)
    {
        var owned = documents.Where(d => d.PatientKeys.Any(ownedPatientKeys.Contains)).Select(d => (d.Source, d.DocumentId)).ToHashSet();
        return parts.Where(part => part.Select((set, s) => (set, s)).Any(x => x.set is null || x.set.Any(d => owned.Contains((sources[x.s].Name, d))))).ToList();
    }
}
