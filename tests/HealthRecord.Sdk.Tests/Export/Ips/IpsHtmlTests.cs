#nullable disable warnings
using System.Diagnostics;
using HealthRecord.Sdk.Export.Ips;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Export.Ips;

/// <summary>A fact that needs headless Chromium: skipped (with the reason) outside CI when it is absent; under CI=true it runs and fails without it.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (IpsHtmlTests.Chromium is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "Chromium is not installed (apt-get install -y chromium; .ci/run installs it under CI).";
        }
    }
}

public class IpsHtmlTests
{
    internal static string Chromium { get; } = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    [Fact]
    public async Task Render_SamplePatient_IsAStandalonePageWithEverySectionTitle()
    {
        var (_, ips) = await IpsDocumentBuilderTests.SampleAsync(provenance: false);

        var html = IpsHtml.Render(ips.Bundle);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal); // no external resources
        Assert.All(ips.Composition.Section, s => Assert.Contains($"<h2>{s.Title}</h2>", html, StringComparison.Ordinal));
    }

    [Fact]
    public void Render_NotADocument_Throws()
    {
        Assert.Throws<ArgumentException>(() => IpsHtml.Render(new Bundle { Type = Bundle.BundleType.Document }));
    }

    [ChromiumFact]
    public async Task Render_SamplePatient_OpensInHeadlessChromiumShowingEverySectionTitle()
    {
        Assert.True(Chromium is not null, "CI=true and Chromium is missing: .ci/run installs the Debian package 'chromium'.");
        var (_, ips) = await IpsDocumentBuilderTests.SampleAsync(provenance: false);
        using var temp = TestHost.TempFolder();
        var page = temp.Write("ips.html", IpsHtml.Render(ips.Bundle));
        var screenshot = temp.File("ips.png");

        var dom = await RunChromiumAsync("--dump-dom", new Uri(page).AbsoluteUri);
        await RunChromiumAsync($"--screenshot={screenshot}", "--window-size=1280,1600", new Uri(page).AbsoluteUri);

        Assert.Contains("<h1>International Patient Summary</h1>", dom, StringComparison.Ordinal);
        Assert.All(ips.Composition.Section, s => Assert.Contains($"<h2>{s.Title}</h2>", dom, StringComparison.Ordinal));
        Assert.True(new FileInfo(screenshot).Length > 10_000, "Chromium rendered a screenshot of the page");
    }

    private static async Task<string> RunChromiumAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Chromium!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars" }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
