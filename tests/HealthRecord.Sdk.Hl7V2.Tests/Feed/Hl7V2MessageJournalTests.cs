using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Feed;
using HealthRecord.Sdk.TestSupport;

namespace HealthRecord.Sdk.Hl7V2.Tests.Feed;

public class Hl7V2MessageJournalTests
{
    private static readonly byte[] First = "MSH|^~\\&|A|B|||2024||ADT^A01|1|P|2.5\r"u8.ToArray();
    private static readonly byte[] Second = "MSH|^~\\&|A|B|||2024||ADT^A08|2|P|2.5\r"u8.ToArray();

    [Fact]
    public async Task AppendAsync_Reopened_KeepsEveryEntryAndRecognisesCopies()
    {
        using var folder = TestHost.TempFolder();
        var path = folder.File("j");
        await using (var journal = await Hl7V2MessageJournal.OpenAsync(path))
        {
            Assert.False((await journal.AppendAsync("k1", First)).Duplicate);
            Assert.False((await journal.AppendAsync("k2", Second)).Duplicate);
            Assert.True((await journal.AppendAsync("k1", First)).Duplicate);
            await journal.MarkAppliedAsync(1);
        }

        await using var reopened = await Hl7V2MessageJournal.OpenAsync(path);
        var (entry, duplicate) = await reopened.AppendAsync("k2", Second);

        Assert.True(duplicate);
        Assert.Equal(2, entry.Sequence);
        Assert.Equal(2, reopened.Count);
        Assert.Equal(1, reopened.AppliedThrough);
        Assert.Equal([First, Second], reopened.Entries().Select(e => e.Message));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20)]
    public async Task OpenAsync_TornLastEntry_IsCutOffAndTheRestKept(int cut)
    {
        using var folder = TestHost.TempFolder();
        var path = folder.File("j");
        await using (var journal = await Hl7V2MessageJournal.OpenAsync(path))
        {
            await journal.AppendAsync("k1", First);
            await journal.AppendAsync("k2", Second);
        }

        // A crash while the second entry was written.
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..^cut]);

        await using var reopened = await Hl7V2MessageJournal.OpenAsync(path);
        Assert.Equal(1, reopened.Count);
        Assert.False((await reopened.AppendAsync("k2", Second)).Duplicate);
        Assert.Equal(2, reopened.Count);
    }

    [Fact]
    public async Task OpenAsync_DamagedEntryBeforeTheEnd_IsRefusedAndLeftUntouched()
    {
        using var folder = TestHost.TempFolder();
        var path = folder.File("j");
        await using (var journal = await Hl7V2MessageJournal.OpenAsync(path))
        {
            await journal.AppendAsync("k1", First);
            await journal.AppendAsync("k2", Second);
        }

        var bytes = await File.ReadAllBytesAsync(path);
        bytes[4 + 12 + 5] ^= 0xFF; // inside the first entry's payload
        await File.WriteAllBytesAsync(path, bytes);

        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => Hl7V2MessageJournal.OpenAsync(path));
        Assert.Contains("damaged", ex.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task OpenAsync_ForeignFile_IsRefusedAndLeftUntouched()
    {
        using var folder = TestHost.TempFolder();
        var path = folder.Write("other.db", "SQLite format 3\0 something else");
        var before = await File.ReadAllBytesAsync(path);

        var ex = await Assert.ThrowsAsync<EhrStoreException>(() => Hl7V2MessageJournal.OpenAsync(path));

        Assert.Equal(HealthRecordErrorCode.StoreFailure, ex.Code);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }
}
