using CsCheck;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Parsing;

namespace HealthRecord.Sdk.Hl7V2.Tests.Conversion;

/// <summary>Mutated real messages: the parser either reads them or raises its typed error, and conversion never throws.</summary>
public class Hl7V2ConverterFuzzTests
{
    private static readonly string[] Seeds =
    [
        Fixtures.Text("fhir-converter/ADT-A01-01.hl7"),
        Fixtures.Text("fhir-converter/ORU-R01-01.hl7"),
        Fixtures.Text("fhir-converter/VXU-V04-02.hl7"),
        Fixtures.Text("v2-to-fhir/Message_MDM_T02.hl7"),
        Fixtures.Text("fhir-converter/RDE-O11-01.hl7"),
    ];

    [Fact]
    public void ParseAndConvert_MutatedMessages_OnlyTypedErrors_Property()
    {
        var mutation = Gen.Select(Gen.Int[0, int.MaxValue], Gen.OneOf(Gen.Const('|'), Gen.Const('^'), Gen.Const('~'), Gen.Const('\\'), Gen.Const('&'), Gen.Const('\r'), Gen.Const('"'), Gen.Char[' ', '~'], Gen.Char['0', '9']));
        Gen.Select(Gen.Int[0, Seeds.Length - 1], mutation.Array[1, 12]).Sample((seed, edits) =>
        {
            var chars = Seeds[seed].ToCharArray();
            foreach (var (position, c) in edits)
            {
                chars[position % chars.Length] = c;
            }

            Hl7V2Batch batch;
            try
            {
                batch = Hl7V2Parser.Parse(new string(chars));
            }
            catch (Hl7V2ParseException)
            {
                return;
            }

            foreach (var result in Hl7V2Converter.Convert(batch))
            {
                foreach (var resource in result.Resources)
                {
                    Assert.False(string.IsNullOrEmpty(resource.Id));
                    Assert.Equal(resource.TypeName, FhirJson.Parse(FhirJson.Serialize(resource)).TypeName);
                }
            }
        }, iter: 600);
    }

    [Theory]
    [InlineData("umo906087800")]
    [InlineData("10*999999")]
    [InlineData("mg/(10*99.L)")]
    [InlineData("%{" + "x" + "}")]
    public void Convert_UnitTheUcumLibraryCannotHandle_KeepsTheValueAndNeverThrows(string unit)
    {
        var text = "MSH|^~\\&|LAB|FAC|EHR|HOSP|20240101120000||ORU^R01|U-1|P|2.5.1\rPID|1||42^^^H^MR||Doe^Jane||19800101|F\r"
            + "OBR|1||F1|24323-8^Panel^LN\rOBX|1|NM|2345-7^Glucose^LN||99999999999999999999|" + unit + "|||||F|||20240101\r";

        var result = Hl7V2Converter.Convert(Hl7V2Parser.ParseMessage(text));

        var observation = Assert.Single(result.Resources.OfType<Hl7.Fhir.Model.Observation>());
        Assert.NotNull(observation.Value);
    }
}
