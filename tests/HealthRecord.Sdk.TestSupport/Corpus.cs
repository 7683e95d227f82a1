using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace HealthRecord.Sdk.TestSupport;

/// <summary>
/// Finds the shared real-data corpus (<c>../shared/corpus</c> beside the repository, or the folder in
/// <c>HEALTHRECORD_CORPUS</c>). Full-corpus tests use <see cref="CorpusFactAttribute"/> and
/// <see cref="CorpusTheoryAttribute"/>: they run whenever the corpus is found; otherwise they are skipped with the
/// reason, except under <c>CI=true</c>, where they run and fail (a CI without its corpus must not pass silently).
/// </summary>
public static class Corpus
{
    private static readonly Lazy<string?> RootPath = new(Locate);

    /// <summary>The corpus root, or <see langword="null"/> when it is not on this machine.</summary>
    public static string? Root => RootPath.Value;

    /// <summary>Whether the corpus is present.</summary>
    public static bool IsAvailable => Root is not null;

    /// <summary>Whether the tests run under CI (<c>CI=true</c>): a missing corpus then fails the corpus tests instead of skipping them.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why corpus tests are skipped on this machine, or <see langword="null"/> when they run (the corpus is found, or CI=true).</summary>
    public static string? SkipReason => SkipReasonFor(IsAvailable, IsCi);

    /// <summary>The skip reason of a corpus test: none when the corpus is there or under CI, the reason otherwise.</summary>
    /// <param name="available">Whether the corpus is found.</param>
    /// <param name="ci">Whether CI=true.</param>
    /// <returns>The reason, or <see langword="null"/> to run the test.</returns>
    public static string? SkipReasonFor(bool available, bool ci) => available || ci
        ? null
        : "Needs the shared real-data corpus, which is not on this machine: it is looked for at ../shared/corpus beside the repository "
          + "and in HEALTHRECORD_CORPUS. To run the corpus tests: export HEALTHRECORD_CORPUS=/path/to/corpus (under CI=true they fail instead of skipping).";

    /// <summary>The message of the failure when a corpus test runs without its corpus (under CI=true).</summary>
    internal const string MissingUnderCi = "CI=true but the shared corpus is missing: set HEALTHRECORD_CORPUS to the corpus folder or place it at ../shared/corpus beside the repository.";

    /// <summary>A path inside the corpus.</summary>
    /// <param name="relative">The path relative to the corpus root.</param>
    /// <returns>The full path.</returns>
    /// <exception cref="InvalidOperationException">The corpus is not available.</exception>
    public static string PathOf(string relative) =>
        Path.Combine(Root ?? throw new InvalidOperationException(MissingUnderCi), relative);

    /// <summary>The corpus's Synthea patient bundles (full paths, in ordinal order); empty when the corpus is not available.</summary>
    public static IReadOnlyList<string> SyntheaBundles() => IsAvailable
        ? Directory.EnumerateFiles(PathOf("fhir-bundles/synthea"), "*.json").Order(StringComparer.Ordinal).ToList()
        : [];

    /// <summary>The file names of <see cref="SyntheaBundles"/>, as theory data.</summary>
    public static TheoryData<string> SyntheaBundleNames() => new(SyntheaBundles().Select(Path.GetFileName).OfType<string>());

    /// <summary>The repository root (the folder holding HealthRecord.Sdk.sln).</summary>
    public static string RepositoryRoot { get; } = FindUp(AppContext.BaseDirectory, "HealthRecord.Sdk.sln")
        ?? throw new InvalidOperationException("HealthRecord.Sdk.sln not found above the test binaries.");

    /// <summary>A path inside the committed test fixtures (<c>tests/fixtures</c>).</summary>
    /// <param name="relative">The path relative to <c>tests/fixtures</c>.</param>
    /// <returns>The full path.</returns>
    public static string Fixture(string relative) => Path.Combine(RepositoryRoot, "tests", "fixtures", relative);

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("HEALTHRECORD_CORPUS");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return Path.GetFullPath(env);
        }

        // The repository's sibling folder ../shared/corpus, wherever the repository is cloned.
        var repo = FindUp(AppContext.BaseDirectory, "HealthRecord.Sdk.sln");
        if (repo is not null)
        {
            var shared = Path.GetFullPath(Path.Combine(repo, "..", "shared", "corpus"));
            if (Directory.Exists(shared))
            {
                return shared;
            }
        }

        return null;
    }

    private static string? FindUp(string start, string marker)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, marker)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>A fact that needs the shared corpus: skipped (with the reason) when it is not found, failing under CI=true.</summary>
[XunitTestCaseDiscoverer("HealthRecord.Sdk.TestSupport.CorpusFactDiscoverer", "HealthRecord.Sdk.TestSupport")]
public sealed class CorpusFactAttribute : FactAttribute
{
    /// <summary>Creates the attribute.</summary>
    public CorpusFactAttribute()
    {
        Skip = Corpus.SkipReason;
    }
}

/// <summary>A theory that needs the shared corpus: skipped (with the reason) when it is not found, failing under CI=true.</summary>
[XunitTestCaseDiscoverer("HealthRecord.Sdk.TestSupport.CorpusTheoryDiscoverer", "HealthRecord.Sdk.TestSupport")]
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    /// <summary>Creates the attribute.</summary>
    public CorpusTheoryAttribute()
    {
        Skip = Corpus.SkipReason;
    }
}

/// <summary>
/// Says once per test run, in <c>dotnet test</c>'s output, why the corpus tests are skipped and how to run them: the
/// console shows a skipped test's name but not its reason. The message is an xUnit diagnostic message, which the test
/// projects print (<c>diagnosticMessages</c> in tests/xunit.runner.json).
/// </summary>
public static class CorpusSkipNotice
{
    private static int _told;

    /// <summary>The notice, or <see langword="null"/> when corpus tests run.</summary>
    /// <param name="skipReason">The skip reason of corpus tests on this machine.</param>
    /// <returns>The line to print.</returns>
    public static string? For(string? skipReason) => skipReason is null ? null : $"corpus tests are skipped. {skipReason}";

    /// <summary>Sends the notice the first time it is called in this process, when corpus tests are skipped.</summary>
    /// <param name="sink">The diagnostic message sink.</param>
    public static void TellOnce(IMessageSink sink)
    {
        if (For(Corpus.SkipReason) is { } notice && Interlocked.Exchange(ref _told, 1) == 0)
        {
            sink.OnMessage(new DiagnosticMessage(notice));
        }
    }
}

/// <summary>Discovers <see cref="CorpusFactAttribute"/> tests as facts, and tells once why they are skipped.</summary>
/// <param name="diagnosticMessageSink">Where xUnit's diagnostic messages go.</param>
public sealed class CorpusFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        CorpusSkipNotice.TellOnce(DiagnosticMessageSink);
        return base.Discover(discoveryOptions, testMethod, factAttribute);
    }
}

/// <summary>Discovers <see cref="CorpusTheoryAttribute"/> tests as theories, and tells once why they are skipped.</summary>
/// <param name="diagnosticMessageSink">Where xUnit's diagnostic messages go.</param>
public sealed class CorpusTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute)
    {
        CorpusSkipNotice.TellOnce(DiagnosticMessageSink);
        return base.Discover(discoveryOptions, testMethod, theoryAttribute);
    }
}
