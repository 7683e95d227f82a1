using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// A store that finds its persons again by identity evidence, whatever the sources were named when they were saved:
/// it keeps, per person, the identifying keys of the person's Patients (<see cref="PersonIdentityKeys.KeysOf(EhrAggregate)"/>:
/// the identity linker's blocking keys, hashed) and the Patients themselves, written inside the save's transaction.
/// </summary>
/// <remarks>
/// The aggregator asks it only for a person that no stored person claims by source patient key
/// (<see cref="IEhrStore.FindPersonAsync"/>), and compares the candidates it returns with the configured
/// <see cref="IPatientMatcher"/>: only a <see cref="LinkDecision.Match"/> reuses a stored person; a
/// <see cref="LinkDecision.Possible"/> goes to the link review queue and the person stays new. The look-up reads an
/// index of keys (no scan of every person). Implementations must be thread-safe.
/// </remarks>
public interface IPersonIdentityIndex
{
    /// <summary>The stored persons sharing the most identifying keys with these, with their Patients.</summary>
    /// <param name="identityKeys">Keys as <see cref="PersonIdentityKeys.KeysOf(IEnumerable{Patient})"/> gives them.</param>
    /// <param name="maxPersons">At most this many persons (the ones sharing the most keys; ties: the smallest id).</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The candidates, the one sharing the most keys first.</returns>
    Task<IReadOnlyList<StoredPersonIdentity>> FindByIdentityAsync(IReadOnlyCollection<string> identityKeys, int maxPersons, CancellationToken cancellationToken = default);
}

/// <summary>A stored person as identity linking sees it.</summary>
/// <param name="PersonId">The stored person.</param>
/// <param name="Patients">The person's source Patients as last saved (keys <c>source:Patient/id</c>), or its golden Patient when no source record was kept.</param>
public sealed record StoredPersonIdentity(string PersonId, IReadOnlyList<PatientCandidate> Patients);

/// <summary>Finds a stored person again by identity evidence, as the aggregator does (see <see cref="IPersonIdentityIndex"/>).</summary>
public static class StoredPersonLookup
{
    /// <summary>How many stored persons sharing identifying keys are compared with a person.</summary>
    public const int MaxCandidates = 8;

    private static readonly Lazy<IPatientMatcher> DefaultMatcher = new(() => new ProbabilisticPatientMatcher());

    /// <summary>
    /// The stored person the matcher puts in one group with these Patients (the one with the most of them; ties: the
    /// smallest id), among the stored persons sharing identifying keys with them: only a match counts; a possible link
    /// goes to the link review queue as the matcher submits it. A <see cref="SinglePersonMatcher"/> says nothing about the
    /// store's other persons, so the default probabilistic matcher compares with them then.
    /// </summary>
    /// <param name="index">The store's identity index.</param>
    /// <param name="matcher">The configured matcher.</param>
    /// <param name="patients">The person's Patients.</param>
    /// <param name="skip">Stored persons not to consider (already taken); none when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The stored person, or <see langword="null"/>.</returns>
    public static async Task<string?> FindAsync(IPersonIdentityIndex index, IPatientMatcher? matcher, IReadOnlyList<PatientCandidate> patients, Func<string, bool>? skip = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(patients);
        var identityKeys = PersonIdentityKeys.KeysOf(patients.Select(c => c.Patient));
        if (patients.Count == 0 || identityKeys.Count == 0)
        {
            return null;
        }

        var storedPersons = await index.FindByIdentityAsync(identityKeys, MaxCandidates, cancellationToken).ConfigureAwait(false);
        var ownKeys = patients.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var ownerOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var candidates = patients.DistinctBy(c => c.Key, StringComparer.Ordinal).ToList();
        foreach (var storedPerson in storedPersons.Where(p => skip?.Invoke(p.PersonId) != true))
        {
            foreach (var p in storedPerson.Patients)
            {
                if (!ownKeys.Contains(p.Key) && ownerOf.TryAdd(p.Key, storedPerson.PersonId))
                {
                    candidates.Add(p);
                }
            }
        }

        if (ownerOf.Count == 0)
        {
            return null;
        }

        var linker = matcher is null or SinglePersonMatcher ? DefaultMatcher.Value : matcher;
        var link = await linker.LinkAsync(candidates, cancellationToken).ConfigureAwait(false);
        return PersonClaims.Winner(link.Persons.Where(g => g.Any(ownKeys.Contains)).SelectMany(g => g).Where(ownerOf.ContainsKey).Select(k => ownerOf[k]));
    }
}

