using CsCheck;
using HealthRecord.Sdk.Identity;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Identity;

public class PatientComparatorTests
{
    [Theory]
    [InlineData("19620322", "19620322", "exact")]
    [InlineData("19620322", "19620332", "one-digit")]
    [InlineData("19620322", "19260322", "one-digit")]
    [InlineData("19620322", "19870915", "years-apart")]
    [InlineData("19620112", "19621201", "day-month-swap")]
    [InlineData("19620304", "19620403", "same-year-typo")]
    [InlineData("19620322", "19620522", "same-year-typo")]
    [InlineData("19620322", "19620323", "one-digit")]
    [InlineData("19620130", "19621130", "one-digit")]
    [InlineData("19620322", "19620311", "close")]
    [InlineData("19620322", "19650917", "different")]
    [InlineData("19620322", "1962", "close")]
    [InlineData("19620322", "", "missing")]
    public void CompareBirthDate_Levels(string a, string b, string level)
    {
        var l = PatientComparator.CompareBirthDate(a, b);
        Assert.Equal(level, l == FieldSpec.Missing ? "missing" : FieldSpec.LevelNames[(int)MatchField.BirthDate][l]);
    }

    [Fact]
    public void Compare_SameSystemIdentifierDiffers_Different()
    {
        var a = Features(PatientBuilder.Candidate("a", "1", "Ann", "Lee", "1990-01-01", mrn: ("urn:oid:1.2.3", "100")));
        var b = Features(PatientBuilder.Candidate("a", "2", "Ann", "Lee", "1990-01-01", mrn: ("urn:oid:1.2.3", "200")));
        var c = Features(PatientBuilder.Candidate("b", "3", "Ann", "Lee", "1990-01-01", mrn: ("urn:oid:9.9.9", "100")));

        Assert.Equal(1, FieldSpec.Get(PatientComparator.Compare(a, b), (int)MatchField.LocalIdentifier));
        Assert.Equal(FieldSpec.Missing, FieldSpec.Get(PatientComparator.Compare(a, c), (int)MatchField.LocalIdentifier));
    }

    [Fact]
    public void Compare_GivenAndFamilySwapped_CloseNames()
    {
        var a = Features(PatientBuilder.Candidate("a", "1", "Lucy", "Fitzpatrick", "1921-02-22"));
        var b = Features(PatientBuilder.Candidate("b", "1", "Fitzpatrick", "Lucy", "1921-02-22"));

        var p = PatientComparator.Compare(a, b);

        Assert.Equal(2, FieldSpec.Get(p, (int)MatchField.GivenName));
        Assert.Equal(1, FieldSpec.Get(p, (int)MatchField.FamilyName));
    }

    [Theory]
    [InlineData("Oliver", "Ryan", "Ryam", "Oliver", FieldSpec.GivenJw88, FieldSpec.FamilyJw88)]
    [InlineData("Nathan", "Sieber", "Ssieber", "Nathna", FieldSpec.GivenClose, FieldSpec.FamilyClose)]
    public void Compare_SwappedAndMistyped_GradedByTheirOwnSimilarity(string givenA, string familyA, string givenB, string familyB, int given, int family)
    {
        var a = Features(PatientBuilder.Candidate("a", "1", givenA, familyA, "1921-02-22"));
        var b = Features(PatientBuilder.Candidate("b", "1", givenB, familyB, "1921-02-22"));

        var p = PatientComparator.Compare(a, b);

        Assert.Equal((given, family), (FieldSpec.Get(p, (int)MatchField.GivenName), FieldSpec.Get(p, (int)MatchField.FamilyName)));
        Assert.Equal(p, PatientComparator.Compare(b, a));
    }

    [Fact]
    public void Compare_SwappedButOneNameUnlike_StaysDifferent()
    {
        // "Ryan Oliver" and "Oliver Ryan" swap; "Ryan Oliver" and "Olga Ryan" do not (Olga is not Oliver mistyped).
        var a = Features(PatientBuilder.Candidate("a", "1", "Ryan", "Oliver", "1921-02-22"));
        var b = Features(PatientBuilder.Candidate("b", "1", "Olga", "Ryan", "1921-02-22"));

        Assert.Equal(FieldSpec.GivenDifferent, FieldSpec.Get(PatientComparator.Compare(a, b), (int)MatchField.GivenName));
    }

