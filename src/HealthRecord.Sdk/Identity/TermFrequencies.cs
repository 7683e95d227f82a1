namespace HealthRecord.Sdk.Identity;

/// <summary>
/// Term-frequency adjustments (as Splink applies them): an exact agreement on a rare value (a surname few records carry) is
/// stronger evidence than one on a common value. For an exact given name, family name, city or postcode the weight
/// <c>log2(m/u)</c> becomes <c>log2(m/tf(v))</c>, i.e. the field's exact weight plus <c>log2(u/tf(v))</c>, where <c>tf(v)</c>
/// is the share of the run's records carrying the value <c>v</c>. Frequencies are counted over the candidates of the run, so
/// the result is deterministic for the same candidates.
/// </summary>
/// <remarks>Only built for runs large enough to estimate weights: in a handful of records every value looks common.</remarks>
internal sealed class TermFrequencies
{
    /// <summary>The adjustment is bounded on both sides: a frequency counted on a few thousand records is not exact.</summary>
    public const double MaximumAdjustment = 5;

    /// <summary>Fields the adjustment applies to (exact level only).</summary>
    private static readonly MatchField[] Fields = [MatchField.GivenName, MatchField.FamilyName, MatchField.City, MatchField.PostalCode];

    private readonly Dictionary<string, int>[] _counts;
    private readonly int[] _records;

    private TermFrequencies(Dictionary<string, int>[] counts, int[] records)
    {
        _counts = counts;
        _records = records;
    }

    /// <summary>Counts the values of every candidate (each value once per record).</summary>
    public static TermFrequencies Count(IReadOnlyList<PatientFeatures> features)
    {
        var counts = new Dictionary<string, int>[Fields.Length];
        var records = new int[Fields.Length];
        for (var f = 0; f < Fields.Length; f++)
        {
            counts[f] = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var feature in features)
            {
                var values = ValuesOf(feature, Fields[f]);
                if (values.Length == 0)
                {
                    continue;
                }

                records[f]++;
                foreach (var v in values)
                {
                    counts[f][v] = counts[f].TryGetValue(v, out var c) ? c + 1 : 1;
                }
            }
        }

        return new TermFrequencies(counts, records);
    }

    /// <summary>
    /// The adjustment of each field (0 for fields that do not agree exactly or carry no frequency), written into
    /// <paramref name="perField"/> (length <see cref="FieldSpec.FieldCount"/>); returns their sum.
    /// </summary>
    public double Adjust(PatientFeatures a, PatientFeatures b, ulong pattern, MatchModel model, Span<double> perField)
    {
        perField.Clear();
        var total = 0.0;
        for (var f = 0; f < Fields.Length; f++)
        {
            var field = (int)Fields[f];
            if (FieldSpec.Get(pattern, field) != 0 || _records[f] < 2)
            {
                continue;
            }

            var value = SharedValue(ValuesOf(a, Fields[f]), ValuesOf(b, Fields[f]), Fields[f]);
            if (value is null || !_counts[f].TryGetValue(value, out var count))
            {
                continue;
            }

            var tf = (double)count / _records[f];
            var adjustment = Math.Clamp(Math.Log2(model.U[field][0] / tf), -MaximumAdjustment, MaximumAdjustment);
            perField[field] = adjustment;
            total += adjustment;
        }

        return total;
    }

    /// <summary>The adjustment summed over the fields.</summary>
    public double Adjust(PatientFeatures a, PatientFeatures b, ulong pattern, MatchModel model)
    {
        Span<double> perField = stackalloc double[FieldSpec.FieldCount];
        return Adjust(a, b, pattern, model, perField);
    }

    private static string[] ValuesOf(PatientFeatures f, MatchField field) => field switch
    {
        MatchField.GivenName => f.Given.Length > 0 ? [f.Given[0]] : [],
        MatchField.FamilyName => f.Family,
        MatchField.City => f.Cities,
        _ => f.PostalCodes,
    };

    /// <summary>The value both sides carry (the given name compares the first given names only).</summary>
    private static string? SharedValue(string[] a, string[] b, MatchField field)
    {
        if (field == MatchField.GivenName)
        {
            return a.Length > 0 && b.Length > 0 && a[0] == b[0] ? a[0] : null;
        }

        foreach (var x in a)
        {
            if (Array.IndexOf(b, x) >= 0)
            {
                return x;
            }
        }

        return null;
    }
}
