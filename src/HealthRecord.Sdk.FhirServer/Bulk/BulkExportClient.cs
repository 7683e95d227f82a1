using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Configuration;
using HealthRecord.Sdk.FhirServer.Http;
using HealthRecord.Sdk.FhirServer.Rest;
using HealthRecord.Sdk.FhirServer.Telemetry;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.Logging;

namespace HealthRecord.Sdk.FhirServer.Bulk;

/// <summary>
/// A Bulk Data client (FHIR Bulk Data Access 2.0): kick-off, status polling honouring <c>Retry-After</c>, NDJSON
/// output files downloaded as streams (gzip accepted), the error file reported as failed documents, and DELETE of
/// the job once every file is in (or when cancelled with no checkpoint to resume from). Each output file is one
/// document, handed on only when it was downloaded completely: a file cut off half-way is fetched again, and
/// never yields half its records.
/// </summary>
internal sealed class BulkExportClient(FhirServerConnection connection, FhirServerSourceOptions options, ISourceDocumentReader reader, long maxBytes, TimeProvider time, ILogger logger, Action<string>? progressed = null)
{
    private const string FhirJson = "application/fhir+json";

    /// <summary>The manifest's transactionTime, once known: the <c>_since</c> of the next incremental export.</summary>
    public DateTimeOffset? TransactionTime { get; private set; }

    /// <summary>Whether some data did not arrive (a file failed, or the server's error file reported issues).</summary>
    public bool Incomplete { get; private set; }

    /// <summary>The first problem met.</summary>
    public string? LastError { get; private set; }

    public async IAsyncEnumerable<SourceDocumentResult> ReadAsync(FhirSourceLocation location, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var kickoff = KickOffUri(location, since);
        var checkpoint = BulkCheckpoint.Load(options.CheckpointDirectory, connection.SourceName, kickoff.AbsoluteUri);
        var allDownloaded = false;
        try
        {
            var manifest = await EnsureManifestAsync(kickoff, checkpoint, cancellationToken).ConfigureAwait(false);
            TransactionTime = DateTimeOffset.TryParse(manifest.TransactionTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
            if (checkpoint.Completed.Count > 0)
            {
                Log.BulkResumed(logger, connection.SourceName, checkpoint.Completed.Count, manifest.Output.Count);
            }

            var failedFiles = 0;
            for (var i = 0; i < manifest.Output.Count; i++)
            {
                var result = await ReadOutputAsync(i, manifest.Output[i], manifest.RequiresAccessToken, checkpoint, cancellationToken).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    failedFiles++;
                    Fail(result.Error!.Reason);
                }

                yield return result;
            }

            for (var e = 0; e < manifest.Error.Count; e++)
            {
                foreach (var issue in await ReadErrorFileAsync(e, manifest.Error[e], manifest.RequiresAccessToken, cancellationToken).ConfigureAwait(false))
                {
                    Fail(issue.Error!.Reason);
                    yield return issue;
                }
            }

            allDownloaded = failedFiles == 0;
        }
        finally
        {
            // Done, or nothing to resume from: the server may free the job. Otherwise it stays for the resume.
            if (checkpoint.StatusUrl is { } status && (allDownloaded || options.CheckpointDirectory is null))
            {
                await DeleteJobAsync(new Uri(status)).ConfigureAwait(false);
            }

            if (allDownloaded)
            {
                checkpoint.Delete();
            }
        }
    }

    private void Fail(string reason)
    {
        Incomplete = true;
        LastError ??= reason;
    }

    private Uri KickOffUri(FhirSourceLocation location, DateTimeOffset? since)
    {
        var path = location.Kind switch
        {
            FhirReadKind.PatientExport => "Patient/$export",
            FhirReadKind.GroupExport => $"Group/{Uri.EscapeDataString(location.GroupId!)}/$export",
            _ => "$export",
        };
        var query = new List<string> { "_outputFormat=" + Uri.EscapeDataString("application/fhir+ndjson") };
        if (location.Types.Count > 0)
        {
            query.Add("_type=" + string.Join(',', location.Types));
        }

        if (since is { } s)
        {
            query.Add("_since=" + Uri.EscapeDataString(s.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)));
        }

