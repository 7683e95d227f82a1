using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Identity;

/// <summary>The normalised, comparable content of one source Patient.</summary>
internal sealed class PatientFeatures
{
    private const string DriversLicenseOidPrefix = "urn:oid:2.16.840.1.113883.4.3";
    private const string IdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";

    /// <summary>Longer values (hostile or corrupt input) are cut: no real name, street line or identifier is this long.</summary>
    private const int MaxValueLength = 100;

    /// <summary>At most this many names, addresses, phones or identifiers of one kind are compared per Patient.</summary>
    private const int MaxValues = 8;

    /// <summary>The candidate key; settable so a population run can compute the features while reading and give the key its
    /// occurrence suffix (<c>#2</c>) once every Patient is read.</summary>
    public required string Key { get; set; }

    /// <summary>Given names (first given of each name first, then middle names), normalised, distinct.</summary>
    public required string[] Given { get; init; }

    /// <summary>All given-name words of the first name run together (<c>de la cruz</c> → <c>delacruz</c>), to recognise a family
    /// name of several words written as the given name; empty when there is none.</summary>
    public string GivenJoined { get; init; } = "";

    /// <summary>Nickname groups of the first given name.</summary>
    public required int[] GivenGroups { get; init; }

    public required string[] Family { get; init; }

    /// <summary>Birth date as digits: <c>yyyymmdd</c>, <c>yyyymm</c> or <c>yyyy</c>; empty when unknown.</summary>
    public required string BirthDigits { get; init; }

    /// <summary>0 unknown, 1 male, 2 female.</summary>
    public required int Sex { get; init; }

    public required string[] Lines { get; init; }

    public required string[] Cities { get; init; }

    /// <summary><see cref="Lines"/> without spaces, index for index (glued or split words compare equal).</summary>
    public string[] LinesCompact { get; private init; } = [];

    /// <summary><see cref="Cities"/> without spaces, index for index.</summary>
    public string[] CitiesCompact { get; private init; } = [];

    public required string[] PostalCodes { get; init; }

    public required string[] Phones { get; init; }

    public required string[] Emails { get; init; }

    public required string[] Ssns { get; init; }

    /// <summary>Driver's licences as <c>system|value</c>.</summary>
    public required string[] DriversLicenses { get; init; }

    /// <summary>Other identifiers as <c>system|value</c>.</summary>
    public required string[] LocalIdentifiers { get; init; }

    public static PatientFeatures From(string key, Patient patient, NicknameTable? nicknames)
    {
        var given = new List<string>();
        var middle = new List<string>();
        var family = new List<string>();
        var givenJoined = "";
        foreach (var name in OrderedNames(patient))
        {
            var first = true;
            foreach (var g in name.Given ?? [])
            {
                foreach (var token in TextNormalizer.Words(g ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var letters = TextNormalizer.Letters(token);
                    if (letters.Length > 0)
                    {
                        (first ? given : middle).Add(letters);
                        first = false;
                    }
                }
            }

            if (givenJoined.Length == 0 && !first)
            {
                givenJoined = string.Concat((name.Given ?? []).Select(g => TextNormalizer.Letters(g ?? "")));
            }

            var fam = TextNormalizer.Letters(name.Family ?? "");
            if (fam.Length == 0 && name.Given is null && name.Text is { Length: > 0 } text)
            {
                // A name given only as text: "Jones, Myra" or "Myra Jones".
                var parts = text.Contains(',', StringComparison.Ordinal)
                    ? text.Split(',', 2).Reverse().ToArray()
                    : text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2)
                {
                    given.Add(TextNormalizer.Letters(parts[0]));
                    fam = TextNormalizer.Letters(parts[^1]);
                }
            }

            if (fam.Length > 0)
            {
                family.Add(fam);
            }
        }

        var givenAll = Distinct(given.Concat(middle));
        var addresses = (patient.Address ?? []).Where(a => a is not null)
            .OrderBy(a => a.Use == Address.AddressUse.Old || a.Period?.End is not null ? 1 : 0).ToList();
        var telecom = patient.Telecom ?? [];
        var lines = Distinct(addresses.Select(a => AddressNormalizer.Normalize(string.Join(' ', (a.Line ?? []).Where(l => l is not null)))));
        var cities = Distinct(addresses.Select(a => TextNormalizer.Words(a.City ?? "")));
        // Placeholders (an SSN "UNK", 000-00-0000, 999-99-9999) are no identity evidence: two records sharing one are not linked by it.
        var identifiers = (patient.Identifier ?? []).Where(i => i is not null && !Fhir.PlaceholderValues.IsPlaceholder(i)).ToList();
        return new PatientFeatures
        {
            Key = key,
            Given = givenAll,
            GivenJoined = Cut(givenJoined),
            GivenGroups = givenAll.Length > 0 && nicknames is not null ? nicknames.GroupsOf(givenAll[0]) : [],
            Family = Distinct(family),
            BirthDigits = BirthDigitsOf(patient.BirthDate),
            Sex = patient.Gender switch { AdministrativeGender.Male => 1, AdministrativeGender.Female => 2, _ => 0 },
            Lines = lines,
            LinesCompact = lines.Select(Compact).ToArray(),
            Cities = cities,
            CitiesCompact = cities.Select(Compact).ToArray(),
            PostalCodes = Distinct(addresses.Select(a => PostalCodeOf(a.PostalCode))),
            Phones = Distinct(telecom.Where(t => t?.System is ContactPoint.ContactPointSystem.Phone or ContactPoint.ContactPointSystem.Sms or null)
                .Select(t => PhoneOf(t.Value))),
            Emails = Distinct(telecom.Where(t => t?.System == ContactPoint.ContactPointSystem.Email).Select(t => (t.Value ?? "").Trim().ToLowerInvariant())),
            Ssns = Distinct(identifiers.Where(IsSsn).Select(i => TextNormalizer.Digits(i.Value ?? "")).Where(v => v.Length >= 4)),
            DriversLicenses = Distinct(identifiers.Where(i => !IsSsn(i) && IsDriversLicense(i)).Select(SystemValue)),
            LocalIdentifiers = Distinct(identifiers.Where(i => !IsSsn(i) && !IsDriversLicense(i) && !string.IsNullOrWhiteSpace(i.System)).Select(SystemValue)),
        };
    }

