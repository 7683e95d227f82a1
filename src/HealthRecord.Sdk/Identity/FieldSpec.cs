namespace HealthRecord.Sdk.Identity;

/// <summary>The comparison levels of each <see cref="MatchField"/> and the default m/u probabilities that work without training.</summary>
internal static class FieldSpec
{
    /// <summary>The packed level that means "either side lacks the field".</summary>
    public const int Missing = 15;

    public const int FieldCount = 12;

    public const int GivenNickname = 1;
    public const int GivenClose = 2;
    public const int GivenJw88 = 3;
    public const int GivenSimilar = 4;
    public const int GivenDifferent = 5;

    public const int FamilyClose = 1;
    public const int FamilyJw88 = 2;
    public const int FamilyTwoEdits = 3;
    public const int FamilySimilar = 4;
    public const int FamilyDifferent = 5;

    public const int AddressClose = 1;
    public const int AddressJw88 = 2;
    public const int AddressReordered = 3;
    public const int AddressSimilar = 4;
    public const int AddressDifferent = 5;

    public const int CityDifferent = 3;
    public const int BirthDateDifferent = 4;
    public const int BirthDateFar = 5;

    /// <summary>
    /// Birth dates in one year, one digit of the month or day apart (or day and month swapped), 3 to 240 days apart: a keying
    /// error no two siblings show (siblings are born at least about nine months apart, twins on one day or the next).
    /// </summary>
    public const int BirthDateSameYearTypo = 6;

    /// <summary>SSN: two adjacent digits transposed (a keying error; never the number of a twin).</summary>
    public const int SsnTransposed = 1;

    /// <summary>SSN: one digit different and at least 100 apart, or one digit dropped or added (a keying error; never the number of a twin).</summary>
    public const int SsnOneDigit = 2;

    /// <summary>SSN: less than 100 apart (a keying error in the last digits, or the next numbers issued: twins, siblings).</summary>
    public const int SsnNear = 3;

    public const int SsnDifferent = 4;

    public static readonly string[][] LevelNames =
    [
        ["exact", "nickname", "close", "jw88", "similar", "different"],
        ["exact", "close", "jw88", "two-edits", "similar", "different"],
        ["exact", "one-digit", "day-month-swap", "close", "different", "years-apart", "same-year-typo"],
        ["same", "different"],
        ["exact", "close", "jw88", "reordered", "similar", "different"],
        ["exact", "close", "similar", "different"],
        ["exact", "one-typo", "different"],
        ["exact", "one-typo", "different"],
        ["exact", "different"],
        ["exact", "transposed", "one-digit", "near", "different"],
        ["exact", "different"],
        ["exact", "different"],
    ];

    /// <summary>P(level | same person): how often a true match shows each level (data-entry error rates in EMR registration).</summary>
    public static readonly double[][] DefaultM =
    [
        [0.855, 0.05, 0.04, 0.015, 0.02, 0.02],
        [0.895, 0.045, 0.0075, 0.0075, 0.015, 0.03],
        [0.93, 0.015, 0.005, 0.01, 0.015, 0.005, 0.02],
        [0.98, 0.02],
        [0.60, 0.08, 0.03, 0.02, 0.03, 0.24],
        [0.70, 0.05, 0.01, 0.24],
        [0.70, 0.03, 0.27],
        [0.60, 0.05, 0.35],
        [0.70, 0.30],
        [0.96, 0.005, 0.015, 0.01, 0.01],
        [0.97, 0.03],
        [0.97, 0.03],
    ];

    /// <summary>P(level | different people): chance agreement between two unrelated records.</summary>
    public static readonly double[][] DefaultU =
    [
        [0.005, 0.001, 0.004, 0.005, 0.015, 0.97],
        [0.002, 0.002, 0.003, 0.002, 0.007, 0.984],
        [0.00004, 0.00015, 0.00002, 0.005, 0.15, 0.84462, 0.00017],
        [0.5, 0.5],
        [0.0005, 0.0004, 0.0004, 0.0002, 0.0045, 0.9940],
        [0.02, 0.005, 0.01, 0.965],
        [0.01, 0.02, 0.97],
        [0.0001, 0.0005, 0.9994],
        [0.0001, 0.9999],
        [0.000001, 0.000001, 0.00001, 0.0001, 0.999888],
        [0.000001, 0.999999],
        [0.000001, 0.999999],
    ];

    public static int Get(ulong pattern, int field) => (int)((pattern >> (field * 4)) & 0xF);

    public static ulong Set(ulong pattern, int field, int level) =>
        (pattern & ~(0xFUL << (field * 4))) | ((ulong)level << (field * 4));

    /// <summary>A pattern with every field missing.</summary>
    public static ulong AllMissing
    {
        get
        {
            var p = 0UL;
            for (var f = 0; f < FieldCount; f++)
            {
                p = Set(p, f, Missing);
            }

            return p;
        }
    }
}