        return connection.Resolve(path + "?" + string.Join('&', query));
    }

    private async Task<BulkManifest> EnsureManifestAsync(Uri kickoff, BulkCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        if (checkpoint.Manifest is { } saved)
        {
            return saved;
        }

        var resumed = checkpoint.StatusUrl is not null;
        if (!resumed)
        {
            checkpoint.StatusUrl = (await KickOffAsync(kickoff, cancellationToken).ConfigureAwait(false)).AbsoluteUri;
            checkpoint.Save();
        }

        BulkManifest manifest;
        try
        {
            manifest = await PollAsync(new Uri(checkpoint.StatusUrl!), cancellationToken).ConfigureAwait(false);
        }
        catch (SourceReadException ex) when (resumed && ex.Code == HealthRecordErrorCode.SourceNotFound)
        {
            // The server forgot the job (expired or deleted): start again.
            checkpoint.Reset();
            checkpoint.StatusUrl = (await KickOffAsync(kickoff, cancellationToken).ConfigureAwait(false)).AbsoluteUri;
            checkpoint.Save();
            manifest = await PollAsync(new Uri(checkpoint.StatusUrl), cancellationToken).ConfigureAwait(false);
        }

        checkpoint.Manifest = manifest;
        checkpoint.Save();
        return manifest;
    }

    private async Task<Uri> KickOffAsync(Uri kickoff, CancellationToken cancellationToken)
    {
        using var response = await connection.SendAsync(HttpMethod.Get, kickoff, FhirJson, cancellationToken, r => r.Headers.Add("Prefer", "respond-async")).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw response.IsSuccessStatusCode
                ? new SourceReadException(HealthRecordErrorCode.UnsupportedFormat, connection.SourceName, FhirServerConnection.Describe(kickoff), $"The server answered the Bulk Data kick-off with {(int)response.StatusCode}, not 202 Accepted.")
                : await connection.FailureAsync(response, kickoff, cancellationToken).ConfigureAwait(false);
        }

        var location = response.Content.Headers.ContentLocation ?? (response.Headers.TryGetValues("Content-Location", out var values) ? new Uri(values.First(), UriKind.RelativeOrAbsolute) : null);
        return location is null
            ? throw new SourceReadException(HealthRecordErrorCode.MalformedContent, connection.SourceName, FhirServerConnection.Describe(kickoff), "The kick-off answer has no Content-Location (status URL).")
            : location.IsAbsoluteUri ? location : new Uri(kickoff, location);
    }

    private async Task<BulkManifest> PollAsync(Uri status, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + options.BulkMaxWait;
        while (true)
        {
            byte[]? body = null;
            TimeSpan delay;
            string progress;
            using (var response = await connection.SendAsync(HttpMethod.Get, status, "application/json", cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    body = await connection.ReadBodyAsync(response, status, maxBytes, cancellationToken).ConfigureAwait(false);
                }
                else if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw await connection.FailureAsync(response, status, cancellationToken).ConfigureAwait(false);
                }

                delay = FhirServerHttp.RetryAfter(response, options.BulkMaxPollInterval) ?? options.BulkPollInterval;
                progress = response.Headers.TryGetValues("X-Progress", out var p) ? FhirServerConnection.Cut(string.Join(' ', p)) : "no progress reported";
            }

            if (body is not null)
            {
                try
                {
                    return BulkManifest.Parse(body);
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
                {
                    throw new SourceReadException(HealthRecordErrorCode.MalformedContent, connection.SourceName, FhirServerConnection.Describe(status), "The export manifest is not valid JSON.", ex);
                }
            }

            if (time.GetUtcNow() + delay > deadline)
            {
                throw new SourceReadException(HealthRecordErrorCode.SourceUnavailable, connection.SourceName, FhirServerConnection.Describe(status),
                    $"The export did not finish within BulkMaxWait ({options.BulkMaxWait}).");
            }

            Log.BulkInProgress(logger, connection.SourceName, progress, (long)delay.TotalMilliseconds);
            progressed?.Invoke(progress);
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SourceDocumentResult> ReadOutputAsync(int index, BulkFile file, bool authenticate, BulkCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var documentId = $"{index:0000}-{BulkCheckpoint.SafeName(file.Type)}.ndjson";
        var folder = checkpoint.FilesFolder;
        byte[]? content = null;
        string? path = null;
        if (checkpoint.Completed.TryGetValue(index, out var local) && folder is not null && File.Exists(Path.Combine(folder, local)))
        {
            path = Path.Combine(folder, local);
        }
        else
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    (content, path) = await DownloadAsync(new Uri(file.Url), authenticate, folder, documentId, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (SourceReadException ex) when (ex.Code == HealthRecordErrorCode.SourceUnavailable && attempt < options.BulkFileAttempts)
                {
                    Log.BulkFileRetry(logger, connection.SourceName, documentId, attempt, ex.Code);
                }
                catch (SourceReadException ex)
                {
                    return Failed(documentId, new SourceReadException(ex.Code, connection.SourceName, documentId,
                        $"The output file could not be downloaded completely ({attempt} attempt(s)); its records are missing. {ex.Reason}", ex));
                }
            }

            if (path is not null)
            {
                checkpoint.Completed[index] = Path.GetFileName(path);
                checkpoint.Save();
            }
        }

        var document = path is not null
            ? new SourceDocument(connection.SourceName, documentId, _ => ValueTask.FromResult(OpenLocal(path)))
            : SourceDocument.FromBytes(connection.SourceName, documentId, Decompressed(content!));
        try
        {
            var records = new List<SourceRecord>();
            await foreach (var record in reader.ReadAsync(document, cancellationToken).ConfigureAwait(false))
            {
                records.Add(record);
            }

            return new SourceDocumentResult { SourceName = connection.SourceName, DocumentId = documentId, Format = reader.Format, Records = records };
        }
        catch (SourceReadException ex)
        {
            return Failed(documentId, ex);
        }
    }

    private SourceDocumentResult Failed(string documentId, SourceReadException error) =>
        new() { SourceName = connection.SourceName, DocumentId = documentId, Error = error };

    /// <summary>Downloads a file as a stream: to the checkpoint folder when there is one (renamed into place once complete), else to memory.</summary>
    private async Task<(byte[]? Content, string? Path)> DownloadAsync(Uri uri, bool authenticate, string? folder, string documentId, CancellationToken cancellationToken)
    {
        using var response = await connection.SendSuccessAsync(HttpMethod.Get, uri, "application/fhir+ndjson", cancellationToken, authenticate).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new SourceReadException(HealthRecordErrorCode.LimitExceeded, connection.SourceName, documentId, $"The file is larger than the limit of {maxBytes:N0} bytes.");
        }

        if (folder is null)
        {
            return (await connection.ReadBodyAsync(response, uri, maxBytes, cancellationToken).ConfigureAwait(false), null);
        }

        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, documentId);
        var temp = path + ".part";
        try
        {
            var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var target = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
                await using (target.ConfigureAwait(false))
                {
                    await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                    if (target.Length > maxBytes)
                    {
                        throw new SourceReadException(HealthRecordErrorCode.LimitExceeded, connection.SourceName, documentId, $"The file is larger than the limit of {maxBytes:N0} bytes.");
                    }
                }
            }
        }
        catch (Exception ex) when (FhirServerConnection.IsTransport(ex, cancellationToken))
        {
            File.Delete(temp);
            throw new SourceReadException(HealthRecordErrorCode.SourceUnavailable, connection.SourceName, documentId, "The download was cut off: " + ex.Message, ex);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        File.Move(temp, path, overwrite: true);
        return (null, path);
    }

    private async Task<List<SourceDocumentResult>> ReadErrorFileAsync(int index, BulkFile file, bool authenticate, CancellationToken cancellationToken)
    {
        var documentId = $"error-{index:000}.ndjson";
        var uri = new Uri(file.Url);
        byte[] body;
        try
        {
            using var response = await connection.SendSuccessAsync(HttpMethod.Get, uri, "application/fhir+ndjson", cancellationToken, authenticate).ConfigureAwait(false);
            body = Decompressed(await connection.ReadBodyAsync(response, uri, maxBytes, cancellationToken).ConfigureAwait(false));
        }
        catch (SourceReadException ex)
        {
            return [Failed(documentId, new SourceReadException(ex.Code, connection.SourceName, documentId, "The export's error file could not be read: " + ex.Reason, ex))];
        }

        var results = new List<SourceDocumentResult>();
        var line = 0;
        foreach (var text in System.Text.Encoding.UTF8.GetString(body).Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var location = $"{documentId} line {line}";
            foreach (var message in OutcomeMessages(text))
            {
                results.Add(Failed(location, new SourceReadException(HealthRecordErrorCode.SourceUnavailable, connection.SourceName, location, "The server reported an export error: " + FhirServerConnection.Cut(message))));
            }
        }

        return results;
    }

    private static IEnumerable<string> OutcomeMessages(string line)
    {
        List<string> messages = [];
        try
        {
            using var json = JsonDocument.Parse(line);
            if (json.RootElement.TryGetProperty("issue", out var issues) && issues.ValueKind == JsonValueKind.Array)
            {
                foreach (var issue in issues.EnumerateArray())
                {
                    var text = issue.TryGetProperty("diagnostics", out var d) ? d.GetString()
                        : issue.TryGetProperty("details", out var details) && details.TryGetProperty("text", out var t) ? t.GetString()
                        : issue.TryGetProperty("code", out var c) ? c.GetString() : null;
                    messages.Add(text ?? "an unspecified issue");
                }
            }
        }
        catch (JsonException)
        {
            messages.Add("an error line that is not JSON");
        }

        return messages.Count == 0 ? ["an OperationOutcome without issues"] : messages;
    }

    private static Stream OpenLocal(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 65536, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var b1 = stream.ReadByte();
        var b2 = stream.ReadByte();
        stream.Position = 0;
        return b1 == 0x1f && b2 == 0x8b ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }

    /// <summary>A file served as gzip bytes (not as a gzip Content-Encoding, which the handler undoes) is unpacked here.</summary>
    private byte[] Decompressed(byte[] content)
    {
        if (content.Length < 2 || content[0] != 0x1f || content[1] != 0x8b)
        {
            return content;
        }

        using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = gzip.Read(buffer)) > 0)
        {
            if (output.Length + read > maxBytes)
            {
                throw new SourceReadException(HealthRecordErrorCode.LimitExceeded, connection.SourceName, "gzip output file", $"The unpacked file is larger than the limit of {maxBytes:N0} bytes.");
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    private async Task DeleteJobAsync(Uri status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            using var response = await connection.SendAsync(HttpMethod.Delete, status, "application/json", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SourceReadException or OperationCanceledException or HttpRequestException)
        {
            Log.BulkDeleteFailed(logger, connection.SourceName, ex);
        }
    }
}
