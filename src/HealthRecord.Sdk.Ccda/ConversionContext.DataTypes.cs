using System.Globalization;
using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>CDA data types (CD, TS, IVL_TS, PQ, IVL_PQ, ED, II, PN, AD, TEL) to FHIR data types.</summary>
internal sealed partial class ConversionContext
{
    private static readonly Dictionary<string, string> NullFlavorReasons = new(StringComparer.Ordinal)
    {
        ["UNK"] = "unknown", ["ASKU"] = "asked-unknown", ["NAV"] = "temp-unknown", ["NASK"] = "not-asked",
        ["MSK"] = "masked", ["NA"] = "not-applicable", ["NI"] = "unknown", ["OTH"] = "unsupported",
        ["NINF"] = "negative-infinity", ["PINF"] = "positive-infinity", ["NP"] = "unknown", ["TRC"] = "unknown",
    };

    private static readonly Dictionary<string, string> UcumFixes = new(StringComparer.Ordinal)
    {
        ["mmHg"] = "mm[Hg]", ["mm Hg"] = "mm[Hg]", ["lbs"] = "[lb_av]", ["lb"] = "[lb_av]", ["Lbs"] = "[lb_av]", ["in"] = "[in_i]",
        ["inch"] = "[in_i]", ["inches"] = "[in_i]", ["IN"] = "[in_i]", ["F"] = "[degF]", ["degF"] = "[degF]", ["deg F"] = "[degF]",
        ["C"] = "Cel", ["degC"] = "Cel", ["deg C"] = "Cel", ["bpm"] = "/min", ["BPM"] = "/min", ["beats/min"] = "/min",
        ["breaths/min"] = "/min", ["br/min"] = "/min", ["/minute"] = "/min", ["kg/m^2"] = "kg/m2", ["ft"] = "[ft_i]", ["oz"] = "[oz_av]",
        ["KG"] = "kg", ["Kg"] = "kg", ["CM"] = "cm", ["mg/dl"] = "mg/dL", ["g/dl"] = "g/dL",
    };

    /// <summary>The data-absent-reason code for a nullFlavor.</summary>
    public static string AbsentReason(string? nullFlavor) =>
        nullFlavor is not null && NullFlavorReasons.TryGetValue(nullFlavor, out var code) ? code : "unknown";

    public static CodeableConcept AbsentConcept(string? nullFlavor) =>
        new() { Coding = [new Coding(CodeSystems.DataAbsentReason, AbsentReason(nullFlavor))] };

    /// <summary>A Coding from a CD's own code, or null when it has none (nullFlavor).</summary>
    public Coding? Coding(XElement? cd)
    {
        if (cd is null || cd.A("code") is not { } code || cd.NullFlavor() is not null)
        {
            return null;
        }

        var system = CodeSystems.ToUri(cd.A("codeSystem"));
        if (system is null)
        {
            Warn(cd, cd.A("codeSystem") is null ? $"The code '{code}' has no codeSystem." : $"The codeSystem '{cd.A("codeSystem")}' is not an OID or URI.");
        }
        else if (cd.A("codeSystemName") is { } name && HealthRecord.Sdk.Terminology.CodeSystems.FromName(name) is { } named
            && HealthRecord.Sdk.Terminology.CodeSystems.FromOid(cd.A("codeSystem")) is { } byOid
            && HealthRecord.Sdk.Terminology.CodeSystems.Normalize(named) != HealthRecord.Sdk.Terminology.CodeSystems.Normalize(byOid))
        {
            // The OID decides (it is what the standard defines); the contradiction is the writer's error and is reported.
            Warn(cd, $"The codeSystemName '{name}' contradicts the codeSystem OID '{cd.A("codeSystem")}' ({byOid}); the code '{code}' was kept under the OID's system.");
        }

        return new Coding(system, code, cd.A("displayName")) { Version = cd.A("codeSystemVersion") };
    }

