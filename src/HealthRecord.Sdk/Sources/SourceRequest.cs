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

    /// <summary>
    /// The person this source is about, declared by the host, for a source that names its patient without
    /// including the Patient (a server export made in one patient's context, a lab feed for a known patient):
    /// a Patient record key of another source (<c>hospital-a:Patient/123</c>) or a patient identifier
    /// (<c>system|value</c>) that finds exactly one person of the aggregation.
    /// <see langword="null"/> (the default) leaves such records unattributed: the SDK never attaches records
    /// to a person without evidence.
    /// </summary>
    public string? Patient { get; init; }

    /// <summary>The separator of the command-line form's declared person: <c>NAME=PATH;patient=REF</c>.</summary>
    private const string PatientSuffix = ";patient=";

    /// <summary>Parses the command-line form <c>NAME=PATH</c>, or <c>NAME=PATH;patient=REF</c> to declare the source's person (<see cref="Patient"/>).</summary>
    /// <param name="value">The text.</param>
    /// <returns>The request.</returns>
    /// <exception cref="FormatException">The text is not <c>NAME=PATH</c> or <c>NAME=PATH;patient=REF</c>.</exception>
    public static SourceRequest Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string? patient = null;
        var suffix = value.LastIndexOf(PatientSuffix, StringComparison.Ordinal);
        if (suffix >= 0)
        {
            patient = value[(suffix + PatientSuffix.Length)..].Trim();
            value = value[..suffix];
            if (patient.Length == 0)
            {
                throw new FormatException($"A declared person is written NAME=PATH;patient=REF, where REF is source:Patient/id or system|value; got an empty REF.");
            }
        }

        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == value.Length - 1)
        {
            throw new FormatException($"A source is written NAME=PATH (for example hospital-a=./exports/a.json); got '{value}'.");
        }

        return new SourceRequest(value[..eq].Trim(), value[(eq + 1)..].Trim()) { Patient = patient };
    }
}
