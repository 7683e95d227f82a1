using HealthRecord.Sdk.Hl7V2.Parsing;

namespace HealthRecord.Sdk.Hl7V2.Tests.Parsing;

public class Hl7V2MessageTests
{
    private static readonly Hl7V2Message Message = Hl7V2Parser.ParseMessage(
        "MSH|^~\\&|APP|FAC|||20240101||ORU^R01|7|P|2.5.1\r" +
        "PID|1||12345^^^HOSP&1.2.3&ISO^MR~678^^^OTHER^PI||Doe^John^^^^^L~Johnny^^^^^^N||19800102\r" +
        "OBX|1|NM|8867-4^Heart rate^LN||72|/min^^UCUM|60-100|N|||F\r" +
        "OBX|2|ST|x^Note||Fish \\T\\ Chips\\.br\\Line 2||||||F\r");

    [Theory]
    [InlineData("PID-5.1", "Doe")]
    [InlineData("PID-5.2", "John")]
    [InlineData("PID-5(2).1", "Johnny")]
    [InlineData("PID-3(2).1", "678")]
    [InlineData("PID-3.4.2", "1.2.3")]
    [InlineData("PID-3.4.3", "ISO")]
    [InlineData("OBX-5", "72")]
    [InlineData("OBX(2)-5", "Fish & Chips\nLine 2")]
    [InlineData("OBX(2)-3.2", "Note")]
    [InlineData("MSH-9.2", "R01")]
    public void Get_Path_GivesDecodedValue(string path, string expected)
    {
        Assert.Equal(expected, Message.Get(path));
    }

    [Theory]
    [InlineData("PID-30")]
    [InlineData("PID-5.9")]
    [InlineData("PID-5(3).1")]
    [InlineData("OBX(3)-5")]
    [InlineData("NK1-2")]
    public void Get_AbsentPath_GivesNull(string path)
    {
        Assert.Null(Message.Get(path));
    }

    [Theory]
    [InlineData("PID")]
    [InlineData("PID-")]
    [InlineData("PID-0")]
    [InlineData("pid-5")]
    [InlineData("PID-5.x")]
    [InlineData("PID(0)-5")]
    public void Get_MalformedPath_Throws(string path)
    {
        Assert.Throws<FormatException>(() => Message.Get(path));
    }

    [Fact]
    public void Segment_Repetitions_ListsEach()
    {
        var pid = Message.Segment("PID")!;

        Assert.Equal(2, pid.RepetitionCount(3));
        Assert.Equal(["12345", "678"], pid.Repetitions(3).Select(r => r.Component(1).Value));
        Assert.Equal(7, pid.FieldCount);
    }

    [Fact]
    public void ToEr7_WritesSegmentsWithCarriageReturns()
    {
        var er7 = Message.ToEr7();

        Assert.Equal(4, er7.Count(c => c == '\r'));
        Assert.StartsWith("MSH|^~\\&|APP", er7, StringComparison.Ordinal);
        Assert.Equal(Message.Get("OBX(2)-5"), Hl7V2Parser.ParseMessage(er7).Get("OBX(2)-5"));
    }

    [Fact]
    public void Value_ExplicitNull_IsNullButFlagged()
    {
        var m = Hl7V2Parser.ParseMessage("MSH|^~\\&|A|B|||2024||ADT^A08|1|P|2.5\rPID|1||1||\"\"\r");

        Assert.True(m.Value("PID-5").IsExplicitNull);
        Assert.Null(m.Get("PID-5"));
    }
}
