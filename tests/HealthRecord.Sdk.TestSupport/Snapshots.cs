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
        // Snapshooter keeps snapshots in a __snapshots__ folder under the folder it is given.
        var projectFolder = ProjectFolder();
        var snapshotName = new SnapshotFullName(name + ".snap", projectFolder);
        var expected = Path.Combine(projectFolder, "__snapshots__", snapshotName.Filename);
        if (IsCi && !File.Exists(expected))
        {
            throw new Xunit.Sdk.XunitException($"Snapshot '{expected}' is missing; run the tests locally (without CI=true) to create it, review it and commit it.");
        }

        Snapshot.Match(value, snapshotName, matchOptions ?? (o => o));
    }

    /// <summary>
    /// Matches JSON text against its committed snapshot (<c>__snapshots__/{name}.snap</c>) exactly as written: the
    /// comparison is of the text, indented, so a time keeps its time-zone offset and a decimal its digits
    /// (Snapshooter's own comparison re-reads strings that look like dates as <see cref="DateTime"/>, which hides a
    /// changed offset). A missing snapshot is written (and fails under <c>CI=true</c>); a different one is written to
    /// <c>__snapshots__/__mismatch__/</c> and fails with the first differing line.
    /// </summary>
    /// <param name="json">The JSON text (e.g. a serialised FHIR bundle).</param>
    /// <param name="name">The snapshot name.</param>
    public static void MatchJson(string json, string name)
    {
        ArgumentNullException.ThrowIfNull(json);
        var actual = RawJson(json).ToString(Newtonsoft.Json.Formatting.Indented).ReplaceLineEndings("\n") + "\n";
        var folder = Path.Combine(ProjectFolder(), "__snapshots__");
        var expectedPath = Path.Combine(folder, name + ".snap");
        if (!File.Exists(expectedPath))
        {
            if (IsCi)
            {
                throw new Xunit.Sdk.XunitException($"Snapshot '{expectedPath}' is missing; run the tests locally (without CI=true) to create it, review it and commit it.");
            }

            Directory.CreateDirectory(folder);
            File.WriteAllText(expectedPath, actual, new System.Text.UTF8Encoding(false));
            return;
        }

        var expected = File.ReadAllText(expectedPath).TrimStart('\uFEFF').ReplaceLineEndings("\n");
        if (expected == actual)
        {
            return;
        }

        var mismatch = Path.Combine(folder, "__mismatch__", name + ".snap");
        Directory.CreateDirectory(Path.GetDirectoryName(mismatch)!);
        File.WriteAllText(mismatch, actual, new System.Text.UTF8Encoding(false));
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var line = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
        throw new Xunit.Sdk.XunitException(
            $"Snapshot '{name}' differs at line {line + 1}:\n  expected: {(line < e.Length ? e[line].Trim() : "<end>")}\n  actual:   {(line < a.Length ? a[line].Trim() : "<end>")}\nThe actual JSON is in {mismatch}.");
    }

    /// <summary>JSON text as a token tree without date or float conversion (what <see cref="MatchJson"/> snapshots).</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The token tree.</returns>
    public static Newtonsoft.Json.Linq.JToken RawJson(string json)
    {
        using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(json))
        {
            DateParseHandling = Newtonsoft.Json.DateParseHandling.None,
            FloatParseHandling = Newtonsoft.Json.FloatParseHandling.Decimal,
        };
        return Newtonsoft.Json.Linq.JToken.ReadFrom(reader);
    }

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string ProjectFolder()
    {
        // Snapshots live in the test project's source folder, found from the binaries' location.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !dir.EnumerateFiles("*.csproj").Any())
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
