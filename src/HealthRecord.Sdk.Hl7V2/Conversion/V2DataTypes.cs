using System.Collections.Concurrent;
using System.Globalization;
using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>HL7 v2 data types (CWE, CX, XPN, XAD, XTN, DTM, …) to FHIR data types, after the HL7 v2-to-FHIR IG.</summary>
internal static class V2DataTypes
{
    public const string Ucum = "http://unitsofmeasure.org";

    private static readonly Lazy<global::Fhir.Metrics.SystemOfUnits> UcumSystem = new(global::Fhir.Metrics.UCUM.Load);
    private static readonly ConcurrentDictionary<string, bool> UcumCache = new(StringComparer.Ordinal);
    private static readonly Lock UcumGate = new();

    private static readonly Dictionary<string, string> CodeSystems = new(StringComparer.OrdinalIgnoreCase)
    {
        ["LN"] = "http://loinc.org",
        ["LOINC"] = "http://loinc.org",
        ["SCT"] = "http://snomed.info/sct",
        ["SNM"] = "http://snomed.info/sct",
        ["SNM3"] = "http://snomed.info/sct",
        ["SNOMED"] = "http://snomed.info/sct",
        ["SNOMEDCT"] = "http://snomed.info/sct",
        ["I9"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["I9C"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["I9CDX"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["ICD9"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["I10"] = "http://hl7.org/fhir/sid/icd-10",
        ["ICD10"] = "http://hl7.org/fhir/sid/icd-10",
        ["I10C"] = "http://hl7.org/fhir/sid/icd-10-cm",
        ["ICD10CM"] = "http://hl7.org/fhir/sid/icd-10-cm",
        ["I10P"] = "http://www.cms.gov/Medicare/Coding/ICD10",
        ["CVX"] = "http://hl7.org/fhir/sid/cvx",
        ["MVX"] = Terminology.CodeSystems.Mvx,
        ["NDC"] = "http://hl7.org/fhir/sid/ndc",
        ["RXNORM"] = "http://www.nlm.nih.gov/research/umls/rxnorm",
        ["RXN"] = "http://www.nlm.nih.gov/research/umls/rxnorm",
        ["UCUM"] = Ucum,
        ["C4"] = "http://www.ama-assn.org/go/cpt",
        ["CPT"] = "http://www.ama-assn.org/go/cpt",
        ["CPT4"] = "http://www.ama-assn.org/go/cpt",
        ["HCPCS"] = "urn:oid:2.16.840.1.113883.6.285",
        ["HCPCS-L2"] = "urn:oid:2.16.840.1.113883.6.285",
        ["NCIT"] = Terminology.CodeSystems.NciThesaurus,
        ["CDCREC"] = "urn:oid:2.16.840.1.113883.6.238",
        ["NIP001"] = "urn:oid:2.16.840.1.114222.4.5.274",
        ["CDCPHINVS"] = "urn:oid:2.16.840.1.114222.4.5.274",
        ["cdcgs1vis"] = "urn:oid:2.16.840.1.114222.4.5.307",
        ["ISO3166_1"] = "urn:iso:std:iso:3166",
        ["ISO+"] = "urn:oid:2.16.840.1.113883.5.141",
    };

    private static readonly HashSet<string> LocalSystems = new(StringComparer.OrdinalIgnoreCase) { "L", "LOCAL", "99ZZZ", "ISO", "ANSI+" };

    /// <summary>The FHIR system URI of an HL7 v2 coding system name (CWE-3), or <see langword="null"/> for local or unknown ones.</summary>
    public static string? CodeSystemUri(string? name)
    {
        if (string.IsNullOrEmpty(name) || LocalSystems.Contains(name) || name.StartsWith("99", StringComparison.Ordinal))
        {
            return null;
        }

        if (CodeSystems.TryGetValue(name, out var uri))
        {
            return uri;
        }

        if (name.Length == 8 && name.StartsWith("HL7", StringComparison.OrdinalIgnoreCase) && name[3..].All(char.IsAsciiDigit))
        {
            return "http://terminology.hl7.org/CodeSystem/v2-" + name[4..];
        }

        if (name.Length == 7 && name.StartsWith("HL7", StringComparison.OrdinalIgnoreCase) && name[3..].All(char.IsAsciiDigit))
        {
            return "http://terminology.hl7.org/CodeSystem/v2-" + name[3..];
        }

        return (name.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) || name.StartsWith("http", StringComparison.OrdinalIgnoreCase))
            && Uri.IsWellFormedUriString(name, UriKind.Absolute) ? name : null;
    }

    /// <summary>
    /// A value usable as a FHIR <c>code</c>: no leading or trailing white space, single spaces inside; <see langword="null"/> when nothing is left.
    /// </summary>
    public static string? Code(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var parts = value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 1 ? parts[0] : string.Join(' ', parts);
    }

    /// <summary>CE/CWE/CNE → CodeableConcept (primary and alternate codings, original text).</summary>
    public static CodeableConcept? Concept(Hl7V2Value cwe, string? defaultSystem = null)
    {
        if (cwe.IsEmpty || cwe.IsExplicitNull)
        {
            return null;
        }

        var concept = new CodeableConcept();
        AddCoding(concept, cwe.Component(1).Value, cwe.Component(2).Value, cwe.Component(3).Value, defaultSystem);
        AddCoding(concept, cwe.Component(4).Value, cwe.Component(5).Value, cwe.Component(6).Value, null);
        var text = cwe.Component(9).Value;
        if (concept.Coding.Count == 0)
        {
            text ??= cwe.Component(2).Value ?? cwe.Component(1).Value;
        }

        concept.Text = text;
        return concept.Coding.Count == 0 && concept.Text is null ? null : concept;
    }

    private static void AddCoding(CodeableConcept concept, string? rawCode, string? display, string? systemName, string? defaultSystem)
    {
        var code = Code(rawCode);
        if (code is null && display is null)
        {
            return;
        }

        if (code is null)
        {
            concept.Text ??= display;
            return;
        }

        concept.Coding.Add(new Coding(CodeSystemUri(systemName) ?? (string.IsNullOrEmpty(systemName) ? defaultSystem : null), code, display));
    }

    /// <summary>A concept from an HL7 table code (e.g. table 0203) as a coding of <c>http://terminology.hl7.org/CodeSystem/v2-{table}</c>.</summary>
    public static CodeableConcept? TableConcept(string? code, string table, string? display = null) =>
        Code(code) is { } c ? new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-" + table, c, display, null) : null;

    /// <summary>CX → Identifier.</summary>
    public static Identifier? Identifier(Hl7V2Value cx, Hl7V2ConversionOptions options)
    {
        var value = cx.Component(1).Value;
        if (value is null)
        {
            return null;
        }

        var type = cx.Component(5).Value;
        var identifier = new Identifier { Value = value };
        if (type is not null)
        {
            identifier.Type = TableConcept(type, "0203");
        }

        var authority = cx.Component(4);
        identifier.System = type == "SS" ? "http://hl7.org/fhir/sid/us-ssn" : AuthoritySystem(authority, options);
        if (authority.Component(1).Value is { } ns)
        {
            identifier.Assigner = new ResourceReference { Display = ns };
        }

        var start = Date(cx.Component(7).Value);
        var end = Date(cx.Component(8).Value);
        if (start is not null || end is not null)
        {
            identifier.Period = new Period { Start = start, End = end };
        }

        return identifier;
    }

    /// <summary>HD → a system URI: <c>urn:oid:</c> for ISO, <c>urn:uuid:</c> for UUID/GUID, the URI itself, else the local namespace under the configured prefix.</summary>
    public static string? AuthoritySystem(Hl7V2Value hd, Hl7V2ConversionOptions options) =>
        AuthoritySystem(hd.Component(1).Value, hd.Component(2).Value, hd.Component(3).Value, options);

    /// <summary>EI (entity id) → the system of its assigning authority: components 2–4, or an HD written as sub-components of component 2.</summary>
    public static string? EntitySystem(Hl7V2Value ei, Hl7V2ConversionOptions options)
    {
        var ns = ei.Component(2);
        return ns.IsComposite
            ? AuthoritySystem(ns, options)
            : AuthoritySystem(ns.Value, ei.Component(3).Value, ei.Component(4).Value, options);
    }

    /// <summary>An HD given as its three parts (namespace, universal id, universal id type) → a system URI.</summary>
    public static string? AuthoritySystem(string? ns, string? universal, string? type, Hl7V2ConversionOptions options)
    {
        if (universal is not null)
        {
            switch (type?.ToUpperInvariant())
            {
                case "ISO" when IsOid(universal):
                    return "urn:oid:" + universal;
                case "UUID" or "GUID" when Guid.TryParse(universal, out var g):
                    return "urn:uuid:" + g.ToString("D");
                case "URI" or "URL" when Uri.IsWellFormedUriString(universal, UriKind.Absolute):
                    return universal;
                default:
                    if (IsOid(universal))
                    {
                        return "urn:oid:" + universal;
                    }

                    break;
            }
        }

        var local = ns ?? universal;
        return local is null ? null : options.LocalAuthoritySystemPrefix + Uri.EscapeDataString(local);
    }

    /// <summary>Whether the text is an OID FHIR accepts: first arc 0–2, then dot-separated numbers without leading zeros.</summary>
    private static bool IsOid(string s)
    {
        if (s.Length < 3 || s[0] is not ('0' or '1' or '2') || s[1] != '.')
        {
            return false;
        }

        foreach (var arc in s[2..].Split('.'))
        {
            if (arc.Length == 0 || !arc.All(char.IsAsciiDigit) || (arc.Length > 1 && arc[0] == '0'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>XPN → HumanName.</summary>
    public static HumanName? Name(Hl7V2Value xpn)
    {
        var family = xpn.Component(1).SubComponent(1).Value;
        var given = xpn.Component(2).Value;
        var middle = xpn.Component(3).Value;
        if (family is null && given is null && middle is null)
        {
            return null;
        }

        var name = new HumanName { Family = family };
        if (given is not null)
        {
            name.GivenElement.Add(new FhirString(given));
        }

        if (middle is not null)
        {
            name.GivenElement.Add(new FhirString(middle));
        }

        if (xpn.Component(4).Value is { } suffix)
        {
            name.SuffixElement.Add(new FhirString(suffix));
        }

        if (xpn.Component(5).Value is { } prefix)
        {
            name.PrefixElement.Add(new FhirString(prefix));
        }

        if (xpn.Component(6).Value is { } degree)
        {
            name.SuffixElement.Add(new FhirString(degree));
        }

        name.Use = xpn.Component(7).Value switch
        {
            "L" or "R" => HumanName.NameUse.Official,
            "D" or "T" => HumanName.NameUse.Usual,
            "M" => HumanName.NameUse.Maiden,
            "N" => HumanName.NameUse.Nickname,
            "S" => HumanName.NameUse.Anonymous,
            "A" or "I" => HumanName.NameUse.Temp,
            "B" or "BAD" => HumanName.NameUse.Old,
            _ => null,
        };
        return name;
    }

    /// <summary>XAD → Address.</summary>
    public static Address? Address(Hl7V2Value xad)
    {
        var street = xad.Component(1).SubComponent(1).Value;
        var other = xad.Component(2).Value;
        var address = new Address
        {
            City = xad.Component(3).Value?.Trim(),
            State = xad.Component(4).Value,
            PostalCode = xad.Component(5).Value,
            Country = xad.Component(6).Value,
            District = xad.Component(9).Value,
        };
        if (street is not null)
        {
            address.LineElement.Add(new FhirString(street));
        }

        if (other is not null)
        {
            address.LineElement.Add(new FhirString(other));
        }

        switch (xad.Component(7).Value)
        {
            case "H" or "P":
                address.Use = Hl7.Fhir.Model.Address.AddressUse.Home;
                break;
            case "B" or "O":
                address.Use = Hl7.Fhir.Model.Address.AddressUse.Work;
                break;
            case "C":
                address.Use = Hl7.Fhir.Model.Address.AddressUse.Temp;
                break;
            case "BA":
                address.Use = Hl7.Fhir.Model.Address.AddressUse.Old;
                break;
            case "M":
                address.Type = Hl7.Fhir.Model.Address.AddressType.Postal;
                break;
            case "SH":
                address.Type = Hl7.Fhir.Model.Address.AddressType.Physical;
                break;
            default:
                break;
        }

        return address.LineElement.Count == 0 && address.City is null && address.State is null && address.PostalCode is null && address.Country is null ? null : address;
    }

    /// <summary>XTN → ContactPoint.</summary>
    public static ContactPoint? Telecom(Hl7V2Value xtn)
    {
        var use = xtn.Component(2).Value;
        var equipment = xtn.Component(3).Value;
        var email = xtn.Component(4).Value;
        var isEmail = equipment is "Internet" or "X.400" || use == "NET";
        string? value;
        if (isEmail)
        {
            value = email ?? xtn.Component(1).Value;
        }
        else
        {
            value = xtn.Component(1).Value ?? xtn.Component(12).Value ?? Compose(xtn);
        }

        if (value is null)
        {
            return null;
        }

        var contact = new ContactPoint
        {
            Value = value.Trim(),
            System = isEmail ? ContactPoint.ContactPointSystem.Email : equipment switch
            {
                "FX" => ContactPoint.ContactPointSystem.Fax,
                "BP" => ContactPoint.ContactPointSystem.Pager,
                "TDD" or "TTY" or "MD" => ContactPoint.ContactPointSystem.Other,
                _ => use == "BPN" ? ContactPoint.ContactPointSystem.Pager : ContactPoint.ContactPointSystem.Phone,
            },
            Use = equipment == "CP" ? ContactPoint.ContactPointUse.Mobile : use switch
            {
                "PRN" or "ORN" or "VHN" => ContactPoint.ContactPointUse.Home,
                "WPN" => ContactPoint.ContactPointUse.Work,
                _ => null,
            },
        };
        return contact;
    }

    private static string? Compose(Hl7V2Value xtn)
    {
        var country = xtn.Component(5).Value;
        var area = xtn.Component(6).Value;
        var local = xtn.Component(7).Value;
        var extension = xtn.Component(8).Value;
        if (local is null)
        {
            return null;
        }

        var text = (country is null ? string.Empty : "+" + country + " ") + (area is null ? string.Empty : "(" + area + ") ") + local;
        return extension is null ? text : text + " ext. " + extension;
    }

    /// <summary>Whether a unit code is valid UCUM (cached).</summary>
    public static bool IsUcum(string unit) =>
        UcumCache.GetOrAdd(unit, static u =>
        {
            try
            {
                // Fhir.Metrics does not document its thread-safety; parsing is serialised (results are cached).
                lock (UcumGate)
                {
                    _ = UcumSystem.Value.Metric(u);
                }

                return true;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or OverflowException or KeyNotFoundException or IndexOutOfRangeException)
            {
                // A unit the UCUM library cannot read (e.g. an exponent beyond its range) is simply not UCUM; it
                // must never fail the message (an AE the sender would retry forever).
                return false;
            }
        });

    /// <summary>Fills a quantity's unit from a CWE unit (OBX-6, RXA-7): UCUM system and code when the unit is UCUM.</summary>
    public static void SetUnit(Quantity quantity, Hl7V2Value unit)
    {
        var code = Code(unit.Component(1).Value);
        var text = unit.Component(2).Value;
        var system = unit.Component(3).Value;
        if (code is null)
        {
            quantity.Unit = text;
            return;
        }

        quantity.Unit = text ?? code;
        if (string.Equals(system, "UCUM", StringComparison.OrdinalIgnoreCase) || IsUcum(code))
        {
            quantity.System = Ucum;
            quantity.Code = code;
            quantity.Unit = code;
        }
        else if (CodeSystemUri(system) is { } uri)
        {
            quantity.System = uri;
            quantity.Code = code;
        }
    }

    /// <summary>A decimal as HL7 NM writes it (leading sign, optional fraction), or <see langword="null"/>.</summary>
    public static decimal? Decimal(string? s) =>
        s is not null && decimal.TryParse(s.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>DTM/TS/DT → FHIR date (the date part only).</summary>
    public static string? Date(string? s)
    {
        var parsed = Parse(s);
        return parsed?.Date;
    }

    /// <summary>DTM/TS → FHIR dateTime text; <paramref name="lostTime"/> tells when a time without offset had to be dropped.</summary>
    public static string? DateTime(string? s, Hl7V2ConversionOptions options, out bool lostTime)
    {
        lostTime = false;
        var parsed = Parse(s);
        if (parsed is not { } p)
        {
            return null;
        }

        if (p.Time is null)
        {
            return p.Date;
        }

        var offset = p.Offset ?? (options.AssumedUtcOffset is { } o ? FormatOffset(o) : null);
        if (offset is null)
        {
            lostTime = true;
            return p.Date;
        }

        return p.Date + "T" + p.Time + offset;
    }

    /// <summary>DTM/TS → FhirDateTime, or <see langword="null"/>.</summary>
    public static FhirDateTime? FhirDateTime(string? s, Hl7V2ConversionOptions options) =>
        DateTime(s, options, out _) is { } text ? new FhirDateTime(text) : null;

    /// <summary>DTM/TS → instant, when it has a time.</summary>
    public static DateTimeOffset? Instant(string? s, Hl7V2ConversionOptions options) =>
        DateTime(s, options, out _) is { } text && text.Contains('T', StringComparison.Ordinal) &&
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    private static string FormatOffset(TimeSpan o) =>
        o == TimeSpan.Zero ? "Z" : (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    private readonly record struct ParsedTime(string Date, string? Time, string? Offset);

    private static ParsedTime? Parse(string? s)
    {
        if (string.IsNullOrWhiteSpace(s))
        {
            return null;
        }

        var span = s.AsSpan().Trim();
        var tz = span.IndexOfAny('+', '-');
        var main = tz >= 0 ? span[..tz] : span;
        var zone = tz >= 0 ? span[tz..] : [];
        var fraction = string.Empty;
        var dot = main.IndexOf('.');
        if (dot >= 0)
        {
            fraction = main[(dot + 1)..].ToString();
            main = main[..dot];
            if (fraction.Length == 0 || !fraction.All(char.IsAsciiDigit) || main.Length != 14)
            {
                return null;
            }
        }

        if (main.Length is not (4 or 6 or 8 or 10 or 12 or 14) || !main.ContainsOnlyDigits())
        {
            return null;
        }

        var digits = main.ToString();
        int N(int start, int length) => int.Parse(digits.AsSpan(start, length), NumberStyles.None, CultureInfo.InvariantCulture);
        var year = N(0, 4);
        var month = main.Length >= 6 ? N(4, 2) : 1;
        var day = main.Length >= 8 ? N(6, 2) : 1;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > System.DateTime.DaysInMonth(year, month))
        {
            return null;
        }

        var date = main.Length switch
        {
            4 => main[..4].ToString(),
            6 => $"{main[..4]}-{main[4..6]}",
            _ => $"{main[..4]}-{main[4..6]}-{main[6..8]}",
        };
        if (main.Length <= 8)
        {
            return new ParsedTime(date, null, null);
        }

        var hour = N(8, 2);
        var minute = main.Length >= 12 ? N(10, 2) : 0;
        var second = main.Length >= 14 ? N(12, 2) : 0;
        if (hour > 23 || minute > 59 || second > 59)
        {
            return null;
        }

        var time = string.Create(CultureInfo.InvariantCulture, $"{hour:00}:{minute:00}:{second:00}") + (fraction.Length > 0 ? "." + fraction : string.Empty);
        string? offset = null;
        if (zone.Length == 5 && zone[1..].ContainsOnlyDigits())
        {
            var oh = int.Parse(zone.Slice(1, 2), NumberStyles.None, CultureInfo.InvariantCulture);
            var om = int.Parse(zone.Slice(3, 2), NumberStyles.None, CultureInfo.InvariantCulture);
            if (oh <= 14 && om <= 59)
            {
                offset = $"{zone[0]}{zone.Slice(1, 2)}:{zone.Slice(3, 2)}";
            }
        }

        return new ParsedTime(date, time, offset);
    }

    private static bool ContainsOnlyDigits(this ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return !s.IsEmpty;
    }
}
