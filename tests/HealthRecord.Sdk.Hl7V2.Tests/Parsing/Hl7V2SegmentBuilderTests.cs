using CsCheck;
using HealthRecord.Sdk.Hl7V2.Parsing;

namespace HealthRecord.Sdk.Hl7V2.Tests.Parsing;

public class Hl7V2SegmentBuilderTests
{
    [Fact]
    public void ToString_SetsPositionsAndEscapes()
    {
        var pid = new Hl7V2SegmentBuilder("PID").Set(3, "42", 1).Set(3, "HOSP", 4).Set(5, "O'Brien & Sons", 1).Set(5, "Pat", 2).Set(5, "Kid", 1, repetition: 2);

        Assert.Equal("PID|||42^^^HOSP||O'Brien \\T\\ Sons^Pat~Kid", pid.ToString());
    }

    [Fact]
    public void ToString_Header_WritesDelimiters()
    {
        var msh = new Hl7V2SegmentBuilder("MSH").Set(3, "APP").Set(9, "ACK").Set(12, "2.5.1");

        Assert.Equal("MSH|^~\\&|APP||||||ACK|||2.5.1", msh.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => msh.Set(2, "x"));
    }

    [Theory]
    [InlineData("pid")]
    [InlineData("PI")]
    [InlineData("1AB")]
    public void Ctor_BadId_Throws(string id)
    {
        Assert.Throws<ArgumentException>(() => new Hl7V2SegmentBuilder(id));
    }

    /// <summary>Random segments written by the builder parse back to the same values, and writing the parsed message again is stable.</summary>
    [Fact]
    public void ParseWriteParse_IsStable_Property()
    {
        var text = Gen.String[Gen.Char[(char)1, (char)0x17F], 0, 12];
        var cell = Gen.Select(Gen.Int[1, 6], Gen.Int[1, 3], Gen.Int[1, 2], Gen.Int[1, 2], text);
        var segment = Gen.Select(Gen.OneOf("PID", "OBX", "NK1", "ZXY"), cell.List[0, 12]);
        segment.List[1, 5].Sample(segments =>
        {
            var builders = new List<(Hl7V2SegmentBuilder Builder, Dictionary<(int, int, int, int), string> Cells)>();
            foreach (var (id, cells) in segments)
            {
                var builder = new Hl7V2SegmentBuilder(id);
                var expected = new Dictionary<(int, int, int, int), string>();
                foreach (var (field, component, sub, rep, value) in cells)
                {
                    builder.Set(field, value, component, sub, rep);
                    expected[(field, component, sub, rep)] = value;
                }

                builders.Add((builder, expected));
            }

            var msh = new Hl7V2SegmentBuilder("MSH").Set(3, "APP").Set(9, "ORU").Set(9, "R01", 2).Set(10, "1").Set(12, "2.5.1");
            var er7 = string.Join('\r', [msh.ToString(), .. builders.Select(b => b.Builder.ToString())]) + "\r";
            var first = Hl7V2Parser.ParseMessage(er7);
            for (var i = 0; i < builders.Count; i++)
            {
                foreach (var ((field, component, sub, rep), value) in builders[i].Cells)
                {
                    Assert.Equal(string.IsNullOrEmpty(value) ? null : value, first.Segments[i + 1].Get(field, component, sub, rep));
                }
            }

            var written = first.ToEr7();
            var second = Hl7V2Parser.ParseMessage(written);
            Assert.Equal(written, second.ToEr7());
            Assert.Equal(first.Segments.Select(s => s.Text), second.Segments.Select(s => s.Text));
        }, iter: 500);
    }
}
