using CsCheck;
using HealthRecord.Sdk.Security;

namespace HealthRecord.Sdk.Tests.Security;

/// <summary>
/// Properties of the built-in labeling over generated diagnoses: ICD-10-CM and ICD-9-CM codes in any spelling, and
/// SNOMED CT concepts real EMRs send (coded without display text). The oracle (<see cref="SensitivityOracle"/>:
/// published ICD ranges and keyword rules on each concept's name, written in the tests) never asks the SDK.
/// </summary>
public class ValueSetSecurityLabelerPropertyTests
{
    private static readonly string[] Icd10Systems = ["http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10-cm/", "urn:oid:2.16.840.1.113883.6.90", "http://hl7.org/fhir/sid/icd-10"];
    private static readonly string[] Icd9Systems = ["http://hl7.org/fhir/sid/icd-9-cm", "urn:oid:2.16.840.1.113883.6.103"];
    private static readonly string[] SnomedSystems = ["http://snomed.info/sct", "urn:oid:2.16.840.1.113883.6.96"];

    /// <summary>SNOMED CT concepts as EMRs send them, with their names (the oracle reads the name; the record carries only the code).</summary>
    private static readonly (string Code, string Name)[] Concepts =
    [
        ("370143000", "Major depressive disorder"), ("36923009", "Major depression, single episode"), ("35489007", "Depressive disorder"),
        ("58214004", "Schizophrenia"), ("13746004", "Bipolar disorder"), ("197480006", "Anxiety disorder"), ("21897009", "Generalized anxiety disorder"),
        ("80583007", "Severe anxiety (panic)"), ("47505003", "Posttraumatic stress disorder"), ("192127007", "Child attention deficit disorder"),
        ("406506008", "Attention deficit hyperactivity disorder"), ("52448006", "Dementia"), ("7200002", "Alcoholism"), ("66590003", "Alcohol dependence"),
        ("15167005", "Alcohol abuse"), ("5602001", "Opioid abuse"), ("75544000", "Opioid dependence"), ("6525002", "Dependent drug abuse"),
        ("361055000", "Misuses drugs"), ("86406008", "Human immunodeficiency virus infection"), ("62479008", "Acquired immune deficiency syndrome"),
        ("76272004", "Syphilis"), ("15628003", "Gonorrhea"), ("33839006", "Genital herpes simplex"), ("706893006", "Victim of intimate partner abuse"),
        ("79586000", "Tubal pregnancy"), ("34801009", "Ectopic pregnancy"), ("17369002", "Miscarriage"), ("19169002", "Miscarriage in first trimester"),
        ("156073000", "Complete miscarriage"), ("267020005", "History of tubal ligation"), ("41040004", "Complete trisomy 21 syndrome"),
        ("38804009", "Turner syndrome"),

        // ordinary concepts (the corpus sends them; nothing sensitive)
        ("73595000", "Stress"), ("72892002", "Normal pregnancy"), ("26929004", "Alzheimer's disease"), ("44054006", "Diabetes mellitus type 2"),
        ("38341003", "Hypertension"), ("195967001", "Asthma"), ("266948004", "Has a criminal record"), ("39898005", "Sleep disorder"),
        ("160903007", "Full-time employment"), ("422650009", "Social isolation"), ("193462001", "Insomnia"), ("386807006", "Memory impairment"),
    ];

    private static readonly Gen<string> Icd10Code =
        from letter in Gen.OneOf('A', 'B', 'F', 'F', 'F', 'O', 'Q', 'R', 'T', 'Y', 'Z', 'Z', 'Z', 'J', 'E', 'N')
        from tens in Gen.Int[0, 9]
        from units in Gen.Int[0, 9]
        from suffix in Gen.String[Gen.OneOf('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X', 'A'), 0, 4]
        from dotted in Gen.Bool
        from lower in Gen.Bool
        let code = $"{letter}{tens}{units}" + (suffix.Length > 0 ? (dotted ? "." : "") + suffix : "")
        select lower ? code.ToLowerInvariant() : code;

    private static readonly Gen<string> Icd9Code = Gen.OneOf(
        from n in Gen.Int[1, 999]
        from sub in Gen.Int[-1, 99]
        select n.ToString("000", System.Globalization.CultureInfo.InvariantCulture) + (sub < 0 ? "" : "." + sub.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        from n in Gen.Int[1, 91]
        from sub in Gen.Int[-1, 9]
        select "V" + n.ToString("00", System.Globalization.CultureInfo.InvariantCulture) + (sub < 0 ? "" : "." + sub.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        from n in Gen.Int[960, 969]
        select "E" + n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>One generated coding: (system, code, the oracle's categories).</summary>
    private static readonly Gen<(string System, string Code, string[] Expected)> Coding = Gen.OneOf(
        from code in Icd10Code
        from system in Gen.OneOf(Icd10Systems)
        select (system, code, SensitivityOracle.FromIcd10(code) is { } c ? new[] { c } : []),
        from code in Icd9Code
        from system in Gen.OneOf(Icd9Systems)
        select (system, code, SensitivityOracle.FromIcd9(code) is { } c ? new[] { c } : []),
        from concept in Gen.OneOf(Concepts)
        from system in Gen.OneOf(SnomedSystems)
        select (system, concept.Code, SensitivityOracle.FromText(concept.Name).ToArray()));

    [Fact]
    public void Label_GeneratedDiagnoses_CategoriesAreTheOraclesUnion()
    {
        var labeling = ValueSetSecurityLabelerCorpusTests.DefaultLabeling();
        var sensitive = 0;
        var ordinary = 0;
        Coding.Array[1, 3].Sample(
            codings =>
            {
                var diagnosis = new ValueSetSecurityLabelerCorpusTests.Diagnosis("generated", [.. codings.Select(c => (c.System, c.Code, (string?)null))], null);
                var expected = new SortedSet<string>(codings.SelectMany(c => c.Expected), StringComparer.Ordinal);

                var actual = ValueSetSecurityLabelerCorpusTests.Labelled(labeling, diagnosis);

                Assert.True(expected.SetEquals(actual), $"{string.Join(", ", codings.Select(c => c.System + "|" + c.Code))}: oracle [{string.Join(",", expected)}], labeler [{string.Join(",", actual)}]");
                Interlocked.Increment(ref expected.Count > 0 ? ref sensitive : ref ordinary);
            },
            iter: 4000,
            threads: 1);
        Assert.True(sensitive > 400 && ordinary > 400, $"the generator gives both sensitive ({sensitive}) and ordinary ({ordinary}) diagnoses");
    }
}
