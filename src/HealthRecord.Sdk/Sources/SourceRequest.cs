namespace HealthRecord.Sdk.Sources;

/// <summary>
/// One EMR source to read: a name the host chooses (it appears in lineage and merge policies)
/// and a location (a file, a folder, or an address a registered adapter understands).
/// </summary>
/// <param name="Name">The source name, e.g. <c>hospital-a</c>. Unique within one aggregation.</param>
/// <param name="Location">A file or folder path, or an address such as a FHIR server base URL.</param>
public sealed record SourceRequest(string Name, string Location)
{
    /// <summary>
    /// The format to read, when the host knows it (<c>fhir-json</c>, <c>ccda</c>, <c>hl7v2</c>);
    /// <see langword="null"/> detects it from each document's content.
    /// </summary>
    public string? Format { get; init; }

    /// <summary>Parses the command-line form <c>NAME=PATH</c>.</summary>
    /// <param name="value">The text.</param>
    /// <returns>The request.</returns>
    /// <exception cref="FormatException">The text is not <c>NAME=PATH</c>.</exception>
    public static SourceRequest Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == value.Length - 1)
        {
            throw new FormatException($"A source is written NAME=PATH (for example hospital-a=./exports/a.json); got '{value}'.");
        }

        return new SourceRequest(value[..eq].Trim(), value[(eq + 1)..].Trim());
    }
}