    [Fact]
    public void Compare_GivenNameSplitByAStraySpace_Close()
    {
        var a = Features(PatientBuilder.Candidate("a", "1", "Eliza", "Zimmermann", "1948-05-06"));
        var b = Features(PatientBuilder.Candidate("b", "1", "El Iza", "Zimmermann", "1948-05-06"));

        Assert.Equal(FieldSpec.GivenClose, FieldSpec.Get(PatientComparator.Compare(a, b), (int)MatchField.GivenName));
    }

    [Theory]
    [InlineData("de la Cruz")]
    [InlineData("Slack-Smith")]
    public void Compare_SeveralWordFamilyNameWrittenAsGivenName_CloseNames(string family)
    {
        var a = Features(PatientBuilder.Candidate("a", "1", "Katelyn", family, "1999-04-08"));
        var b = Features(PatientBuilder.Candidate("b", "1", family, "Katelyn", "1999-04-08"));

        var p = PatientComparator.Compare(a, b);

        Assert.Equal(2, FieldSpec.Get(p, (int)MatchField.GivenName));
        Assert.Equal(1, FieldSpec.Get(p, (int)MatchField.FamilyName));
        Assert.Equal(p, PatientComparator.Compare(b, a));
    }

    [Theory]
    [InlineData("123456789", "123456789", "exact")]
    [InlineData("123456789", "123456798", "transposed")]
    [InlineData("123456789", "213456789", "transposed")]
    [InlineData("123456789", "123466789", "one-digit")]
    [InlineData("123456789", "923456789", "one-digit")]
    [InlineData("123456788", "123456789", "near")]
    [InlineData("123456799", "123456800", "near")]
    [InlineData("123456789", "123456780", "near")]
    [InlineData("123456789", "123456889", "one-digit")]
    [InlineData("123456789", "987654321", "different")]
    [InlineData("123456789", "12345678", "one-digit")]
    [InlineData("123456789", "12356789", "one-digit")]
    [InlineData("123456789", "1234567890", "one-digit")]
    [InlineData("123456789", "1234567", "different")]
    [InlineData("123456789", "23456780", "different")]
    public void CompareSsn_Levels(string a, string b, string level)
    {
        Assert.Equal(level, FieldSpec.LevelNames[(int)MatchField.SocialSecurityNumber][PatientComparator.CompareSsn([a], [b])]);
        Assert.Equal(level, FieldSpec.LevelNames[(int)MatchField.SocialSecurityNumber][PatientComparator.CompareSsn([b], [a])]);
    }

    [Fact]
    public void Compare_EmptyPatients_AllMissing() =>
        Assert.Equal(FieldSpec.AllMissing, PatientComparator.Compare(Features(new PatientCandidate("a", "a", new Patient())), Features(new PatientCandidate("b", "b", new Patient()))));

    [Fact]
    public void Compare_AnyTwoPatients_Symmetric()
    {
        var gen = Gen.Select(Gen.OneOf<string>("Ann", "Anne", "Bill", "William", "J", ""), Gen.OneOf<string>("Lee", "Leigh", "Smith", ""),
            Gen.OneOf<string>("1990-01-02", "1990-02-01", "1991-01-02", "1960-01-02", ""), Gen.OneOf<string>("1 Main St", "1 Main Street Apt 2", "9 Elm Rd", ""),
            Gen.OneOf<string>("555-0100", "5550101", ""));
        Gen.Select(gen, gen).Sample(pair =>
        {
            var a = Features(Make("a", pair.Item1));
            var b = Features(Make("b", pair.Item2));
            return PatientComparator.Compare(a, b) == PatientComparator.Compare(b, a);
        });
    }

    [Fact]
    public void Similarity_WithFloor_SameAsJaroWinklerWheneverItCouldReachTheFloor()
    {
        var jw = new F23.StringSimilarity.JaroWinkler();
        // ("aab", "a", 0.8) is exactly at the floor: the bound must not lose it to rounding.
        Assert.Equal(new F23.StringSimilarity.JaroWinkler().Similarity("aab", "a"), PatientComparator.Similarity("aab", "a", 0.8));
        var word = Gen.String[Gen.Char["abcdehilmnorst"], 0, 12];
        Gen.Select(word, word, Gen.OneOf<double>(0.8, 0.9, 0.92)).Sample((x, y, floor) =>
        {
            var full = x == y ? 1.0 : x.Length == 0 || y.Length == 0 ? 0 : jw.Similarity(x, y);
            var fast = PatientComparator.Similarity(x, y, floor);
            return fast == full || (fast == 0 && full < floor);
        });
    }

