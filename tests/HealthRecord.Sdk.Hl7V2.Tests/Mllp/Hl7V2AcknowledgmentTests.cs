using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Parsing;

namespace HealthRecord.Sdk.Hl7V2.Tests.Mllp;

public class Hl7V2AcknowledgmentTests
{
    private static readonly DateTimeOffset Now = new(2024, 3, 1, 10, 30, 0, TimeSpan.Zero);

    private static readonly Hl7V2Message Incoming = Hl7V2Parser.ParseMessage("MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20240301||ORU^R01^ORU_R01|CTRL-77|P|2.5.1\rPID|1||42\r");

    [Fact]
    public void Create_Accept_SwapsAddressesAndEchoesControlId()
    {
        var ack = Hl7V2Parser.ParseMessage(Hl7V2Acknowledgment.Create(Incoming, Hl7V2AcknowledgmentCode.Accept, null, Now));

        Assert.Equal("ACK", ack.MessageType);
        Assert.Equal("R01", ack.TriggerEvent);
        Assert.Equal("EHR", ack.Get("MSH-3"));
        Assert.Equal("CLINIC", ack.Get("MSH-4"));
        Assert.Equal("LAB", ack.Get("MSH-5"));
        Assert.Equal("HOSP", ack.Get("MSH-6"));
        Assert.Equal("20240301103000+0000", ack.Get("MSH-7"));
        Assert.Equal("2.5.1", ack.Version);
        Assert.Equal("AA", ack.Get("MSA-1"));
        Assert.Equal("CTRL-77", ack.Get("MSA-2"));
        Assert.Null(ack.Segment("ERR"));
        Assert.True(ack.ControlId!.Length <= 20);
    }

    [Fact]
    public void Create_Error_AddsErrSegment()
    {
        var error = new Hl7V2AcknowledgmentError("Patient unknown", "204", "PID", 2, 3);

        var ack = Hl7V2Parser.ParseMessage(Hl7V2Acknowledgment.Create(Incoming, Hl7V2AcknowledgmentCode.Error, error, Now));

        Assert.Equal("AE", ack.Get("MSA-1"));
        Assert.Equal("Patient unknown", ack.Get("MSA-3"));
        Assert.Equal("PID", ack.Get("ERR-2.1"));
        Assert.Equal("2", ack.Get("ERR-2.2"));
        Assert.Equal("3", ack.Get("ERR-2.3"));
        Assert.Equal("204", ack.Get("ERR-3.1"));
        Assert.Equal("E", ack.Get("ERR-4"));
        Assert.Equal("Patient unknown", ack.Get("ERR-8"));
    }

    [Fact]
    public void CreateForUnparsed_BrokenBody_EchoesHeaderAndParseLocation()
    {
        const string broken = "MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20240301||ADT^A08|C-9|P|2.4\rPID|1\rOBX^1^NM\r";
        var parse = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse(broken));

        var ack = Hl7V2Parser.ParseMessage(Hl7V2Acknowledgment.CreateForUnparsed(broken, Hl7V2AcknowledgmentCode.Reject, Hl7V2AcknowledgmentError.From(parse), Now));

        Assert.Equal("AR", ack.Get("MSA-1"));
        Assert.Equal("C-9", ack.Get("MSA-2"));
        Assert.Equal("2.4", ack.Version);
        Assert.Equal("OBX", ack.Get("ERR-2.1"));
        Assert.Equal("3", ack.Get("ERR-2.2"));
        Assert.Equal("100", ack.Get("ERR-3.1"));
    }

    [Fact]
    public void CreateForUnparsed_Garbage_StillGivesWellFormedReject()
    {
        var ack = Hl7V2Parser.ParseMessage(Hl7V2Acknowledgment.CreateForUnparsed("\u0001\u0002garbage", Hl7V2AcknowledgmentCode.Reject, new Hl7V2AcknowledgmentError("binary", "102"), Now));

        Assert.Equal("AR", ack.Get("MSA-1"));
        Assert.Null(ack.Get("MSA-2"));
        Assert.Equal("102", ack.Get("ERR-3.1"));
    }

    [Fact]
    public void From_MissingField_IsRequiredFieldMissing()
    {
        var parse = Assert.Throws<Hl7V2ParseException>(() => Hl7V2Parser.Parse("MSH|^~\\&|A|B|||2024\r"));

        var error = Hl7V2AcknowledgmentError.From(parse);

        Assert.Equal("101", error.Hl7ErrorCode);
        Assert.Equal(HealthRecordErrorCode.MalformedContent, parse.Code);
        Assert.Equal(9, error.Field);
    }
}
