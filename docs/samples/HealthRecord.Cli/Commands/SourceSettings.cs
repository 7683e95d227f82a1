using System.ComponentModel;
using HealthRecord.Sdk.Sources;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary>Settings shared by commands that read sources.</summary>
public class SourceSettings : CommandSettings
{
    /// <summary>The sources, NAME=PATH (file or folder), optionally NAME=PATH;patient=REF.</summary>
    [CommandOption("--source <NAME=PATH>")]
    [Description("A source: NAME=PATH, where PATH is a file or a folder (format detected from content), or a FHIR R4 server: NAME=https://host/fhir?patient=ID, NAME=https://host/fhir/$export, …/Patient/$export, …/Group/ID/$export (auth from HEALTHRECORD_FHIR_* variables, see docs/adapters/fhir-server.md). Repeat for each EMR. "
        + "Append ;patient=REF (REF = source:Patient/id or system|value) to declare the person of a source that names its patient without including the Patient.")]
    public string[] Sources { get; set; } = [];

    /// <summary>Logs at debug level.</summary>
    [CommandOption("--verbose")]
    [Description("Log each document and source at debug level.")]
    public bool Verbose { get; set; }

    /// <summary>The parsed sources.</summary>
    public IReadOnlyList<SourceRequest> ParsedSources() => Sources.Select(SourceRequest.Parse).ToList();

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (Sources.Length == 0)
        {
            return ValidationResult.Error("Name at least one source: --source NAME=PATH.");
        }

        foreach (var s in Sources)
        {
            try
            {
                SourceRequest.Parse(s);
            }
            catch (FormatException ex)
            {
                return ValidationResult.Error(ex.Message);
            }
        }

        var names = Sources.Select(s => SourceRequest.Parse(s).Name).ToList();
        var dup = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return dup is null ? ValidationResult.Success() : ValidationResult.Error($"The source name '{dup.Key}' is used twice.");
    }
}