    [Fact]
    public void OsaDistance_AnyTwoStrings_SameAsF23OptimalStringAlignment()
    {
        var osa = new F23.StringSimilarity.OptimalStringAlignment();
        // A small alphabet makes repeats and adjacent transpositions common; up to 150 characters also covers the pooled rows.
        var word = Gen.String[Gen.Char["abcd1"], 0, 12];
        Gen.Select(word, word).Sample((x, y) => PatientComparator.OsaDistance(x, y) == osa.Distance(x, y));
        var longWord = Gen.String[Gen.Char["ab"], 60, 150];
        Gen.Select(longWord, longWord).Sample((x, y) => PatientComparator.OsaDistance(x, y) == osa.Distance(x, y), iter: 200);
        Assert.Equal(1, PatientComparator.OsaDistance("19620322", "19620232"));
        Assert.Equal(3, PatientComparator.OsaDistance("ca", "abc"));
    }

    [Fact]
    public void OsaDistance_ShortValues_AllocatesNothing()
    {
        PatientComparator.OsaDistance("19620322", "19621203");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = 0;
        for (var i = 0; i < 1000; i++)
        {
            total += PatientComparator.OsaDistance("19620322", "19621203") + PatientComparator.OsaDistance("lovelock", "kovelocj");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000 * (4 + 2), total);
    }

    private static PatientCandidate Make(string key, (string Given, string Family, string Birth, string Line, string Phone) v) =>
        PatientBuilder.Candidate(key, key, v.Given, v.Family, v.Birth.Length == 0 ? null : v.Birth, line: v.Line.Length == 0 ? null : v.Line, phone: v.Phone.Length == 0 ? null : v.Phone);

    [Theory]
    [InlineData("pantazopoulos", "pantazopoulos", "exact")]
    [InlineData("pantazopoulos", "pantazooulos", "close")]
    [InlineData("garcia", "garcialopez", "close")]
    [InlineData("kiczurczak", "kiczurczsk", "close")]
    [InlineData("harbottle", "haxbotxle", "jw88")]
    [InlineData("lovelock", "kovelocj", "two-edits")]
    [InlineData("thorpe", "bates", "different")]
    public void Compare_FamilyNames_GradedLevels(string a, string b, string level)
    {
        var p = PatientComparator.Compare(Features(PatientBuilder.Candidate("a", "1", "Ann", a, null)), Features(PatientBuilder.Candidate("b", "1", "Ann", b, null)));

        Assert.Equal(level, FieldSpec.LevelNames[(int)MatchField.FamilyName][FieldSpec.Get(p, (int)MatchField.FamilyName)]);
    }

    [Theory]
    [InlineData("23 allunga woollum street", "23 allunga woollum street", "exact")]
    [InlineData("49 dal las place", "49 dallas place", "close")]
    [InlineData("23 allunga woollum street", "23 woollum street allunga", "reordered")]
    [InlineData("7 calder crescent", "9 pridham street", "different")]
    public void Compare_AddressLines_GradedLevels(string a, string b, string level)
    {
        var p = PatientComparator.Compare(
            Features(PatientBuilder.Candidate("a", "1", "Ann", "Lee", null, line: a, city: "X")),
            Features(PatientBuilder.Candidate("b", "1", "Ann", "Lee", null, line: b, city: "X")));

        Assert.Equal(level, FieldSpec.LevelNames[(int)MatchField.AddressLine][FieldSpec.Get(p, (int)MatchField.AddressLine)]);
    }

    [Fact]
    public void WithinEdits_AgreesWithTheFullEditDistance()
    {
        var osa = new F23.StringSimilarity.OptimalStringAlignment();
        Gen.Select(Gen.String[Gen.Char['a', 'e'], 0, 8], Gen.String[Gen.Char['a', 'e'], 0, 8], Gen.Int[0, 3]).Sample((x, y, k) =>
            PatientComparator.WithinEdits(x, y, k) == (x.Length > 0 && y.Length > 0 && osa.Distance(x, y) <= k));
    }

    private static PatientFeatures Features(PatientCandidate c) => PatientFeatures.From(c.Key, c.Patient, NicknameTable.Default);
}
