using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Cli.Infrastructure;

/// <summary>The files the commands read and write: FHIR bundles in, pretty FHIR JSON out, folders made as needed.</summary>
internal static class CliFiles
{
    /// <summary>Creates the folder a file will go into.</summary>
    public static void EnsureParent(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
    }

    /// <summary>Writes a resource as indented FHIR JSON with a final line feed.</summary>
    public static async System.Threading.Tasks.Task WriteResourceAsync(string path, Resource resource, CancellationToken cancellationToken)
    {
        EnsureParent(path);
        await File.WriteAllTextAsync(path, FhirJson.Serialize(resource, pretty: true) + "\n", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a FHIR R4 Bundle (an EHR written by aggregate or demo); a missing or non-FHIR file is a usage error.</summary>
    public static async Task<Bundle> ReadBundleAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"There is no EHR file at '{path}'.");
        }

        try
        {
            return FhirJson.Parse<Bundle>(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is Hl7.Fhir.Serialization.DeserializationFailedException or System.Text.Json.JsonException or InvalidCastException)
        {
            throw new CliUsageException($"'{path}' is not a FHIR R4 Bundle: {ex.Message}");
        }
    }
}
