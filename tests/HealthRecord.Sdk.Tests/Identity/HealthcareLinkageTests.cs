using HealthRecord.Sdk.Identity;
using Hl7.Fhir.Model;
using static HealthRecord.Sdk.Tests.Identity.PatientBuilder;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Identity;

/// <summary>
/// The healthcare cases: the same ONC test patient across C-CDA vendors links; the ONC trap (Isabella and Myra Jones share a
/// birth date, a surname and an address) and generated relatives, twins and namesakes never link.
/// </summary>
public class HealthcareLinkageTests
{
    // Patients built by hand from the recordTarget of each document named in /work/shared/corpus/MANIFEST.md "Same-patient pairs".
    private static readonly PatientCandidate[] JonesFamily =
    [
        // ccda/NIST/CCDA_CCD_b1_Ambulatory_v2.xml
        Candidate("nist-ambulatory", "myra", "Myra", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006"),
        // ccda/MedHost/bf732221-…_ccd_1.1_MyraJones.xml
        Candidate("medhost", "81521", "MYRA", "JONES", "1947-05-01", AdministrativeGender.Female, "1357 AMBER DRIVE", "BEAVERTON", "OR", "97006", "(816)276-6909",
            mrn: ("urn:oid:2.16.840.1.113883.3.1579.7277837785.1.200", "81521")),
        // ccda/Agastha/TransitionOfCare_CCD_R11_Sample1_v8_Myra_Jones.xml
        Candidate("agastha", "myra-jones", "Myra", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006", "tel:+1(816)276-6909"),
        // ccda/Amrita/Jones_Myra_315223_CCD_201709211131.xml
        Candidate("amrita", "44", "Myra", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006", "+1-8162766909",
            mrn: ("urn:oid:2.16.840.1.113883.3.3619.2", "44")),
        // ccda/HenrySchein/201703131220CDA_JonesM_19470501.xml
        Candidate("henryschein", "jonesm", "Myra", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006", "+18162766909", middle: "L"),
        // ccda/NIST/CCDA_CCD_b1_InPatient_v2.xml
        Candidate("nist-inpatient", "isabella", "Isabella", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006", middle: "Isa"),
        // ccda/NextGen/CCDA_Sample_NextGen_JonesIsabella.xml
        Candidate("nextgen", "0001", "Isabella", "Jones", "1947-05-01", AdministrativeGender.Female, "1122 Mystical Rt 3", "Beaverton", "OR", "97005", "tel:+1-5554445555"),
        // ccda/Allscripts/Encounter_Based_C-CDA_CCD_-_08-06-2012_Jones_Isabella_-_170314E2.xml
        Candidate("allscripts", "170314e2", "Isabella", "Jones", "1947-05-01", AdministrativeGender.Female, "1234 DGI Blvd", "Raleigh", "NC", "27615", "tel:+1-(919)888-9658",
            mrn: ("urn:oid:1.3.6.1.4.1.22812.4.111.0", "170314e2")),
    ];

    [Fact]
    public async Task LinkAsync_OncJonesPatients_LinksEachAcrossVendorsAndNeverMergesMyraWithIsabella()
    {
        var result = await new ProbabilisticPatientMatcher().LinkAsync(JonesFamily);

        Assert.Equal(2, result.Persons.Count);
        var myra = result.PersonOf("medhost:Patient/81521");
        var isabella = result.PersonOf("nextgen:Patient/0001");
        Assert.Equal(["agastha:Patient/myra-jones", "amrita:Patient/44", "henryschein:Patient/jonesm", "medhost:Patient/81521", "nist-ambulatory:Patient/myra"], myra);
        Assert.Equal(["allscripts:Patient/170314e2", "nextgen:Patient/0001", "nist-inpatient:Patient/isabella"], isabella);
        var trap = result.LinkBetween("nist-ambulatory:Patient/myra", "nist-inpatient:Patient/isabella");
        Assert.NotNull(trap);
        Assert.Equal(LinkDecision.Possible, trap.Decision);
        Assert.Contains("given names differ", trap.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkAsync_SameYearBirthDateTypo_LinksButSiblingsAYearApartStayApart()
    {
        PatientCandidate[] records =
        [
            // One woman: her given name and the month of her birth mistyped at the hospital (April for September, same year).
            Candidate("clinic", "c1", "Charlotte", "Pemberton", "1948-09-30", AdministrativeGender.Female, "38 Salkauskas Crescent", "Dapto", "NSW", "2530"),
            Candidate("hospital", "h1", "Charlote", "Pemberton", "1948-04-30", AdministrativeGender.Female, "38 Salkauskas Crescent", "Dapto", "NSW", "2530"),
            // Brother and sister with alike names born on one calendar day a year apart, at one address (one sex not recorded).
            Candidate("clinic", "mark", "Mark", "Whitcombe", "1961-03-14", AdministrativeGender.Male, "7 Bee Place", "Como", "WA", "6152"),
            Candidate("hospital", "mary", "Mary", "Whitcombe", "1962-03-14", null, "7 Bee Place", "Como", "WA", "6152"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(records);

        Assert.True(result.SamePerson("clinic:Patient/c1", "hospital:Patient/h1"), result.LinkBetween("clinic:Patient/c1", "hospital:Patient/h1")?.Explanation);
        Assert.Contains("same-year-typo", result.LinkBetween("clinic:Patient/c1", "hospital:Patient/h1")!.Explanation, StringComparison.Ordinal);
        Assert.False(result.SamePerson("clinic:Patient/mark", "hospital:Patient/mary"), result.LinkBetween("clinic:Patient/mark", "hospital:Patient/mary")?.Explanation);
    }

    [Fact]
    public async Task LinkAsync_CloseTypoSiblingsOnOneCalendarDayAYearApart_NotMergedAutomatically()
    {
        // Brother and sister Jon and Joan (Jaro-Winkler 0.93, a "close" typo of each other) born on one calendar day a year
        // apart, at one address, her sex not recorded, no identifier shared: only the names and the year tell them apart.
        PatientCandidate[] records =
        [
            Candidate("clinic", "jon", "Jon", "Kowalczyk", "1984-06-21", AdministrativeGender.Male, "19 Banksia Street", "Mudgee", "NSW", "2850"),
            Candidate("hospital", "joan", "Joan", "Kowalczyk", "1985-06-21", null, "19 Banksia Street", "Mudgee", "NSW", "2850"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(records);

        var link = result.LinkBetween("clinic:Patient/jon", "hospital:Patient/joan");
        Assert.False(result.SamePerson("clinic:Patient/jon", "hospital:Patient/joan"), link?.Explanation);
        Assert.NotEqual(LinkDecision.Match, link?.Decision);
    }

    [Fact]
    public async Task LinkAsync_NicknameTwinsBornEitherSideOfMidnight_NotMergedAutomatically()
    {
        // Twins Marie and Maria (one nickname group) born a day apart, at one address, no identifier shared.
        PatientCandidate[] records =
        [
            Candidate("clinic", "marie", "Marie", "Fairweather", "1993-11-04", AdministrativeGender.Female, "3 Quandong Close", "Orange", "NSW", "2800"),
            Candidate("hospital", "maria", "Maria", "Fairweather", "1993-11-05", AdministrativeGender.Female, "3 Quandong Close", "Orange", "NSW", "2800"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(records);

        var link = result.LinkBetween("clinic:Patient/marie", "hospital:Patient/maria");
        Assert.False(result.SamePerson("clinic:Patient/marie", "hospital:Patient/maria"), link?.Explanation);
        Assert.NotEqual(LinkDecision.Match, link?.Decision);
    }

    [Fact]
    public async Task LinkAsync_OneLetterGivenNameTypoSameBirthDate_StillLinksAutomatically()
    {
        // One man: a one-letter typo in his given name at the hospital, everything else (birth date included) the same.
        PatientCandidate[] records =
        [
            Candidate("clinic", "c1", "Jonathan", "Kowalczyk", "1984-06-21", AdministrativeGender.Male, "19 Banksia Street", "Mudgee", "NSW", "2850"),
            Candidate("hospital", "h1", "Jonathon", "Kowalczyk", "1984-06-21", AdministrativeGender.Male, "19 Banksia Street", "Mudgee", "NSW", "2850"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(records);

        var link = result.LinkBetween("clinic:Patient/c1", "hospital:Patient/h1");
        Assert.NotNull(link);
        Assert.Equal(LinkDecision.Match, link.Decision);
        Assert.True(result.SamePerson("clinic:Patient/c1", "hospital:Patient/h1"), link.Explanation);
    }

    [Fact]
    public async Task LinkAsync_Household_RelativesStayApartAndEachMemberLinksAcrossSources()
    {
        // Father, mother, adult son and daughter at one address with one phone, each seen at a clinic and a hospital.
        PatientCandidate[] household =
        [
            Candidate("clinic", "f", "John", "Smith", "1950-02-03", AdministrativeGender.Male, "12 Oak Street", "Springfield", "IL", "62701", "217-555-0100"),
            Candidate("clinic", "m", "Mary", "Smith", "1952-11-30", AdministrativeGender.Female, "12 Oak Street", "Springfield", "IL", "62701", "217-555-0100"),
            Candidate("clinic", "s", "Michael", "Smith", "1978-07-19", AdministrativeGender.Male, "12 Oak Street", "Springfield", "IL", "62701", "217-555-0100"),
            Candidate("clinic", "d", "Emma", "Smith", "1985-04-09", AdministrativeGender.Female, "12 Oak Street", "Springfield", "IL", "62701", "217-555-0100"),
            Candidate("hospital", "1", "Jon", "Smith", "1950-02-03", AdministrativeGender.Male, "12 Oak St.", "Springfield", "IL", "62701-1234", "(217) 555-0100"),
            Candidate("hospital", "2", "Mary", "Smyth", "1952-11-30", AdministrativeGender.Female, "12 Oak St", "Springfield", "IL", "62701", "+1 217 555 0100"),
            Candidate("hospital", "3", "Mike", "Smith", "1978-07-19", AdministrativeGender.Male, "400 Lake Ave Apt 5", "Chicago", "IL", "60601", "312-555-0199"),
            Candidate("hospital", "4", "Emma", "Smith", "1985-09-04", AdministrativeGender.Female, "12 Oak Street", "Springfield", "IL", "62701", "217-555-0100"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(household);

        Assert.Equal(4, result.Persons.Count);
        Assert.True(result.SamePerson("clinic:Patient/f", "hospital:Patient/1"));
        Assert.True(result.SamePerson("clinic:Patient/m", "hospital:Patient/2"));
        Assert.True(result.SamePerson("clinic:Patient/s", "hospital:Patient/3"));
        // Day and month swapped in one source.
        Assert.True(result.SamePerson("clinic:Patient/d", "hospital:Patient/4"));
        Assert.All(result.Persons, p => Assert.Equal(2, p.Count));
    }

    [Fact]
    public async Task LinkAsync_Twins_NeverMerged()
    {
        // Same-sex twins: one surname, birth date, address and phone; each at the paediatrician and the hospital.
        PatientCandidate[] twins =
        [
            Candidate("paediatrics", "a", "Ava", "Miller", "2010-03-14", AdministrativeGender.Female, "5 Elm Court", "Madison", "WI", "53703", "608-555-0142"),
            Candidate("paediatrics", "b", "Mia", "Miller", "2010-03-14", AdministrativeGender.Female, "5 Elm Court", "Madison", "WI", "53703", "608-555-0142"),
            Candidate("hospital", "x", "Ava", "Miller", "2010-03-14", AdministrativeGender.Female, "5 Elm Ct", "Madison", "WI", "53703", "(608) 555-0142"),
            Candidate("hospital", "y", "Mia", "Miller", "2010-03-14", AdministrativeGender.Female, "5 Elm Ct", "Madison", "WI", "53703", "(608) 555-0142"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(twins);

        Assert.Equal(2, result.Persons.Count);
        Assert.True(result.SamePerson("paediatrics:Patient/a", "hospital:Patient/x"));
        Assert.True(result.SamePerson("paediatrics:Patient/b", "hospital:Patient/y"));
        Assert.All(result.Links.Where(l => l.Decision == LinkDecision.Match),
            l => Assert.Equal(l.Left.EndsWith("/a", StringComparison.Ordinal) || l.Left.EndsWith("/x", StringComparison.Ordinal), l.Right.EndsWith("/x", StringComparison.Ordinal) || l.Right.EndsWith("/a", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("212-45-6788", "212-45-6789")] // consecutive SSNs: one digit apart
    [InlineData("212-45-6789", "212-45-6790")] // consecutive SSNs across a carry
    [InlineData("212-45-6789", "587-65-4321")] // unrelated SSNs
    public async Task LinkAsync_TwinPairAlone_NeverMerged(string? ssnA, string? ssnB)
    {
        // Isabella and Myra Jones as twins, one record each: surname, birth date, sex, address and phone agree.
        PatientCandidate[] twins =
        [
            Candidate("clinic", "1", "Isabella", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006", "816-276-6909", ssn: ssnA),
            Candidate("hospital", "1", "Myra", "Jones", "1947-05-01", AdministrativeGender.Female, "1357 Amber Drive", "Beaverton", "OR", "97006", "(816) 276-6909", ssn: ssnB),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(twins);

        Assert.Equal(2, result.Persons.Count);
        var link = Assert.Single(result.Links);
        Assert.Equal(LinkDecision.Possible, link.Decision);
    }

    [Fact]
    public async Task LinkAsync_BoyGirlTwinsWithAlikeNames_NeverMerged()
    {
        // Fraternal twins named alike (Daniel, Daniela): the names are a close typo apart, the sex differs.
        PatientCandidate[] twins =
        [
            Candidate("clinic", "1", "Daniel", "Okafor", "2012-08-30", AdministrativeGender.Male, "8 Birch Way", "Columbus", "OH", "43004", "614-555-0190"),
            Candidate("hospital", "1", "Daniela", "Okafor", "2012-08-30", AdministrativeGender.Female, "8 Birch Way", "Columbus", "OH", "43004", "614-555-0190"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(twins);

        Assert.Equal(2, result.Persons.Count);
    }

    [Theory]
    [InlineData("212-45-6789", "212-45-6798")] // adjacent digits transposed
    [InlineData("212-45-6789", "212-45-6780")] // one digit mistyped in the last digits
    [InlineData("212-45-6789", "123-48-6789")] // one digit mistyped elsewhere
    public async Task LinkAsync_GivenNameTypoAndSsnTypo_Linked(string ssnA, string ssnB)
    {
        PatientCandidate[] pair =
        [
            Candidate("clinic", "1", "Katherine", "Novak", "1975-02-11", AdministrativeGender.Female, "22 River Road", "Albany", "NY", "12207", ssn: ssnA),
            Candidate("hospital", "1", "Katherien", "Novak", "1975-02-11", AdministrativeGender.Female, "22 River Rd", "Albany", "NY", "12207", ssn: ssnB),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(pair);

        Assert.Single(result.Persons);
        Assert.Equal(LinkDecision.Match, Assert.Single(result.Links).Decision);
    }

    [Fact]
    public async Task LinkAsync_NamesakeParentAndChild_NeverMerged()
    {
        // Robert Johnson Sr and Jr: one name, one address and phone, a generation apart.
        PatientCandidate[] pair =
        [
            Candidate("clinic", "sr", "Robert", "Johnson", "1948-06-01", AdministrativeGender.Male, "77 Pine Road", "Austin", "TX", "78701", "512-555-0111"),
            Candidate("clinic", "jr", "Robert", "Johnson", "1975-09-12", AdministrativeGender.Male, "77 Pine Road", "Austin", "TX", "78701", "512-555-0111"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(pair);

        Assert.Equal(2, result.Persons.Count);
        var link = Assert.Single(result.Links);
        Assert.Equal(LinkDecision.Possible, link.Decision);
        Assert.Contains("ten or more years apart", link.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkAsync_NamesakesWithDifferentSsnInDifferentCities_NeverMerged()
    {
        // Two James Wilsons born the same day, in different states, with different SSNs.
        PatientCandidate[] pair =
        [
            Candidate("a", "1", "James", "Wilson", "1970-01-01", AdministrativeGender.Male, "9 Birch Lane", "Portland", "ME", "04101", ssn: "212-45-6789"),
            Candidate("b", "1", "James", "Wilson", "1970-01-01", AdministrativeGender.Male, "300 Main St", "Sacramento", "CA", "95814", ssn: "587-65-4321"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(pair);

        Assert.Equal(2, result.Persons.Count);
        Assert.All(result.Links, l => Assert.NotEqual(LinkDecision.Match, l.Decision));
    }

    [Fact]
    public async Task LinkAsync_NamesakesBornYearsApartElsewhere_NoLink()
    {
        PatientCandidate[] pair =
        [
            Candidate("a", "1", "Maria", "Garcia", "1980-04-02", AdministrativeGender.Female, "14 Cedar Avenue", "El Paso", "TX", "79901", "915-555-0123"),
            Candidate("b", "1", "Maria", "Garcia", "1991-08-23", AdministrativeGender.Female, "88 Ocean Blvd", "San Diego", "CA", "92101", "619-555-0188"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(pair);

        Assert.Equal(2, result.Persons.Count);
        Assert.Empty(result.Links);
    }

    [Fact]
    public async Task LinkAsync_SamePersonWithNicknameTypoNewAddressAndFormats_Linked()
    {
        PatientCandidate[] pair =
        [
            Candidate("a", "1", "William", "Brown", "1962-10-22", AdministrativeGender.Male, "42 Maple Street Apt 3", "Denver", "CO", "80202", "(303) 555-0147", ssn: "212-45-6789"),
            Candidate("b", "9", "Bill", "Browne", "1962-10-22", AdministrativeGender.Male, "1600 Grant St #12", "Boulder", "CO", "80302", "+1 303 555 0147", ssn: "212456789"),
            Candidate("c", "z", "Billy", "Brown", "1962-10-22", AdministrativeGender.Male, "42 Maple St., Unit 3", "Denver", "CO", "80202-4411"),
        ];

        var result = await new ProbabilisticPatientMatcher().LinkAsync(pair);

        var person = Assert.Single(result.Persons);
        Assert.Equal(3, person.Count);
        var ab = result.LinkBetween("a:Patient/1", "b:Patient/9")!;
        Assert.Equal(LinkDecision.Match, ab.Decision);
        Assert.Contains(ab.Evidence, e => e.Field == MatchField.GivenName && e.Level == "nickname" && e.Weight > 0);
        Assert.Contains(ab.Evidence, e => e.Field == MatchField.SocialSecurityNumber && e.Level == "exact");
        Assert.Contains(ab.Evidence, e => e.Field == MatchField.Phone && e.Level == "exact");
        var ac = result.LinkBetween("a:Patient/1", "c:Patient/z")!;
        Assert.Contains(ac.Evidence, e => e.Field == MatchField.AddressLine && e.Level == "exact");
    }
}