    private static IEnumerable<HumanName> OrderedNames(Patient patient) =>
        (patient.Name ?? []).Where(n => n is not null)
            .OrderBy(n => n.Use switch
            {
                HumanName.NameUse.Official => 0,
                HumanName.NameUse.Usual or null => 1,
                HumanName.NameUse.Nickname => 3,
                HumanName.NameUse.Old or HumanName.NameUse.Maiden => 4,
                _ => 2,
            });

    private static string BirthDigitsOf(string? birthDate)
    {
        if (string.IsNullOrWhiteSpace(birthDate))
        {
            return "";
        }

        var digits = TextNormalizer.Digits(birthDate);
        return digits.Length is 4 or 6 or 8 ? digits : digits.Length > 8 ? digits[..8] : "";
    }

    private static string PostalCodeOf(string? code)
    {
        var words = TextNormalizer.Words(code ?? "").Replace(" ", "", StringComparison.Ordinal);
        return words.Length > 5 && words.All(char.IsAsciiDigit) ? words[..5] : words;
    }

    private static string PhoneOf(string? value)
    {
        var digits = TextNormalizer.Digits(value ?? "");
        if (digits.Length > 0 && digits.All(d => d == digits[0]))
        {
            // 000-000-0000, 999 9999: a placeholder, not a number anyone answers.
            return "";
        }

        return digits.Length > 10 ? digits[^10..] : digits.Length >= 6 ? digits : "";
    }

    private static bool IsSsn(Identifier i) => Fhir.PlaceholderValues.IsSsn(i);

    private static bool IsDriversLicense(Identifier i) =>
        HasType(i, "DL") || (i.System ?? "").StartsWith(DriversLicenseOidPrefix, StringComparison.Ordinal)
        || (i.System ?? "").Contains("driver", StringComparison.OrdinalIgnoreCase);

    private static bool HasType(Identifier i, string code) =>
        i.Type?.Coding?.Any(c => c is not null && c.Code == code && (c.System is null || c.System == IdentifierTypeSystem)) == true;

    private static string SystemValue(Identifier i) =>
        (i.System ?? "").Trim() + "|" + TextNormalizer.Words(i.Value ?? "").Replace(" ", "", StringComparison.Ordinal);

    /// <summary>Distinct non-empty values, each cut to <see cref="MaxValueLength"/> characters, at most <see cref="MaxValues"/> of them.</summary>
    private static string[] Distinct(IEnumerable<string> values) =>
        values.Select(Cut).Where(v => v.Length > 0 && !v.EndsWith('|')).Distinct(StringComparer.Ordinal).Take(MaxValues).ToArray();

    private static string Compact(string s) => s.Replace(" ", "", StringComparison.Ordinal);

    private static string Cut(string value) => value.Length > MaxValueLength ? value[..MaxValueLength] : value;
}
