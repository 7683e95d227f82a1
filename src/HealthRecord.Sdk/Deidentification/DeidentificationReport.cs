using System.Text.Json;
using System.Text.Json.Serialization;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>One line of a change report: how many elements at a path one rule changed, and how.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Action">What it did.</param>
/// <param name="Path">The element path, e.g. <c>Patient.name</c> or <c>Encounter.period.start</c>.</param>
/// <param name="Count">How many elements.</param>
public sealed record DeidentificationChange(string Rule, DeidentificationAction Action, string Path, int Count);

/// <summary>What a rule did to an element, as the change report counts it.</summary>
public enum DeidentificationAction
{
    /// <summary>Removed (with everything under it).</summary>
    Removed = 0,

    /// <summary>Replaced by a coarser value (year, 3-digit ZIP, "90 or older").</summary>
    Generalized = 1,

    /// <summary>A date moved by the person's shift.</summary>
    Shifted = 2,

    /// <summary>Replaced by a keyed pseudonym.</summary>
    Pseudonymized = 3,

    /// <summary>Free text replaced by the host scrubber's output.</summary>
    Scrubbed = 4,
}

/// <summary>What de-identification changed: counts per rule and element path, for a reviewer to audit.</summary>
/// <remarks>Holds no values of the input, only element paths and counts.</remarks>
public sealed record DeidentificationReport
{
    /// <summary>The date treatment used.</summary>
    public required DeidentificationMode Mode { get; init; }

    /// <summary>How many resources were read.</summary>
    public required int Resources { get; init; }

    /// <summary>How many resources were written with at least one change (each carries a <c>meta.security</c> label).</summary>
    public required int TransformedResources { get; init; }

    /// <summary>How many resources were removed whole.</summary>
    public required int RemovedResources { get; init; }

    /// <summary>The changes, ordered by rule, action and path.</summary>
    public required IReadOnlyList<DeidentificationChange> Changes { get; init; }

    /// <summary>Adds up several reports (e.g. one per person of an export).</summary>
    /// <param name="reports">The reports, all of one mode.</param>
    /// <returns>The total.</returns>
    public static DeidentificationReport Combine(IEnumerable<DeidentificationReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var list = reports.ToList();
        var counts = new Dictionary<(string, DeidentificationAction, string), int>();
        foreach (var change in list.SelectMany(r => r.Changes))
        {
            var key = (change.Rule, change.Action, change.Path);
            counts[key] = counts.GetValueOrDefault(key) + change.Count;
        }

        return new DeidentificationReport
        {
            Mode = list.Count > 0 ? list[0].Mode : DeidentificationMode.SafeHarbor,
            Resources = list.Sum(r => r.Resources),
            TransformedResources = list.Sum(r => r.TransformedResources),
            RemovedResources = list.Sum(r => r.RemovedResources),
            Changes = Order(counts),
        };
    }

    /// <summary>The report as indented JSON (camelCase, enums as names).</summary>
    /// <returns>The JSON.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    internal static IReadOnlyList<DeidentificationChange> Order(Dictionary<(string Rule, DeidentificationAction Action, string Path), int> counts) =>
        [.. counts
            .Select(kv => new DeidentificationChange(kv.Key.Rule, kv.Key.Action, kv.Key.Path, kv.Value))
            .OrderBy(c => c.Rule, StringComparer.Ordinal)
            .ThenBy(c => c.Action)
            .ThenBy(c => c.Path, StringComparer.Ordinal)];

    internal static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };
}