/// <summary>What a store keeps for <see cref="IPersonIdentityIndex"/>: the identifying keys and Patients of an aggregate.</summary>
public static class PersonIdentityKeys
{
    /// <summary>The hashed identifying keys of the aggregate's Patients (see <see cref="PatientsOf"/>), distinct and ordered.</summary>
    /// <param name="aggregate">The aggregate.</param>
    /// <returns>The keys (no patient data in clear).</returns>
    public static IReadOnlyList<string> KeysOf(EhrAggregate aggregate) => KeysOf(PatientsOf(aggregate).Select(p => p.Patient));

    /// <summary>
    /// The hashed identifying keys of Patients: the identity linker's blocking keys (phonetic names with birth year,
    /// birth date, postcode, address, identifiers, phones, e-mails), so that any Patient the linker would compare with
    /// one of these shares a key with it.
    /// </summary>
    /// <param name="patients">The Patients.</param>
    /// <returns>The keys, distinct and ordered.</returns>
    public static IReadOnlyList<string> KeysOf(IEnumerable<Patient> patients)
    {
        ArgumentNullException.ThrowIfNull(patients);
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var patient in patients)
        {
            foreach (var (kind, value) in CandidateBlocker.KeysOf(PatientFeatures.From("", patient, null)))
            {
                keys.Add(Hash(kind, value));
            }
        }

        return keys.ToList();
    }

    /// <summary>
    /// The aggregate's identifying Patients: its linked source Patients when it kept its source records
    /// (<see cref="EhrAggregate.SourceRecords"/>), else its golden Patient (key <c>ehr:Patient/PERSON</c>).
    /// </summary>
    /// <param name="aggregate">The aggregate.</param>
    /// <returns>The Patients as identity-linking candidates.</returns>
    public static IReadOnlyList<PatientCandidate> PatientsOf(EhrAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        var linked = aggregate.LinkedPatients.Select(p => p.ToString()).ToHashSet(StringComparer.Ordinal);
        var patients = aggregate.SourceRecords
            .Where(r => r.Resource is Patient && linked.Contains(RecordKey.Of(r).ToString()))
            .Select(r => new PatientCandidate(RecordKey.Of(r).ToString(), r.SourceName, (Patient)r.Resource!))
            .DistinctBy(c => c.Key, StringComparer.Ordinal)
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .ToList();
        return patients.Count > 0 ? patients : [new PatientCandidate("ehr:Patient/" + aggregate.PersonId, "ehr", aggregate.Patient)];
    }

    /// <summary>The aggregate's identifying Patients (<see cref="PatientsOf"/>) as JSON, for the store to keep.</summary>
    /// <param name="aggregate">The aggregate.</param>
    /// <returns>The JSON.</returns>
    public static string PatientsJson(EhrAggregate aggregate)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var p in PatientsOf(aggregate))
            {
                writer.WriteStartObject();
                writer.WriteString("key", p.Key);
                writer.WriteString("source", p.SourceName);
                writer.WritePropertyName("patient");
                writer.WriteRawValue(FhirJson.Serialize(p.Patient), skipInputValidation: true);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads what <see cref="PatientsJson"/> wrote; entries that no longer parse are left out.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The Patients.</returns>
    public static IReadOnlyList<PatientCandidate> ReadPatients(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var patients = new List<PatientCandidate>();
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var e in document.RootElement.EnumerateArray())
            {
                try
                {
                    patients.Add(new PatientCandidate(e.GetProperty("key").GetString()!, e.GetProperty("source").GetString()!, FhirJson.Parse<Patient>(e.GetProperty("patient").GetRawText())));
                }
                catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or Hl7.Fhir.Serialization.DeserializationFailedException)
                {
                    // One unreadable entry does not hide the others.
                }
            }
        }
        catch (JsonException)
        {
            return [];
        }

        return patients;
    }

    private static string Hash(string kind, string value) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(kind + "\u001f" + value)).AsSpan(0, 16));
}