    /// <summary>A CodeableConcept from a CD/CE: code, translations, and originalText (resolved into the narrative).</summary>
    public CodeableConcept? Concept(XElement? cd)
    {
        if (cd is null)
        {
            return null;
        }

        var concept = new CodeableConcept();
        if (Coding(cd) is { } own)
        {
            concept.Coding.Add(own);
        }

        foreach (var translation in cd.Es("translation"))
        {
            if (Coding(translation) is { } coding && !concept.Coding.Any(c => c.System == coding.System && c.Code == coding.Code))
            {
                concept.Coding.Add(coding);
            }
        }

        var original = cd.E("originalText");
        var text = Text(original);
        if (original?.E("reference")?.A("value") is { } reference && !ResolvesNarrative(reference) && text is null)
        {
            Warn(original, $"originalText points at '{reference}', which the narrative does not contain.");
        }

        concept.Text = text;
        return concept.Coding.Count == 0 && concept.Text is null ? null : concept;
    }

    /// <summary>A concept for a required element: the concept, else text, else a data-absent-reason coding.</summary>
    public CodeableConcept RequiredConcept(XElement? cd, string? fallbackText = null)
    {
        if (Concept(cd) is { } concept)
        {
            return concept;
        }

        return fallbackText is not null ? new CodeableConcept { Text = fallbackText } : AbsentConcept(cd?.NullFlavor());
    }

