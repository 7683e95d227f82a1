using Snapshooter;
using Snapshooter.Xunit;

namespace HealthRecord.Sdk.TestSupport;

/// <summary>
/// Snapshot assertions that refuse to write a missing snapshot when <c>CI=true</c>: a snapshot
/// absent from the repository fails the build instead of silently passing.
/// </summary>
public static class Snapshots
{
    /// <summary>Matches a value against its committed snapshot (<c>__snapshots__/{name}.snap</c> beside the test).</summary>
    /// <param name="value">The value (serialised to JSON by Snapshooter).</param>
    /// <param name="name">The snapshot name.</param>
    /// <param name="matchOptions">Field matchers for ids and times.</param>
    public static void Match(object value, string name, Func<MatchOptions, MatchOptions>? matchOptions = null)
    {
        var snapshotName = new SnapshotFullName(name + ".snap", SnapshotDirectory(name));
        // Snapshooter itself stores the file in a __snapshots__ folder under the given folder path.
        if (IsCi && !File.Exists(Path.Combine(snapshotName.FolderPath, snapshotName.Filename))
            && !File.Exists(Path.Combine(snapshotName.FolderPath, "__snapshots__", snapshotName.Filename)))
        {
            throw new Xunit.Sdk.XunitException($"Snapshot '{snapshotName.Filename}' is missing from {snapshotName.FolderPath}; run the tests locally (without CI=true) to create it, review it and commit it.");
        }

        Snapshot.Match(value, snapshotName, matchOptions ?? (o => o));
    }

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string SnapshotDirectory(string name)
    {
        // Snapshots live in the test project's source folder, found from the binaries' location.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !dir.EnumerateFiles("*.csproj").Any())
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "__snapshots__");
    }
}
