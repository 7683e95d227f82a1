using System.Diagnostics;
using System.Text;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.Options;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Sources;

public class FileSystemSourceAdapterTests
{
    private const string Patient = """{"resourceType":"Patient","id":"p1","name":[{"family":"Doe","given":["Jane"]}],"birthDate":"1970-01-01"}""";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static FileSystemSourceAdapter Adapter(SymbolicLinkPolicy links = SymbolicLinkPolicy.WithinSource, long maxBytes = 256L * 1024 * 1024, ISourceDocumentReader? extra = null)
    {
        var options = Options.Create(new HealthRecordOptions { MaxDocumentBytes = maxBytes });
        ISourceDocumentReader[] readers = extra is null
            ? [new FhirJsonDocumentReader(options), new FhirXmlDocumentReader(options)]
            : [extra, new FhirJsonDocumentReader(options)];
        return new FileSystemSourceAdapter(readers, Options.Create(new FileSystemSourceOptions { SymbolicLinks = links }));
    }

    private static async Task<List<SourceDocumentResult>> ReadAsync(FileSystemSourceAdapter adapter, string path)
    {
        using var cts = new CancellationTokenSource(Limit);
        var results = new List<SourceDocumentResult>();
        await foreach (var d in adapter.ReadAsync(new SourceRequest("src", path), cts.Token).WithCancellation(cts.Token))
        {
            results.Add(d);
        }

        return results;
    }

    // A FIFO open blocks in the kernel, where cancellation cannot reach: the read is raced against a timer.
    private static async Task<List<SourceDocumentResult>> ReadWithinAsync(FileSystemSourceAdapter adapter, string path)
    {
        var read = Task.Run(() => ReadAsync(adapter, path));
        var finished = await Task.WhenAny(read, Task.Delay(Limit));
        Assert.True(finished == read, $"The read did not finish within {Limit.TotalSeconds} s.");
        return await read;
    }