    /// <summary>A FHIR date/dateTime string from a TS value, honouring precision and time zone.</summary>
    public string? DateTimeString(XElement? ts, bool dateOnly = false)
    {
        var value = ts?.A("value");
        if (ts is null || value is null)
        {
            return null;
        }

        var digitsEnd = 0;
        while (digitsEnd < value.Length && char.IsAsciiDigit(value[digitsEnd]))
        {
            digitsEnd++;
        }

        var digits = value[..digitsEnd];
        var rest = value[digitsEnd..];
        var fraction = "";
        if (rest.StartsWith('.'))
        {
            var f = 1;
            while (f < rest.Length && char.IsAsciiDigit(rest[f]))
            {
                f++;
            }

            fraction = rest[1..f];
            rest = rest[f..];
        }

        string? zone = null;
        if (rest.Length == 5 && (rest[0] == '+' || rest[0] == '-') && rest[1..].All(char.IsAsciiDigit))
        {
            if (int.Parse(rest[1..3], CultureInfo.InvariantCulture) > 14 || int.Parse(rest[3..], CultureInfo.InvariantCulture) > 59)
            {
                Warn(ts, $"The time '{value}' has an impossible time-zone offset; only its date was kept.");
                rest = "";
                digits = digits.Length > 8 ? digits[..8] : digits;
            }
            else
            {
                zone = rest[..3] + ":" + rest[3..];
            }
        }
        else if (rest.Length > 0 && rest != "Z")
        {
            Warn(ts, $"The time '{value}' is not a valid TS; it was not converted.");
            return null;
        }
        else if (rest == "Z")
        {
            zone = "Z";
        }

        if (digits.Length is not (4 or 6 or 8 or 10 or 12 or 14))
        {
            Warn(ts, $"The time '{value}' has an unusual precision; it was not converted.");
            return null;
        }

        if (digits.Length >= 4 && int.Parse(digits[..4], CultureInfo.InvariantCulture) < 1800)
        {
            Warn(ts, $"The time '{value}' lies before 1800, a placeholder rather than a date; it was not converted.");
            return null;
        }

        var padded = digits.PadRight(14, '0');
        if (digits.Length >= 6 && padded[4..6] == "00")
        {
            Warn(ts, $"The time '{value}' has month 00; it was not converted.");
            return null;
        }

        var probe = padded[..4] + (digits.Length >= 6 ? padded[4..6] : "01") + (digits.Length >= 8 ? padded[6..8] : "01") + padded[8..14];
        if (!DateTime.TryParseExact(probe, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            Warn(ts, $"The time '{value}' is not a real date; it was not converted.");
            return null;
        }

        var date = digits.Length switch
        {
            4 => digits,
            6 => $"{digits[..4]}-{digits[4..6]}",
            _ => $"{digits[..4]}-{digits[4..6]}-{digits[6..8]}",
        };
        if (digits.Length <= 8 || dateOnly)
        {
            return date;
        }

        if (zone is null)
        {
            if (Options.AssumedTimeZone is not { } assumed)
            {
                Warn(ts, $"The time '{value}' has no time zone; only its date was kept.");
                return date;
            }

            zone = (assumed < TimeSpan.Zero ? "-" : "+") + assumed.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
        }

        var time = $"{padded[8..10]}:{padded[10..12]}:{padded[12..14]}";
        if (fraction.Length > 0)
        {
            time += "." + fraction;
        }

        return $"{date}T{time}{zone}";
    }

    public FhirDateTime? DateTimeOf(XElement? ts) => DateTimeString(ts) is { } s ? new FhirDateTime(s) : null;

    public Date? DateOf(XElement? ts) => DateTimeString(ts, dateOnly: true) is { } s ? new Date(s) : null;

    /// <summary>An IVL_TS as a Period (low/high), or null when neither bound is known.</summary>
    public Period? PeriodOf(XElement? ivl)
    {
        if (ivl is null)
        {
            return null;
        }

        var start = DateTimeString(ivl.E("low"));
        var end = DateTimeString(ivl.E("high"));
        if (start is null && end is null)
        {
            start = DateTimeString(ivl.A("value") is null ? ivl.E("center") : ivl);
        }

        if (start is null && end is null)
        {
            return null;
        }

        if (start is not null && end is not null && string.CompareOrdinal(Normalize(start), Normalize(end)) > 0)
        {
            Warn(ivl, "The interval ends before it starts; its end was dropped.");
            end = null;
        }

        return new Period { Start = start, End = end };

        static string Normalize(string s) => s.Length >= 10 ? s[..10] : s;
    }

    /// <summary>The effective time of a statement: dateTime for a point in time, Period for an interval.</summary>
    public DataType? Effective(XElement? effectiveTime)
    {
        if (effectiveTime is null)
        {
            return null;
        }

        if (effectiveTime.A("value") is not null)
        {
            return DateTimeOf(effectiveTime);
        }

        var low = effectiveTime.E("low");
        var high = effectiveTime.E("high");
        if (low is not null && high is null && DateTimeOf(low) is { } onlyLow)
        {
            return onlyLow;
        }

        return PeriodOf(effectiveTime);
    }

    /// <summary>The first effectiveTime that is an interval or a point (medications carry a second PIVL_TS one).</summary>
    public static XElement? MainEffectiveTime(XElement statement) =>
        statement.Es("effectiveTime").FirstOrDefault(e => e.XsiType() is null or "IVL_TS" or "TS")
        ?? statement.Es("effectiveTime").FirstOrDefault();

    /// <summary>A PQ as a Quantity with a UCUM code when the unit is (or maps to) UCUM.</summary>
    public Quantity? QuantityOf(XElement? pq, bool warnOnMissing = true)
    {
        if (pq is null || pq.NullFlavor() is not null)
        {
            return null;
        }

        var raw = pq.A("value");
        if (raw is null)
        {
            return null;
        }

        if (!decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            if (warnOnMissing)
            {
                Warn(pq, $"The quantity '{raw}' is not a number.");
            }

            return null;
        }

        var quantity = new Quantity { Value = value };
        var unit = pq.A("unit");
        if (unit is not null)
        {
            quantity.Unit = unit;
            var code = unit;
            if (UcumFixes.TryGetValue(unit, out var fixedUnit))
            {
                Warn(pq, $"The unit '{unit}' is not UCUM; it was coded as '{fixedUnit}'.");
                code = fixedUnit;
            }

            if (code.Any(char.IsWhiteSpace))
            {
                Warn(pq, $"The unit '{unit}' is not UCUM; it was kept as text only.");
            }
            else
            {
                quantity.System = CodeSystems.Ucum;
                quantity.Code = code;
            }
        }

        return quantity;
    }

    /// <summary>An IVL_PQ as a Range.</summary>
    public Hl7.Fhir.Model.Range? RangeOf(XElement? ivl)
    {
        if (ivl is null)
        {
            return null;
        }

        var low = QuantityOf(ivl.E("low"));
        var high = QuantityOf(ivl.E("high"));
        if (low is null && high is null)
        {
            return null;
        }

        return new Hl7.Fhir.Model.Range { Low = ToSimple(low), High = ToSimple(high) };

        static Quantity? ToSimple(Quantity? q) => q is null ? null : new Quantity { Value = q.Value, Unit = q.Unit, System = q.System, Code = q.Code };
    }

    /// <summary>An observation value by its xsi:type (PQ, IVL_PQ, CD/CE/CV/CO, ST, ED, INT, REAL, BL, TS, RTO); null for nullFlavor.</summary>
    public DataType? ValueOf(XElement? value)
    {
        if (value is null)
        {
            return null;
        }

        var type = value.XsiType() ?? (value.A("code") is not null ? "CD" : value.A("unit") is not null ? "PQ" : value.A("value") is not null ? "ST" : "ED");
        switch (type)
        {
            case "PQ":
                if (QuantityOf(value, warnOnMissing: false) is { } q)
                {
                    return q;
                }

                return value.A("value") is { } nonNumeric ? new FhirString(nonNumeric + (value.A("unit") is { } u ? " " + u : "")) : null;
            case "IVL_PQ":
                return RangeOf(value);
            case "CD" or "CE" or "CV" or "CO" or "CS":
                return value.NullFlavor() is not null && value.E("originalText") is null && !value.Es("translation").Any() ? null : Concept(value);
            case "INT":
                return int.TryParse(value.A("value"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? new Integer(i) : null;
            case "REAL":
                return decimal.TryParse(value.A("value"), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? new Quantity { Value = d } : null;
            case "BL":
                return value.A("value") is { } b ? new FhirBoolean(string.Equals(b, "true", StringComparison.OrdinalIgnoreCase)) : null;
            case "TS":
                return DateTimeOf(value);
            case "IVL_TS":
                return PeriodOf(value);
            case "RTO" or "RTO_PQ_PQ" or "RTO_INT_INT":
                var numerator = QuantityOf(value.E("numerator"));
                var denominator = QuantityOf(value.E("denominator"));
                return numerator is null && denominator is null ? null : new Ratio { Numerator = numerator, Denominator = denominator };
            default:
                return Text(value) is { } text ? new FhirString(text) : (value.A("value") is { } v ? new FhirString(v) : null);
        }
    }

    /// <summary>Identifiers from II elements (nullFlavor ids skipped).</summary>
    public List<Identifier> Identifiers(IEnumerable<XElement> ids)
    {
        var list = new List<Identifier>();
        foreach (var id in ids)
        {
            if (id.NullFlavor() is not null || id.A("root") is not { } root)
            {
                continue;
            }

            if (list.Any(i => i.Value == (id.A("extension") ?? root) || i.Value == "urn:oid:" + root || i.Value == "urn:uuid:" + root.ToLowerInvariant()) && id.A("extension") is null)
            {
                continue;
            }

            if (id.A("extension") is { } extension)
            {
                var system = CodeSystems.IdentifierSystem(root);
                if (system is null)
                {
                    Warn(id, $"The id root '{root}' is neither an OID nor a UUID; the identifier was kept without a system.");
                }

                if (!list.Any(i => i.System == system && i.Value == extension))
                {
                    list.Add(new Identifier(system, extension));
                }
            }
            else if (CodeSystems.IsOid(root))
            {
                list.Add(new Identifier("urn:ietf:rfc:3986", "urn:oid:" + root));
            }
            else if (Guid.TryParse(root, out _))
            {
                list.Add(new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + root.ToLowerInvariant()));
            }
            else
            {
                Warn(id, $"The id root '{root}' is neither an OID nor a UUID; it was kept as the identifier value.");
                list.Add(new Identifier { Value = root });
            }
        }

        return list;
    }

    public List<HumanName> Names(IEnumerable<XElement> names)
    {
        var list = new List<HumanName>();
        foreach (var name in names)
        {
            if (name.NullFlavor() is not null)
            {
                continue;
            }

            var human = new HumanName
            {
                Family = Cda.Clean(string.Join(' ', name.Es("family").Select(f => f.Value))),
                Given = name.Es("given").Where(g => !string.Equals(g.A("qualifier"), "CL", StringComparison.Ordinal)).Select(g => Cda.Clean(g.Value)).OfType<string>().ToList(),
                Prefix = name.Es("prefix").Select(p => Cda.Clean(p.Value)).OfType<string>().ToList(),
                Suffix = name.Es("suffix").Select(p => Cda.Clean(p.Value)).OfType<string>().ToList(),
                Use = name.A("use") switch
                {
                    "L" or "OR" => HumanName.NameUse.Official,
                    "P" or "A" => HumanName.NameUse.Nickname,
                    "ASGN" => HumanName.NameUse.Usual,
                    "C" => HumanName.NameUse.Official,
                    "M" => HumanName.NameUse.Maiden,
                    _ => null,
                },
                Period = PeriodOf(name.E("validTime")),
            };
            if (human.Family is null && !human.Given.Any() && Cda.Clean(name.Value) is { } text)
            {
                human.Text = text;
            }

            if (human.Family is not null || human.Given.Any() || human.Text is not null)
            {
                list.Add(human);
            }

            // A given name qualified CL ("call me") is what the patient goes by, not part of the legal name:
            // it becomes a nickname of its own so that both the legal name and the call-me name are kept.
            var callMe = name.Es("given").Where(g => string.Equals(g.A("qualifier"), "CL", StringComparison.Ordinal))
                .Select(g => Cda.Clean(g.Value)).OfType<string>().ToList();
            if (callMe.Count > 0)
            {
                list.Add(new HumanName { Use = HumanName.NameUse.Nickname, Given = callMe, Family = human.Family });
            }
        }

        return list;
    }

    public List<Address> Addresses(IEnumerable<XElement> addresses)
    {
        var list = new List<Address>();
        foreach (var ad in addresses)
        {
            if (ad.NullFlavor() is not null)
            {
                continue;
            }

            var address = new Address
            {
                Line = ad.Es("streetAddressLine").Select(l => Cda.Clean(l.Value)).Where(l => l is not null && !IsNullText(l)).OfType<string>().ToList(),
                City = NotNull(ad.E("city")),
                District = NotNull(ad.E("county")),
                State = NotNull(ad.E("state")),
                PostalCode = NotNull(ad.E("postalCode")),
                Country = NotNull(ad.E("country")),
                Use = ad.A("use") switch
                {
                    "H" or "HP" or "HV" => Address.AddressUse.Home,
                    "WP" or "DIR" or "PUB" => Address.AddressUse.Work,
                    "TMP" => Address.AddressUse.Temp,
                    "OLD" or "BAD" => Address.AddressUse.Old,
                    _ => null,
                },
                Period = PeriodOf(ad.E("useablePeriod")),
            };
            if (address.Line.Any() || address.City is not null || address.State is not null || address.PostalCode is not null || address.Country is not null)
            {
                list.Add(address);
            }
        }

        return list;

        static string? NotNull(XElement? e) => e is null || e.NullFlavor() is not null ? null : Cda.Clean(e.Value);
        static bool IsNullText(string s) => s.Length == 0;
    }

    public List<ContactPoint> Telecoms(IEnumerable<XElement> telecoms)
    {
        var list = new List<ContactPoint>();
        foreach (var tel in telecoms)
        {
            var value = tel.A("value");
            if (tel.NullFlavor() is not null || value is null)
            {
                continue;
            }

            var colon = value.IndexOf(':', StringComparison.Ordinal);
            var scheme = colon > 0 ? value[..colon].ToLowerInvariant() : "";
            var rest = colon > 0 ? value[(colon + 1)..].Trim() : value;
            if (rest.Length == 0)
            {
                continue;
            }

            var system = scheme switch
            {
                "tel" => ContactPoint.ContactPointSystem.Phone,
                "fax" => ContactPoint.ContactPointSystem.Fax,
                "mailto" => ContactPoint.ContactPointSystem.Email,
                "http" or "https" => ContactPoint.ContactPointSystem.Url,
                _ => rest.Contains('@', StringComparison.Ordinal) ? ContactPoint.ContactPointSystem.Email : ContactPoint.ContactPointSystem.Other,
            };
            list.Add(new ContactPoint
            {
                System = system,
                Value = system == ContactPoint.ContactPointSystem.Url ? value : rest,
                Use = tel.A("use") switch
                {
                    "HP" or "H" or "HV" => ContactPoint.ContactPointUse.Home,
                    "WP" or "DIR" or "PUB" => ContactPoint.ContactPointUse.Work,
                    "MC" or "PG" => ContactPoint.ContactPointUse.Mobile,
                    "TMP" => ContactPoint.ContactPointUse.Temp,
                    "BAD" => ContactPoint.ContactPointUse.Old,
                    _ => null,
                },
            });
        }

        return list;
    }
}
