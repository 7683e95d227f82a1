using System.Text;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Hl7V2.Tests.Parsing;

public class Hl7V2ParserTests
{
    private const string Adt = "MSH|^~\\&|APP|FAC|RCV|RFAC|20240101120000||ADT^A01^ADT_A01|CTRL1|P|2.5.1\r" +
                               "EVN|A01|20240101120000\r" +
                               "PID|1||12345^^^HOSP^MR~999-99-9999^^^SSA^SS||Doe^John^Q^Jr||19800102|M\r" +
                               "ZPI|custom|data\r";

    [Theory]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void Parse_AnySegmentTerminator_GivesSameSegments(string terminator)
    {
        var message = Hl7V2Parser.ParseMessage(Adt.Replace("\r", terminator, StringComparison.Ordinal));

        Assert.Equal(["MSH", "EVN", "PID", "ZPI"], message.Segments.Select(s => s.Id));
        Assert.Equal("Doe", message.Get("PID-5.1"));
        Assert.Equal("CTRL1", message.ControlId);
    }

    [Fact]
    public void Parse_Utf8BomBytes_IsIgnored()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Adt)).ToArray();

        var batch = Hl7V2Parser.Parse(bytes);

        Assert.Equal("MSH", batch.Messages[0].Segments[0].Id);
        Assert.Equal("ADT", batch.Messages[0].MessageType);
    }

    [Fact]
    public void Parse_Header_ReadsTypedFields()
    {
        var message = Hl7V2Parser.ParseMessage(Adt);

        Assert.Equal("ADT", message.MessageType);
        Assert.Equal("A01", message.TriggerEvent);
        Assert.Equal("ADT_A01", message.MessageStructure);
        Assert.Equal("2.5.1", message.Version);
        Assert.Equal("P", message.ProcessingId);
        Assert.Equal("APP", message.SendingApplication);
        Assert.Equal("|", message.Get("MSH-1"));
        Assert.Equal("^~\\&", message.Get("MSH-2"));
    }

    [Fact]
    public void Parse_ZSegment_IsKept()
    {
        var message = Hl7V2Parser.ParseMessage(Adt);

        var z = Assert.Single(message.SegmentsNamed("ZPI"));
        Assert.True(z.IsZSegment);
        Assert.Equal("data", z.Get(2));
    }

    [Fact]
    public void Parse_CustomDelimiters_AreHonoured()
    {
        var text = "MSH#*@!%#APP#FAC#####ORU*R01#1#P#2.3\rPID#1##42***HOSP##Roe*Jane%Ann@Smith*Mary\r";

        var message = Hl7V2Parser.ParseMessage(text);

        Assert.Equal('#', message.Delimiters.Field);
        Assert.Equal('*', message.Delimiters.Component);
        Assert.Equal('@', message.Delimiters.Repetition);
        Assert.Equal('%', message.Delimiters.SubComponent);
        Assert.Equal("42", message.Get("PID-3.1"));
        Assert.Equal("HOSP", message.Get("PID-3.4"));
        Assert.Equal("Ann", message.Get("PID-5.2.2"));
        Assert.Equal("Smith", message.Get("PID-5(2).1"));
    }

    [Fact]
    public void Parse_SeveralMessagesInOneFile_GivesEach()
    {
        var text = Adt + "\n" + Adt.Replace("CTRL1", "CTRL2", StringComparison.Ordinal);

        var batch = Hl7V2Parser.Parse(text);

        Assert.Equal(["CTRL1", "CTRL2"], batch.Messages.Select(m => m.ControlId));
        Assert.Equal([1, 2], batch.Messages.Select(m => m.Index));
    }

    [Fact]
    public void Parse_Batch_KeepsEnvelopeAndMessages()
    {
        var text = "FHS|^~\\&|APP\rBHS|^~\\&|APP\r" + Adt + Adt.Replace("CTRL1", "CTRL2", StringComparison.Ordinal) + "BTS|2\rFTS|1\r";

        var batch = Hl7V2Parser.Parse(text);

        Assert.Equal(2, batch.Messages.Count);
        Assert.Equal(["FHS", "BHS", "BTS", "FTS"], batch.EnvelopeSegments.Select(s => s.Id));
        Assert.Empty(batch.Warnings);
        Assert.Equal(4, batch.Messages[1].Segments.Count);
    }

    [Fact]
    public void Parse_BatchCountMismatch_Warns()
    {
        var batch = Hl7V2Parser.Parse("BHS|^~\\&|APP\r" + Adt + "BTS|3\r");

        Assert.Contains(batch.Warnings, w => w.Contains("BTS-1 declares 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_Latin1CharacterSet_DecodesBytes()
    {
        var text = "MSH|^~\\&|APP|FAC|||20240101||ADT^A08|1|P|2.5||||||8859/1\rPID|1||1||Müller^Zoë\r";
        var bytes = Encoding.Latin1.GetBytes(text);

        var message = Hl7V2Parser.Parse(bytes).Messages[0];

        Assert.Equal("8859/1", message.CharacterSet);
        Assert.Equal("Müller", message.Get("PID-5.1"));
        Assert.Equal("Zoë", message.Get("PID-5.2"));
    }

    [Fact]
    public void Parse_Utf8Bytes_DecodesNonAscii()
    {
        var text = "MSH|^~\\&|APP|FAC|||20240101||ADT^A08|1|P|2.5||||||UNICODE UTF-8\rPID|1||1||Łukasiewicz^Jan\r";

        var message = Hl7V2Parser.Parse(Encoding.UTF8.GetBytes(text)).Messages[0];

        Assert.Equal("Łukasiewicz", message.Get("PID-5.1"));
    }

    [Fact]
    public void Parse_TruncatedHeader_NamesMissingField()
    {
        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse("MSH|^~\\&|APP|FAC|||2024\rPID|1\r"));

        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
        Assert.Equal("MSH", ex.SegmentId);
        Assert.Equal(9, ex.Field);
        Assert.Contains("MSH-9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingVersion_NamesMsh12()
    {
        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse("MSH|^~\\&|APP|FAC|||2024||ADT^A01|1|P\r"));

        Assert.Equal(12, ex.Field);
    }

    [Theory]
    [InlineData("MSH|^~|APP")]
    [InlineData("MSH|^^\\&|APP|||||ADT^A01|1|P|2.5")]
    [InlineData("MSHA^~\\&|APP|||||ADT^A01|1|P|2.5")]
    public void Parse_WrongDelimiters_IsTypedError(string header)
    {
        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse(header + "\rPID|1\r"));

        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
        Assert.Equal("MSH", ex.SegmentId);
        Assert.Contains("delimiter", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Parse_SegmentWithOtherFieldSeparator_NamesSegment()
    {
        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse(Adt + "OBX^1^NM\r"));

        Assert.Equal("OBX", ex.SegmentId);
        Assert.Equal(5, ex.Line);
    }

    [Fact]
    public void Parse_BinaryGarbage_IsTypedError()
    {
        var garbage = new byte[512];
        new Random(42).NextBytes(garbage);

        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse(garbage));

        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
    }

    [Fact]
    public void Parse_ControlCharactersInsideField_NamesField()
    {
        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse(Adt + "OBX|1|ST|x||a\u0000\u0001b\r"));

        Assert.Equal("OBX", ex.SegmentId);
        Assert.Equal(5, ex.Field);
    }

    [Fact]
    public void Parse_GiganticField_IsLimitExceededNamingField()
    {
        var options = new Hl7V2ParserOptions { MaxFieldLength = 1000 };
        var text = Adt + "OBX|1|TX|x||" + new string('A', 5000) + "\r";

        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse(text, options));

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
        Assert.Equal("OBX", ex.SegmentId);
        Assert.Equal(5, ex.Field);
    }

    [Fact]
    public void Parse_SegmentBeforeMsh_IsTypedError()
    {
        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse("PID|1||42\r" + Adt));

        Assert.Equal("PID", ex.SegmentId);
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void Parse_NotVersion2_IsUnsupported()
    {
        var ex = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse("MSH|^~\\&|A|B|||2024||ADT^A01|1|P|3.0\r"));

        Assert.Equal(HealthRecordErrorCode.UnsupportedFormat, ex.Code);
    }

    [Fact]
    public void ParseMessage_TwoMessages_Throws()
    {
        Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.ParseMessage(Adt + Adt));
    }

    [Theory]
    [MemberData(nameof(Fixtures.AllMessageFiles), MemberType = typeof(Fixtures))]
    public void Parse_EveryFixture_ReadsEverySegmentLine(string file)
    {
        var bytes = Fixtures.Bytes(file);
        var text = Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF');
        var expectedLines = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Count(l => l.Trim().Length > 0);

        var batch = Hl7V2Parser.Parse(bytes);

        Assert.Equal(expectedLines, batch.Messages.Sum(m => m.Segments.Count) + batch.EnvelopeSegments.Count);
        Assert.All(batch.Messages, m => Assert.Matches(@"^2\.\d", m.Version));
    }

    [CorpusTheory]
    [MemberData(nameof(Fixtures.AllCorpusFiles), MemberType = typeof(Fixtures))]
    public void Parse_EveryCorpusFile_GivesMessagesWithHeaders(string file)
    {
        var batch = Hl7V2Parser.Parse(File.ReadAllBytes(Corpus.PathOf(file)));

        Assert.NotEmpty(batch.Messages);
        Assert.All(batch.Messages, m => Assert.False(string.IsNullOrEmpty(m.MessageType)));
    }

    [CorpusFact]
    public void Parse_HapiMultiMessageFile_GivesThirteenMessages()
    {
        var batch = Hl7V2Parser.Parse(File.ReadAllBytes(Corpus.PathOf("hl7v2/hapi/example_oml_o21.hl7")));

        Assert.Equal(13, batch.Messages.Count);
        Assert.Equal("ORU", batch.Messages[9].MessageType);
        Assert.Equal(["2.5", "2.5.1"], batch.Messages.Select(m => m.Version).Distinct().Order(StringComparer.Ordinal));
    }
}
