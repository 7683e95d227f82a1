using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary>Settings shared by commands that read one person's stored versions (<c>diff</c>, <c>export</c>).</summary>
public class StoredPersonSettings : CommandSettings
{
    /// <summary>The store.</summary>
    [CommandOption("--store <STORE>")]
    [Description("The store: sqlite:FILE or postgres:CONNECTION.")]
    public string Store { get; set; } = "";

    /// <summary>The person.</summary>
    [CommandOption("--person <ID>")]
    [Description("The person id (history lists them).")]
    public string Person { get; set; } = "";

    /// <inheritdoc />
    public override ValidationResult Validate() =>
        string.IsNullOrEmpty(Store) ? ValidationResult.Error("Name the store: --store sqlite:FILE or --store postgres:CONNECTION.")
        : string.IsNullOrEmpty(Person) ? ValidationResult.Error("Name the person: --person ID (history lists them).")
        : ValidationResult.Success();
}
