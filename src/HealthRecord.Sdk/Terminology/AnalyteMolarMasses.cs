using System.Collections.Frozen;

namespace HealthRecord.Sdk.Terminology;

/// <summary>
/// Molar masses (g/mol) of common laboratory analytes, by LOINC code, so a result in mass units (mg/dL) and its
/// copy from a lab that reports SI substance units (mmol/L, µmol/L) compare. The masses are the ones the standard
/// conventional-to-SI conversion factors use (glucose 0.0555, cholesterol 0.02586, triglycerides 0.01129 as
/// triolein, creatinine 88.4, urea nitrogen 0.357 as N2, calcium 0.2495, uric acid 59.48, bilirubin 17.1).
/// </summary>
internal static class AnalyteMolarMasses
{
    private static readonly FrozenDictionary<string, decimal> ByCode = new Dictionary<string, decimal>(StringComparer.Ordinal)
    {
        // Glucose: serum/plasma, blood, capillary blood by glucometer; and the substance-concentration codes.
        ["2345-7"] = 180.156m, ["2339-0"] = 180.156m, ["41653-7"] = 180.156m, ["14749-6"] = 180.156m, ["15074-8"] = 180.156m,
        // Cholesterol: total, HDL, LDL (calculated, direct); substance-concentration codes.
        ["2093-3"] = 386.65m, ["2085-9"] = 386.65m, ["13457-7"] = 386.65m, ["18262-6"] = 386.65m, ["2089-1"] = 386.65m,
        ["14647-2"] = 386.65m, ["14646-4"] = 386.65m,
        // Triglycerides (as triolein).
        ["2571-8"] = 885.7m, ["14927-8"] = 885.7m,
        // Creatinine: serum/plasma, blood; substance-concentration code.
        ["2160-0"] = 113.12m, ["38483-4"] = 113.12m, ["14682-9"] = 113.12m,
        // Urea nitrogen (as N2).
        ["3094-0"] = 28.014m, ["6299-2"] = 28.014m,
        // Calcium.
        ["17861-6"] = 40.078m, ["49765-1"] = 40.078m,
        // Uric acid.
        ["3084-1"] = 168.11m,
        // Bilirubin, total.
        ["1975-2"] = 584.66m,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The molar mass of the analyte a concept's LOINC coding names (keys as <see cref="CodeSystems.KeysOf(Hl7.Fhir.Model.CodeableConcept?)"/> gives them).</summary>
    /// <param name="codeKeys">Normalised <c>system|code</c> keys.</param>
    /// <returns>The molar mass in g/mol, or <see langword="null"/>.</returns>
    public static decimal? Of(IReadOnlyList<string> codeKeys)
    {
        foreach (var key in codeKeys)
        {
            if (key.StartsWith(CodeSystems.Loinc + "|", StringComparison.Ordinal) && ByCode.TryGetValue(key[(CodeSystems.Loinc.Length + 1)..], out var mass))
            {
                return mass;
            }
        }

        return null;
    }
}