    [Fact]
    public async Task ReadAsync_NamedPipeInFolder_IsReportedAndNeverOpened()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var folder = TestHost.TempFolder();
        folder.Write("a.json", Patient);
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [folder.File("pipe.json")]) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var results = await ReadWithinAsync(Adapter(), folder.Path);

        Assert.Equal(["a.json", "pipe.json"], results.Select(r => r.DocumentId));
        Assert.Single(results[0].Records);
        Assert.Equal(HealthRecordErrorCode.UnsupportedFormat, results[1].Error?.Code);
        Assert.Contains("named pipe", results[1].Error!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NamedPipeNamedAsSource_IsReportedAndNeverOpened()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var folder = TestHost.TempFolder();
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [folder.File("pipe")]) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync();
        }

        var result = Assert.Single(await ReadWithinAsync(Adapter(), folder.File("pipe")));

        Assert.Equal(HealthRecordErrorCode.UnsupportedFormat, result.Error?.Code);
    }

    [Fact]
    public async Task ReadAsync_SymlinkLoop_ReadsEachFileOnce()
    {
        using var folder = TestHost.TempFolder();
        folder.Write("sub/a.json", Patient);
        Directory.CreateSymbolicLink(folder.File("sub/loop"), folder.Path);
        Directory.CreateSymbolicLink(folder.File("again"), folder.File("sub"));

        var results = await ReadWithinAsync(Adapter(), folder.Path);

        var read = Assert.Single(results);
        Assert.Equal("again/a.json", read.DocumentId);
        Assert.Single(read.Records);
    }

    [Fact]
    public async Task ReadAsync_FileGivenTwiceThroughALink_IsReadOnce()
    {
        using var folder = TestHost.TempFolder();
        folder.Write("b.json", Patient);
        File.CreateSymbolicLink(folder.File("a.json"), folder.File("b.json"));
        File.CreateSymbolicLink(folder.File("c.json"), "b.json");

        var results = await ReadAsync(Adapter(), folder.Path);

        var read = Assert.Single(results);
        Assert.Equal("a.json", read.DocumentId);
        Assert.Single(read.Records);
    }

    [Fact]
    public async Task ReadAsync_HardLinkedFile_IsReadOnce()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var folder = TestHost.TempFolder();
        folder.Write("a.json", Patient);
        using (var ln = Process.Start(new ProcessStartInfo("ln", [folder.File("a.json"), folder.File("b.json")]) { UseShellExecute = false })!)
        {
            await ln.WaitForExitAsync();
            Assert.Equal(0, ln.ExitCode);
        }

        var results = await ReadAsync(Adapter(), folder.Path);

        Assert.Equal("a.json", Assert.Single(results).DocumentId);
    }

    [Fact]
    public async Task ReadAsync_LinkOutOfTheFolder_IsNotFollowedByDefault()
    {
        using var outside = TestHost.TempFolder();
        using var folder = TestHost.TempFolder();
        outside.Write("elsewhere.json", Patient);
        folder.Write("a.json", Patient.Replace("p1", "p2", StringComparison.Ordinal));
        File.CreateSymbolicLink(folder.File("b.json"), outside.File("elsewhere.json"));
        Directory.CreateSymbolicLink(folder.File("c"), outside.Path);

        var results = await ReadAsync(Adapter(), folder.Path);

        Assert.Equal(["a.json", "b.json", "c"], results.Select(r => r.DocumentId));
        Assert.Single(results[0].Records);
        Assert.All(results.Skip(1), r =>
        {
            Assert.Empty(r.Records);
            Assert.Equal(HealthRecordErrorCode.UnsupportedFormat, r.Error?.Code);
            Assert.Contains("leads out of the source folder", r.Error!.Reason, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task ReadAsync_LinkOutOfTheFolderWithFollow_IsRead()
    {
        using var outside = TestHost.TempFolder();
        using var folder = TestHost.TempFolder();
        outside.Write("elsewhere.json", Patient);
        File.CreateSymbolicLink(folder.File("b.json"), outside.File("elsewhere.json"));

        var results = await ReadAsync(Adapter(SymbolicLinkPolicy.Follow), folder.Path);

        Assert.Equal("p1", Assert.Single(Assert.Single(results).Records).ResourceId);
    }

    [Fact]
    public async Task ReadAsync_LinkWithSkip_IsReportedNotRead()
    {
        using var folder = TestHost.TempFolder();
        folder.Write("a.json", Patient);
        File.CreateSymbolicLink(folder.File("b.json"), folder.File("a.json"));

        var results = await ReadAsync(Adapter(SymbolicLinkPolicy.Skip), folder.Path);

        Assert.Equal(["a.json", "b.json"], results.Select(r => r.DocumentId));
        Assert.Null(results[0].Error);
        Assert.Contains("not followed", results[1].Error!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_DanglingLink_IsReported()
    {
        using var folder = TestHost.TempFolder();
        File.CreateSymbolicLink(folder.File("gone.json"), folder.File("missing.json"));

        var result = Assert.Single(await ReadAsync(Adapter(SymbolicLinkPolicy.Follow), folder.Path));

        Assert.Equal(HealthRecordErrorCode.SourceNotFound, result.Error?.Code);
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8BesideAGoodFile_IsATypedIssueAndTheGoodFileIsRead()
    {
        using var folder = TestHost.TempFolder();
        folder.Write("a.json", Patient);
        var bad = Encoding.UTF8.GetBytes("""{"resourceType":"Patient","id":"p9","name":[{"family":"XX"}]}""");
        var at = Array.IndexOf(bad, (byte)'X');
        bad[at] = 0xC3;
        bad[at + 1] = 0x28;
        await File.WriteAllBytesAsync(folder.File("b.json"), bad);

        var results = await ReadAsync(Adapter(), folder.Path);

        Assert.Single(results[0].Records);
        Assert.Equal(HealthRecordErrorCode.MalformedContent, results[1].Error?.Code);
        Assert.Contains("UTF-8", results[1].Error!.Reason, StringComparison.Ordinal);
        Assert.Equal("b.json line 1, byte 56", results[1].Error!.Location);
    }

    [Fact]
    public async Task ReadAsync_FileOverTheSizeLimit_IsALimitIssue()
    {
        using var folder = TestHost.TempFolder();
        folder.Write("a.json", Patient);
        folder.Write("big.json", Patient.Replace("Doe", new string('x', 4000), StringComparison.Ordinal));

        var results = await ReadAsync(Adapter(maxBytes: 1000), folder.Path);

        Assert.Single(results[0].Records);
        Assert.Equal(HealthRecordErrorCode.LimitExceeded, results[1].Error?.Code);
        Assert.Contains("MaxDocumentBytes", results[1].Error!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_ReaderThrowsUnexpectedly_IsATypedIssueWithoutTheMessage()
    {
        using var folder = TestHost.TempFolder();
        folder.Write("a.hl7", "MSH|^~\\&|secret value");
        folder.Write("b.json", Patient);

        var results = await ReadAsync(Adapter(extra: new ThrowingReader()), folder.Path);

        Assert.Equal(HealthRecordErrorCode.MalformedContent, results[0].Error?.Code);
        Assert.DoesNotContain("secret", results[0].Error!.Reason, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(results[0].Error!.InnerException);
        Assert.Single(results[1].Records);
    }

    [Fact]
    public async Task ReadDocumentsAsync_NamedDocuments_FollowTheSameRules()
    {
        using var outside = TestHost.TempFolder();
        using var folder = TestHost.TempFolder();
        outside.Write("elsewhere.json", Patient);
        folder.Write("a.json", Patient);
        File.CreateSymbolicLink(folder.File("b.json"), outside.File("elsewhere.json"));

        var results = new List<SourceDocumentResult>();
        await foreach (var d in Adapter().ReadDocumentsAsync(new SourceRequest("src", folder.Path), new HashSet<string> { "a.json", "b.json", "../x.json" }))
        {
            results.Add(d);
        }

        Assert.Equal(["a.json", "b.json"], results.Select(r => r.DocumentId));
        Assert.NotNull(results[1].Error);
    }

    private sealed class ThrowingReader : ISourceDocumentReader
    {
        public string Format => "throwing";

        public bool CanRead(ReadOnlySpan<byte> head) => head.StartsWith("MSH"u8);

        public async IAsyncEnumerable<SourceRecord> ReadAsync(SourceDocument document, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            throw new InvalidOperationException("a parser defect quoting the secret value");
#pragma warning disable CS0162 // An iterator needs a yield.
            yield break;
#pragma warning restore CS0162
        }
    }
}

public class FileSystemSourceAdapterLoggingTests
{
    [Fact]
    public async Task ReadAsync_RefusedDocuments_LogNoExceptionAndNoContentAtAnyLevel()
    {
        using var folder = TestHost.TempFolder();
        folder.Write("a.json", """{"resourceType":"Patient","id":"p1","name":[{"family":"SecretFamily"}]}""");
        folder.Write("b.json", """{"resourceType":"Patient","id":"p2","name":[{"family":"SecretFamily""");
        folder.Write("c.xml", """<Patient xmlns="http://hl7.org/fhir"><name><family value="SecretFamily"/></name><birthDate value="SecretDate"/><bad>""");
        var bad = Encoding.UTF8.GetBytes("""{"resourceType":"Patient","name":[{"family":"SecretFamily X"}]}""");
        bad[Array.IndexOf(bad, (byte)'X')] = 0xFF;
        await File.WriteAllBytesAsync(folder.File("d.json"), bad);
        var logger = new CapturingLogger();
        var options = Options.Create(new HealthRecordOptions());
        var adapter = new FileSystemSourceAdapter([new FhirJsonDocumentReader(options), new FhirXmlDocumentReader(options)], Options.Create(new FileSystemSourceOptions()), logger);

        var results = new List<SourceDocumentResult>();
        await foreach (var d in adapter.ReadAsync(new SourceRequest("src", folder.Path)))
        {
            results.Add(d);
        }

        Assert.Equal(3, results.Count(r => r.Error is not null));
        Assert.NotEmpty(logger.Entries);
        Assert.All(logger.Entries, e =>
        {
            Assert.Null(e.Exception);
            Assert.DoesNotContain("Secret", e.Message, StringComparison.Ordinal);
        });
    }

    private sealed class CapturingLogger : Microsoft.Extensions.Logging.ILogger<FileSystemSourceAdapter>
    {
        public List<(string Message, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((formatter(state, exception), exception));
            }
        }
    }
}
