using System.Collections.Concurrent;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// The rule every <see cref="IEhrStore"/> applies inside a save's transaction to decide which person an aggregate
/// is saved as, so that two writers aggregating the same patient at once never create two persons. Each source
/// patient key (<c>source:Patient/id</c>) belongs to at most one person in a store.
/// </summary>
/// <remarks>
/// <para>Inside the save's transaction, with the owners of the aggregate's linked patients read there:</para>
/// <list type="number">
/// <item>the aggregate's person already has versions: it is saved as that person (a continuation);</item>
/// <item>no other person owns any of its linked patients: it is saved as its own, new person;</item>
/// <item>this store answered <see cref="IEhrStore.FindPersonAsync"/> for exactly these patients with another
/// person, and the caller still chose a new person: the caller kept them apart on purpose (a reviewer split a
/// person), so it is saved as its own person and the patients move to it;</item>
/// <item>otherwise another writer claimed the person first (it was not there when the caller looked): the
/// aggregate is saved as that person (<see cref="EhrAggregateSerializer.Rebase"/>), and the saved aggregate
/// returned carries the person id that won.</item>
/// </list>
/// Thread-safe. One instance per store instance.
/// </remarks>
public sealed class PersonClaims
{
    private const int MaxRemembered = 100_000;
    private readonly ConcurrentDictionary<string, string> _answers = new(StringComparer.Ordinal);

    /// <summary>The aggregate's linked patient keys, distinct and in ordinal order.</summary>
    /// <param name="aggregate">The aggregate.</param>
    /// <returns>The keys.</returns>
    public static IReadOnlyList<string> KeysOf(EhrAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        return aggregate.LinkedPatients.Select(p => p.ToString()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The person owning the most of these keys (ties: the smallest id), or <see langword="null"/>.</summary>
    /// <param name="owners">The person owning each key that has an owner.</param>
    /// <returns>The person.</returns>
    public static string? Winner(IEnumerable<string> owners)
    {
        ArgumentNullException.ThrowIfNull(owners);
        return owners.GroupBy(o => o, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key)
            .FirstOrDefault();
    }

    /// <summary>Remembers what <see cref="IEhrStore.FindPersonAsync"/> answered for these patients.</summary>
    /// <param name="linkedPatients">The keys asked about.</param>
    /// <param name="answer">The person answered, or <see langword="null"/>.</param>
    public void Remember(IEnumerable<string> linkedPatients, string? answer)
    {
        ArgumentNullException.ThrowIfNull(linkedPatients);
        if (_answers.Count > MaxRemembered)
        {
            _answers.Clear();
        }

        var key = Join(linkedPatients);
        if (answer is null)
        {
            _answers.TryRemove(key, out _);
        }
        else
        {
            _answers[key] = answer;
        }
    }

    /// <summary>Decides which person the aggregate is saved as (see the remarks).</summary>
    /// <param name="aggregate">The aggregate to save.</param>
    /// <param name="personHasVersions">Whether the aggregate's own person already has versions in the store.</param>
    /// <param name="owner">The <see cref="Winner"/> among the other persons owning its linked patients, read inside the transaction.</param>
    /// <returns>The person id to save as.</returns>
    public string Resolve(EhrAggregate aggregate, bool personHasVersions, string? owner)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        if (personHasVersions || owner is null || owner == aggregate.PersonId)
        {
            return aggregate.PersonId;
        }

        return _answers.TryGetValue(Join(KeysOf(aggregate)), out var answered) && answered != aggregate.PersonId
            ? aggregate.PersonId
            : owner;
    }

    private static string Join(IEnumerable<string> keys) => string.Join('\u001e', keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
}
