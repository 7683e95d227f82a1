using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.TestSupport;
using Spectre.Console.Testing;

namespace HealthRecord.Cli.Tests;

/// <summary>
/// <c>listen</c> as an interface team runs it: a real process on loopback, messages over MLLP, SIGTERM mid-feed, a
/// restart that recognises the sender's re-sent copies, and the store holding every ACKed message.
/// </summary>
public sealed partial class ListenCommandTests : IDisposable
{
    private static readonly string[] Messages =
    [
        "hl7v2/fhir-converter/ADT-A01-01.hl7",
        "hl7v2/fhir-converter/ORU-R01-01.hl7",
        "hl7v2/fhir-converter/VXU.hl7",
        "hl7v2/fhir-converter/LAB-ORU-1.hl7",
    ];

    private readonly TempFolder _tmp = TestHost.TempFolder();

    public void Dispose() => _tmp.Dispose();

    [GeneratedRegex(@"Listening on (\S+:\d+)")]
    private static partial Regex ListeningOn();

    private static Process StartListener(string store, StringBuilder output)
    {
        // The CLI as its own build wrote it (bin/<configuration>/net10.0 of the CLI project): it is built for a runtime
        // identifier (ReadyToRun), so its native SQLite library sits beside it, not under runtimes/ as in this folder.
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
        var cli = Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "HealthRecord.Cli", "bin", configuration, "net10.0", "healthrecord.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", cli, "listen", "--mllp", "127.0.0.1:0", "--store", store])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["COLUMNS"] = "400";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<IPEndPoint> WaitForListeningAsync(Process process, StringBuilder output, CancellationToken cancellationToken)
    {
        while (true)
        {
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            if (ListeningOn().Match(text) is { Success: true } m)
            {
                return IPEndPoint.Parse(m.Groups[1].Value);
            }

            Assert.False(process.HasExited, "the listener exited: " + text);
            await Task.Delay(50, cancellationToken);
        }
    }

    private static async Task<List<string>> SendAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endPoint, cancellationToken);
        var stream = client.GetStream();
        var acks = new MllpFrameReader(stream);
        var codes = new List<string>();
        foreach (var file in Messages)
        {
            await MllpFrameWriter.WriteFrameAsync(stream, File.ReadAllText(Corpus.Fixture(file)), cancellationToken);
            var ack = Hl7V2Parser.ParseMessage(Encoding.UTF8.GetString((await acks.ReadFrameAsync(cancellationToken))!));
            codes.Add(ack.Get("MSA-1")!);
        }

        return codes;
    }

    private static async Task<(int Exit, string Output)> TerminateAsync(Process process, StringBuilder output, CancellationToken cancellationToken)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(cancellationToken);
            Assert.Equal(0, kill.ExitCode);
        }

        await process.WaitForExitAsync(cancellationToken);
        lock (output)
        {
            // Spectre wraps long lines at the console width: read the output as one line.
            return (process.ExitCode, Regex.Replace(output.ToString(), @"\s+", " "));
        }
    }

    [Fact]
    public async Task Listen_SigtermThenRestart_KeepsEveryAckedMessageAndRecognisesResentCopies()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var store = $"sqlite:{_tmp.File("feed.db")}";

        var firstOutput = new StringBuilder();
        using (var first = StartListener(store, firstOutput))
        {
            var endPoint = await WaitForListeningAsync(first, firstOutput, timeout.Token);
            Assert.Equal(["AA", "AA", "AA", "AA"], await SendAsync(endPoint, timeout.Token));
            var (exit, output) = await TerminateAsync(first, firstOutput, timeout.Token);
            Assert.True(exit == 0, output);
            Assert.True(output.Contains("Stopped: 4 AA", StringComparison.Ordinal), output);
        }

        // The sender did not see the ACKs (say) and re-sends everything to the restarted listener.
        var secondOutput = new StringBuilder();
        using (var second = StartListener(store, secondOutput))
        {
            var endPoint = await WaitForListeningAsync(second, secondOutput, timeout.Token);
            Assert.Equal(["AA", "AA", "AA", "AA"], await SendAsync(endPoint, timeout.Token));
            var (exit, output) = await TerminateAsync(second, secondOutput, timeout.Token);
            Assert.True(exit == 0, output);
            Assert.Contains("4 re-sent copies recognised", output, StringComparison.Ordinal);
            Assert.Contains("4 messages, 0 to apply", output, StringComparison.Ordinal);
        }

        var console = new TestConsole().Width(400);
        Assert.Equal(CliApp.Success, await CliApp.RunAsync(["history", "--store", store], console));
        Assert.Matches(@"[1-9]\d* persons\.", console.Output);
        Assert.Contains("mllp", console.Output, StringComparison.Ordinal);
    }
}
