namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Takes every source Patient as the same person. Right when the host already knows that all sources
/// of a run belong to one person (a patient uploading their own records, a per-patient export);
/// wrong for population data, where the probabilistic matcher must decide.
/// </summary>
public sealed class SinglePersonMatcher : IPatientMatcher
{
    /// <inheritdoc />
    public ValueTask<PatientLinkResult> LinkAsync(IReadOnlyList<PatientCandidate> patients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patients);
        var keys = patients.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        IReadOnlyList<IReadOnlyList<string>> persons = keys.Length == 0 ? [] : [keys];
        var links = new List<PatientLink>();
        for (var i = 1; i < keys.Length; i++)
        {
            links.Add(new PatientLink(keys[0], keys[i], double.PositiveInfinity, LinkDecision.Match, "Taken as one person (SinglePersonMatcher)."));
        }

        return ValueTask.FromResult(new PatientLinkResult(persons, links));
    }
}
