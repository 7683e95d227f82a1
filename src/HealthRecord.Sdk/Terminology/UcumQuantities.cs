using System.Collections.Frozen;
using System.Globalization;
using FhirMetricService = Fhir.Metrics.FhirMetricService;
using Quantity = Hl7.Fhir.Model.Quantity;

namespace HealthRecord.Sdk.Terminology;

/// <summary>
/// Compares quantities in UCUM-commensurable units (with Fhir.Metrics): 70 kg equals 154.3 [lb_av],
/// 98.6 [degF] equals 37 Cel, 1.2 g/L equals 120 mg/dL. Common non-UCUM unit spellings that EMRs
/// write (<c>lbs</c>, <c>°F</c>, <c>mg/dl</c>) are read as their UCUM codes.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public static class UcumQuantities
{
    private static readonly FrozenDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["lb"] = "[lb_av]",
        ["lbs"] = "[lb_av]",
        ["pound"] = "[lb_av]",
        ["pounds"] = "[lb_av]",
        ["oz"] = "[oz_av]",
        ["in"] = "[in_i]",
        ["inch"] = "[in_i]",
        ["inches"] = "[in_i]",
        ["ft"] = "[ft_i]",
        ["°f"] = "[degF]",
        ["degf"] = "[degF]",
        ["f"] = "[degF]",
        ["°c"] = "Cel",
        ["degc"] = "Cel",
        ["c"] = "Cel",
        ["cel"] = "Cel",
        ["mmhg"] = "mm[Hg]",
        ["mm hg"] = "mm[Hg]",
        ["bpm"] = "/min",
        ["beats/min"] = "/min",
        ["breaths/min"] = "/min",
        ["mg/dl"] = "mg/dL",
        ["g/dl"] = "g/dL",
        ["ml"] = "mL",
        ["l"] = "L",
        ["mmol/l"] = "mmol/L",
        ["meq/l"] = "meq/L",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>A quantity reduced to UCUM base units (temperatures to kelvin).</summary>
    /// <param name="Value">The value in base units.</param>
    /// <param name="Dimension">The canonical base-unit expression (e.g. <c>g.m-3</c>); quantities compare only within one dimension.</param>
    public readonly record struct Canonical(decimal Value, string Dimension)
    {
        /// <summary>
        /// The precision the value was written with, in base units: one unit of its last written digit
        /// (0.0107 g/L → 0.0001 g/L = 0.1 g.m-3); 0 when unknown.
        /// </summary>
        public decimal Resolution { get; init; }
    }

    /// <summary>Reduces a quantity to base units.</summary>
    /// <param name="quantity">The quantity; its <c>code</c> (else its <c>unit</c>) names the unit.</param>
    /// <param name="canonical">The canonical form.</param>
    /// <returns>Whether the unit is understood.</returns>
    public static bool TryCanonicalize(Quantity? quantity, out Canonical canonical)
    {
        canonical = default;
        if (quantity?.Value is not { } value)
        {
            return false;
        }

        var unit = UnitOf(quantity);
        return TryCanonicalize(value, unit, out canonical);
    }

    /// <summary>Reduces a value and a unit to base units.</summary>
    /// <param name="value">The value.</param>
    /// <param name="unit">A UCUM code or a common spelling; empty for a unitless number.</param>
    /// <param name="canonical">The canonical form.</param>
    /// <returns>Whether the unit is understood.</returns>
    public static bool TryCanonicalize(decimal value, string? unit, out Canonical canonical)
    {
        var u = string.IsNullOrWhiteSpace(unit) ? "1" : unit.Trim();
        if (Aliases.TryGetValue(u, out var alias))
        {
            u = alias;
        }

        // Fhir.Metrics has no formulas for the offset temperature scales; they are converted here.
        if (Math.Abs(value) > 1e20m)
        {
            canonical = default;
            return false;
        }

        // One unit of the last written digit: 1.0746 carries 0.0001, 120 carries 1 (decimal keeps the scale it was parsed with).
        var digit = new decimal(1, 0, 0, false, value.Scale);
        switch (u)
        {
            case "Cel":
                canonical = new Canonical(value + 273.15m, "K") { Resolution = digit };
                return true;
            case "[degF]":
                canonical = new Canonical(((value - 32m) * 5m / 9m) + 273.15m, "K") { Resolution = digit * 5m / 9m };
                return true;
            case "K":
                canonical = new Canonical(value, "K") { Resolution = digit };
                return true;
        }

        // Every other UCUM unit is a multiple of base units: its factor is looked up once, then cached
        // (Fhir.Metrics parses the unit expression on each call, which costs milliseconds).
        if (Factors.GetOrAdd(u, UnitFactor) is { } f)
        {
            try
            {
                canonical = new Canonical(value * f.Factor, f.Dimension) { Resolution = digit * Math.Abs(f.Factor) };
                return true;
            }
            catch (OverflowException)
            {
                // A value beyond decimal range in base units (hostile or mistyped input) is not comparable.
            }
        }

        canonical = default;
        return false;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (decimal Factor, string Dimension)?> Factors = new(StringComparer.Ordinal);

    private static (decimal Factor, string Dimension)? UnitFactor(string unit)
    {
        try
        {
            if (FhirMetricService.Instance.Value.TryCanonicalize(("1", unit, CodeSystems.Ucum), out var c)
                && c is { } r
                && decimal.TryParse(r.value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                return (v, r.unit);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or InvalidOperationException or KeyNotFoundException)
        {
            // A unit expression Fhir.Metrics cannot parse is simply not understood.
        }
        catch (TypeInitializationException)
        {
            // Fhir.Metrics needs the en-US culture; in a host running with InvariantGlobalization it cannot load,
            // and quantities in different units are then not comparable (never wrongly equal).
        }

        return null;
    }

    /// <summary>Whether two quantities are the same amount, at the precision the less precise one is written with.</summary>
    /// <param name="left">One quantity.</param>
    /// <param name="right">The other.</param>
    /// <param name="relativeTolerance">An allowance beyond the written precision, as a relative difference (0 for none).</param>
    /// <returns><see langword="true"/> when equal; <see langword="false"/> when different or not comparable (different dimensions, unknown units).</returns>
    public static bool AreEqual(Quantity? left, Quantity? right, double relativeTolerance)
    {
        if (left?.Value is null || right?.Value is null)
        {
            return false;
        }

        return AreEqual(left, right, relativeTolerance, null);
    }

    /// <summary>
    /// Whether two quantities are the same amount, as <see cref="AreEqual(Quantity?, Quantity?, double)"/>; with the
    /// analyte's molar mass, a mass concentration and a substance concentration (mg/dL and mmol/L of glucose) compare too.
    /// In different units, an integer written with trailing zeros (140500 µmol/L) may be a value rounded to significant
    /// digits after conversion, so its zeros are not taken as written precision; in one unit every digit counts.
    /// </summary>
    internal static bool AreEqual(Quantity? left, Quantity? right, double relativeTolerance, decimal? molarMass)
    {
        if (left?.Value is null || right?.Value is null)
        {
            return false;
        }

        if (TryCanonicalize(left, out var a) && TryCanonicalize(right, out var b))
        {
            if (!string.Equals(Normalized(UnitOf(left)), Normalized(UnitOf(right)), StringComparison.Ordinal))
            {
                a = Converted(a, left.Value.Value);
                b = Converted(b, right.Value.Value);
                if (molarMass is { } m && !string.Equals(a.Dimension, b.Dimension, StringComparison.Ordinal))
                {
                    a = ToSubstance(a, m) ?? a;
                    b = ToSubstance(b, m) ?? b;
                }
            }

            return AreEqual(a, b, relativeTolerance);
        }

        // Units nobody understands still compare when they are written the same way.
        if (!string.Equals(UnitOf(left), UnitOf(right), StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var (l, r) = (left.Value.Value, right.Value.Value);
        return AreEqual(new Canonical(l, "?") { Resolution = new decimal(1, 0, 0, false, l.Scale) }, new Canonical(r, "?") { Resolution = new decimal(1, 0, 0, false, r.Scale) }, relativeTolerance);
    }

    /// <summary>
    /// Whether two canonical quantities are the same amount. Each value stands for the interval its last
    /// written digit allows (±half a unit of that digit); two values agree when they could be roundings of one
    /// amount: they differ by less than half the sum of their resolutions. So a value is compared at the
    /// precision the less precise one carries — 1.0746 mg/dL and 0.0107 g/L agree (the second is the first
    /// rounded to three significant digits), 24,321.98 µmol/L and 24.39 mmol/L do not (0.3 % apart, but
    /// 24.32 mmol/L at the second's precision), and two values written to the same digit agree only when equal.
    /// </summary>
    /// <param name="left">One quantity.</param>
    /// <param name="right">The other.</param>
    /// <param name="relativeTolerance">An allowance beyond the written precision, as a relative difference (0 for none).</param>
    /// <returns>Whether they are equal.</returns>
    /// <remarks>
    /// A canonical value without a <see cref="Canonical.Resolution"/> (built by hand) compares within
    /// <paramref name="relativeTolerance"/>, temperatures within 0.06 K; temperatures never get the relative allowance.
    /// </remarks>
    public static bool AreEqual(Canonical left, Canonical right, double relativeTolerance)
    {
        if (!string.Equals(left.Dimension, right.Dimension, StringComparison.Ordinal))
        {
            return false;
        }

        // A relative difference of kelvins would hide a fever: temperatures get no relative allowance.
        if (left.Value == right.Value || (relativeTolerance > 0 && left.Dimension != "K" && Close(left.Value, right.Value, relativeTolerance)))
        {
            return true;
        }

        try
        {
            if (left.Resolution > 0 && right.Resolution > 0)
            {
                return Math.Abs(left.Value - right.Value) * 2 < left.Resolution + right.Resolution;
            }

            return left.Dimension == "K" && Math.Abs(left.Value - right.Value) <= 0.06m;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static string Normalized(string? unit)
    {
        var u = string.IsNullOrWhiteSpace(unit) ? "1" : unit.Trim();
        return Aliases.TryGetValue(u, out var alias) ? alias : u;
    }

    // An integer with trailing zeros written in another unit than its copy: the zeros may be rounding (4 significant
    // digits of 140,510 µmol/L are 140,500). It is read with at least three significant digits, as labs round converted
    // values: 140,500 carries ±50, 4,100 carries ±5, and 200 or 120 keep every digit.
    private static Canonical Converted(Canonical c, decimal written)
    {
        if (written.Scale != 0 || written == 0 || c.Resolution <= 0)
        {
            return c;
        }

        var v = decimal.Truncate(Math.Abs(written));
        var digits = v.ToString(CultureInfo.InvariantCulture).Length;
        var widen = 1m;
        for (var zeros = 0; zeros < digits - 3 && v % 10 == 0; zeros++)
        {
            v /= 10;
            widen *= 10;
        }

        return widen == 1 ? c : c with { Resolution = c.Resolution * widen };
    }

    // A mass concentration as the substance concentration of an analyte of this molar mass (g/mol); null when the
    // quantity is not a mass concentration.
    private static Canonical? ToSubstance(Canonical mass, decimal molarMass)
    {
        if (molarMass <= 0 || Factors.GetOrAdd("g/L", UnitFactor) is not { } g || Factors.GetOrAdd("mol/L", UnitFactor) is not { } mol
            || !string.Equals(mass.Dimension, g.Dimension, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var ratio = mol.Factor / (g.Factor * molarMass);
            return new Canonical(mass.Value * ratio, mol.Dimension) { Resolution = mass.Resolution * ratio };
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static bool Close(decimal a, decimal b, double relativeTolerance)
    {
        if (a == b)
        {
            return true;
        }

        try
        {
            var scale = Math.Max(Math.Abs(a), Math.Abs(b));
            return scale > 0 && (double)(Math.Abs(a - b) / scale) <= relativeTolerance;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static string? UnitOf(Quantity quantity) =>
        !string.IsNullOrWhiteSpace(quantity.Code) && (quantity.System is null || CodeSystems.Normalize(quantity.System) == CodeSystems.Ucum)
            ? quantity.Code
            : quantity.Unit ?? quantity.Code;
}
