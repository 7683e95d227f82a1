using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Sources;

public class SourceDocumentTests
{
    private static SourceDocument Streamed(byte[] content, long? statedLength) =>
        new("src", "doc.json", _ => ValueTask.FromResult<Stream>(new MemoryStream(content, writable: false)), statedLength);

    private static byte[] Content(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 31)).ToArray();

    [Theory]
    [InlineData(0, null)]
    [InlineData(10, 10L)]
    [InlineData(100_000, 100_000L)]
    [InlineData(300_000, 1_000L)] // a stream longer than it said: the buffer grows
    [InlineData(200_000, null)]
    public async Task RentAllBytesAsync_Stream_GivesWhatReadAllBytesGives(int length, long? stated)
    {
        var content = Content(length);

        using var rented = await Streamed(content, stated).RentAllBytesAsync(long.MaxValue);
        var read = await Streamed(content, stated).ReadAllBytesAsync(long.MaxValue);

        Assert.Equal(content, rented.Memory.ToArray());
        Assert.Equal(read.ToArray(), rented.Memory.ToArray());
    }

    [Fact]
    public async Task RentAllBytesAsync_StreamLongerThanTheLimit_ThrowsLimitExceeded()
    {
        var ex = await Assert.ThrowsAsync<SourceReadException>(() => Streamed(Content(5_000), 10).RentAllBytesAsync(4_096));

        Assert.Equal(HealthRecordErrorCode.LimitExceeded, ex.Code);
    }

    [Fact]
    public async Task RentAllBytesAsync_ContentInMemory_IsHandedOverAsItIs()
    {
        var content = Content(64);
        var document = SourceDocument.FromBytes("src", "doc.json", content);

        var rented = await document.RentAllBytesAsync(1_000);
        rented.Dispose();

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(rented.Memory, out var segment));
        Assert.Same(content, segment.Array);
        Assert.Equal(Content(64), content);
    }
}
