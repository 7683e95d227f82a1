using Xunit;

namespace HealthRecord.Sdk.TestSupport;

/// <summary>
/// Finds the shared real-data corpus (<c>../shared/corpus</c> beside the repository, or the folder in
/// <c>HEALTHRECORD_CORPUS</c>). Full-corpus tests use <see cref="CorpusFactAttribute"/> and
/// <see cref="CorpusTheoryAttribute"/>: they run whenever the corpus is found and are skipped otherwise.
/// </summary>
public static class Corpus
{
    private static readonly Lazy<string?> RootPath = new(Locate);

    /// <summary>The corpus root, or <see langword="null"/> when it is not on this machine.</summary>
    public static string? Root => RootPath.Value;

    /// <summary>Whether the corpus is present.</summary>
    public static bool IsAvailable => Root is not null;

    /// <summary>A path inside the corpus.</summary>
    /// <param name="relative">The path relative to the corpus root.</param>
    /// <returns>The full path.</returns>
    /// <exception cref="InvalidOperationException">The corpus is not available.</exception>
    public static string PathOf(string relative) =>
        Path.Combine(Root ?? throw new InvalidOperationException("The corpus is not available."), relative);

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

/// <summary>A fact that needs the shared corpus: skipped (with the reason) when it is not found.</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    /// <summary>Creates the attribute.</summary>
    public CorpusFactAttribute()
    {
        if (!Corpus.IsAvailable)
        {
            Skip = "The shared corpus (../shared/corpus or HEALTHRECORD_CORPUS) is not on this machine.";
        }
    }
}

/// <summary>A theory that needs the shared corpus: skipped (with the reason) when it is not found.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    /// <summary>Creates the attribute.</summary>
    public CorpusTheoryAttribute()
    {
        if (!Corpus.IsAvailable)
        {
            Skip = "The shared corpus (../shared/corpus or HEALTHRECORD_CORPUS) is not on this machine.";
        }
    }
}
