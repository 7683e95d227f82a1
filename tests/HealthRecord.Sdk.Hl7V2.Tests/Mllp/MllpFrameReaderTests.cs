using System.Text;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Sources;

namespace HealthRecord.Sdk.Hl7V2.Tests.Mllp;

public class MllpFrameReaderTests
{
    private const string Message = "MSH|^~\\&|A|B|||20240101||ADT^A01|1|P|2.5\rPID|1||42^^^H^MR||Doe^Jo\r";

    [Fact]
    public async Task ReadFrameAsync_WrittenFrames_ComeBackByteExact()
    {
        using var stream = new MemoryStream();
        await MllpFrameWriter.WriteFrameAsync(stream, Message);
        await MllpFrameWriter.WriteFrameAsync(stream, Message.Replace("|1|P", "|2|P", StringComparison.Ordinal));
        stream.Position = 0;
        var reader = new MllpFrameReader(stream);

        var first = await reader.ReadFrameAsync();
        var second = await reader.ReadFrameAsync();
        var end = await reader.ReadFrameAsync();

        Assert.Equal(Message, Encoding.UTF8.GetString(first!));
        Assert.Contains("|2|P", Encoding.UTF8.GetString(second!), StringComparison.Ordinal);
        Assert.Null(end);
        Assert.Equal(2, reader.FrameCount);
    }

    [Fact]
    public async Task ReadFrameAsync_BytesBetweenFramesAndOneByteReads_AreHandled()
    {
        var bytes = new List<byte>();
        bytes.AddRange("\r\n  noise"u8.ToArray());
        bytes.Add(0x0B);
        bytes.AddRange(Encoding.UTF8.GetBytes(Message));
        bytes.Add(0x1C);
        bytes.Add(0x0D);
        using var stream = new OneByteStream(bytes.ToArray());

        var frame = await new MllpFrameReader(stream).ReadFrameAsync();

        Assert.Equal(Message, Encoding.UTF8.GetString(frame!));
    }

    [Fact]
    public async Task ReadFrameAsync_StreamEndsInsideFrame_IsTruncationError()
    {
        using var stream = new MemoryStream([0x0B, .. Encoding.UTF8.GetBytes("MSH|^~\\&|A|B")]);

        var ex = await Assert.ThrowsAsync<MllpFramingException>(async () => await new MllpFrameReader(stream).ReadFrameAsync());

        Assert.Equal(HealthRecordErrorCode.MalformedContent, ex.Code);
        Assert.False(ex.Recoverable);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFrameAsync_OversizedFrame_IsRecoverable()
    {
        using var stream = new MemoryStream();
        await MllpFrameWriter.WriteFrameAsync(stream, "MSH|^~\\&|A|B|||2024||ADT^A01|1|P|2.5\rOBX|1|TX|x||" + new string('A', 5000) + "\r");
        await MllpFrameWriter.WriteFrameAsync(stream, Message);
        stream.Position = 0;
        var reader = new MllpFrameReader(stream, maxFrameBytes: 1024);

        var ex = await Assert.ThrowsAsync<MllpFramingException>(async () => await reader.ReadFrameAsync());
        var next = await reader.ReadFrameAsync();

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
        Assert.True(ex.Recoverable);
        Assert.Equal(Message, Encoding.UTF8.GetString(next!));
    }

    [Fact]
    public async Task WriteFrameAsync_FramingByteInMessage_Throws()
    {
        using var stream = new MemoryStream();

        await Assert.ThrowsAsync<ArgumentException>(async () => await MllpFrameWriter.WriteFrameAsync(stream, new byte[] { 0x41, 0x1C, 0x41 }));
    }

    [Fact]
    public async Task ReadDocumentsAsync_MllpStream_IsASourceForTheDocumentReader()
    {
        using var stream = new MemoryStream();
        foreach (var file in new[] { "fhir-converter/VXU.hl7", "fhir-converter/LAB-ORU-1.hl7" })
        {
            await MllpFrameWriter.WriteFrameAsync(stream, Fixtures.Text(file));
        }

        stream.Position = 0;
        var reader = new Hl7V2DocumentReader();
        var types = new List<string>();
        await foreach (var document in new MllpFrameReader(stream).ReadDocumentsAsync("feed"))
        {
            await foreach (var record in reader.ReadAsync(document))
            {
                types.Add(record.ResourceType);
            }
        }

        Assert.Equal(3, types.Count(t => t == "Immunization"));
        Assert.Equal(10, types.Count(t => t == "Observation"));
        Assert.Equal(2, types.Count(t => t == "Patient"));
    }

    /// <summary>A stream that returns one byte per read, like a slow socket.</summary>
    private sealed class OneByteStream(byte[] content) : MemoryStream(content)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], cancellationToken);
    }
}
