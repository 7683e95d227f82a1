namespace HealthRecord.Sdk.Deidentification;

/// <summary>Re-identification risk of an export: k-anonymity of its quasi-identifiers (birth year, sex, 3-digit postal code).</summary>
/// <param name="K">The size of the smallest group of persons sharing the same quasi-identifiers (0 for an empty export).</param>
/// <param name="Persons">How many persons.</param>
/// <param name="Classes">How many distinct combinations of quasi-identifiers.</param>
/// <param name="PersonsInClassesSmallerThan5">Persons whose combination is shared by fewer than 5 persons (a common risk threshold).</param>
/// <param name="PersonsInClassesSmallerThan11">Persons whose combination is shared by fewer than 11 persons (the small-cell threshold of many data providers).</param>
/// <param name="ClassSizes">How many combinations have each size (size to count, ordered by size).</param>
public sealed record KAnonymityReport(int K, int Persons, int Classes, int PersonsInClassesSmallerThan5, int PersonsInClassesSmallerThan11, IReadOnlyDictionary<int, int> ClassSizes);

/// <summary>Computes <see cref="KAnonymityReport"/>.</summary>
public static class KAnonymity
{
    /// <summary>The k-anonymity of the persons' quasi-identifiers.</summary>
    /// <param name="persons">One entry per person.</param>
    /// <returns>The report.</returns>
    public static KAnonymityReport Of(IEnumerable<QuasiIdentifiers> persons)
    {
        ArgumentNullException.ThrowIfNull(persons);
        var classes = persons.GroupBy(p => p).Select(g => g.Count()).ToList();
        var sizes = new SortedDictionary<int, int>();
        foreach (var size in classes)
        {
            sizes[size] = sizes.GetValueOrDefault(size) + 1;
        }

        return new KAnonymityReport(
            classes.Count == 0 ? 0 : classes.Min(),
            classes.Sum(),
            classes.Count,
            classes.Where(c => c < 5).Sum(),
            classes.Where(c => c < 11).Sum(),
            sizes);
    }
}
