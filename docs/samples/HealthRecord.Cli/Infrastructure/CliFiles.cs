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

    /// <summary>Writes a resource as indented FHIR JSON with a final line feed (atomically: see <see cref="WriteAtomicallyAsync"/>).</summary>
    public static System.Threading.Tasks.Task WriteResourceAsync(string path, Resource resource, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(path, async stream =>
        {
            // UTF-8 straight onto the file: no JSON string, no copy of it with the line feed, no byte[] of that.
            var json = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true });
            await using (json.ConfigureAwait(false))
            {
                FhirJson.Serializer.Serialize(resource, json);
                await json.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// Writes a file so that it is either the whole new content or what was there before: the content goes to a
    /// temporary file beside it, is flushed to disk, and is renamed over the target. A crash or a full disk leaves
    /// the old file (or none), never a truncated one; the temporary file is removed on failure.
    /// </summary>
    public static async System.Threading.Tasks.Task WriteAtomicallyAsync(string path, Func<Stream, System.Threading.Tasks.Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        EnsureParent(path);
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            // Unbuffered: the writers hand over whole chunks (the exporters buffer 32-64 KB themselves), and FileStream's own
            // buffer would only add a copy and a lock per write.
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch (IOException ex) when (ex is not FileNotFoundException)
        {
            throw new CliUsageException($"'{path}' could not be written (nothing was changed there): {ex.Message}");
        }
        finally
        {
            File.Delete(temp);
        }
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
