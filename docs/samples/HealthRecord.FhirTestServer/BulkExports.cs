using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HealthRecord.FhirTestServer;

/// <summary>What a Bulk Data kick-off exports.</summary>
internal enum BulkScope
{
    System,
    Patient,
    Group,
}

/// <summary>
/// Bulk Data <c>$export</c> (FHIR Bulk Data Access 2.0): asynchronous kick-off, status polling with
/// <c>Retry-After</c> and <c>X-Progress</c>, a manifest of NDJSON output files (optionally gzip), an error file,
/// and DELETE. The group <c>all</c> holds every patient; Group resources in the data are served too.
/// </summary>
internal sealed partial class BulkExports(FhirTestServerOptions options, FhirDataStore data)
{
    private readonly ConcurrentDictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _deleted = new();

    public IReadOnlyCollection<string> Deleted => _deleted;

    public async Task KickOffAsync(HttpContext context, string baseUrl, BulkScope scope, string? groupId)
    {
        var q = context.Request.Query;
        if (!context.Request.Headers.TryGetValue("Prefer", out var prefer) || !prefer.ToString().Contains("respond-async", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 400;
            await FhirTestServer.WriteOutcomeAsync(context, "invalid", "Bulk Data kick-off needs the header 'Prefer: respond-async'.").ConfigureAwait(false);
            return;
        }

        if (q["_outputFormat"].ToString() is { Length: > 0 } format && format is not ("application/fhir+ndjson" or "application/ndjson" or "ndjson"))
        {
            context.Response.StatusCode = 400;
            await FhirTestServer.WriteOutcomeAsync(context, "not-supported", $"_outputFormat {format} is not supported.").ConfigureAwait(false);
            return;
        }

        IReadOnlyList<string>? patients = null;
        if (scope == BulkScope.Patient || (scope == BulkScope.Group && groupId == "all"))
        {
            patients = data.OfType("Patient").Select(p => p.Id).ToList();
        }
        else if (scope == BulkScope.Group)
        {
            if (data.Find("Group", groupId!) is not { } group)
            {
                context.Response.StatusCode = 404;
                await FhirTestServer.WriteOutcomeAsync(context, "not-found", $"Group/{groupId} is not known.").ConfigureAwait(false);
                return;
            }

            patients = group.References.Where(r => r.Reference.StartsWith("Patient/", StringComparison.Ordinal)).Select(r => r.Reference[8..]).Distinct(StringComparer.Ordinal).ToList();
        }

        var errors = new List<string>();
        HashSet<string>? types = null;
        if (q["_type"].ToString() is { Length: > 0 } typeList)
        {
            types = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in typeList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (TypeName().IsMatch(t))
                {
                    types.Add(t);
                }
                else
                {
                    errors.Add(JsonSerializer.Serialize(new
                    {
                        resourceType = "OperationOutcome",
                        issue = new[] { new { severity = "error", code = "not-supported", diagnostics = $"_type '{t}' is not a resource type; it was not exported." } },
                    }));
                }
            }
        }

        DateTimeOffset? since = q["_since"].ToString() is { Length: > 0 } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t2) ? t2 : null;
        IEnumerable<StoredResource> selected;
        if (patients is null)
        {
            selected = data.Types.Order(StringComparer.Ordinal).SelectMany(data.OfType);
        }
        else
        {
            var compartment = patients.SelectMany(data.Compartment).ToList();
            var seen = compartment.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
            var referenced = compartment.SelectMany(r => r.References).Select(x => data.Find(x.Reference))
                .Where(r => r is not null && r.Patients.Count == 0 && seen.Add(r.Key)).Select(r => r!);
            selected = compartment.Concat(referenced);
        }

        selected = selected.Where(r => (types is null || types.Contains(r.Type)) && (since is null || r.LastUpdated >= since));
        var files = new List<OutputFile>();
        foreach (var byType in selected.GroupBy(r => r.Type, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var n = 0;
            foreach (var chunk in byType.OrderBy(r => r.Id, StringComparer.Ordinal).Chunk(Math.Max(1, options.BulkResourcesPerFile)))
            {
                var content = Encoding.UTF8.GetBytes(string.Concat(chunk.Select(r => r.Json + "\n")));
                files.Add(new OutputFile(byType.Key, $"{byType.Key}.{n++:000}.ndjson", content, chunk.Length));
            }
        }

        var job = new Job(Guid.NewGuid().ToString("N"), $"{baseUrl}{context.Request.Path.Value![5..]}{context.Request.QueryString}", options.TimeProvider.GetUtcNow(), files,
            errors.Count == 0 ? null : Encoding.UTF8.GetBytes(string.Join('\n', errors) + "\n"));
        _jobs[job.Id] = job;
        context.Response.StatusCode = 202;
        context.Response.Headers.ContentLocation = $"{baseUrl}/bulkstatus/{job.Id}";
    }

    public async Task StatusAsync(HttpContext context, string baseUrl, string jobId)
    {
        if (!_jobs.TryGetValue(jobId, out var job) || job.Deleted)
        {
            context.Response.StatusCode = 404;
            await FhirTestServer.WriteOutcomeAsync(context, "not-found", "No such export (it may have been deleted).").ConfigureAwait(false);
            return;
        }

        var polls = Interlocked.Increment(ref job.Polls);
        if (polls <= options.BulkPollsBeforeComplete)
        {
            context.Response.StatusCode = 202;
            context.Response.Headers.RetryAfter = options.BulkRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["X-Progress"] = $"{100 * polls / (options.BulkPollsBeforeComplete + 1)}% done";
            return;
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers.Expires = options.TimeProvider.GetUtcNow().AddHours(1).ToString("R", CultureInfo.InvariantCulture);
        var manifest = new Dictionary<string, object>
        {
            ["transactionTime"] = job.TransactionTime.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            ["request"] = job.Request,
            ["requiresAccessToken"] = options.Client is not null,
            ["output"] = job.Files.Select(f => new Dictionary<string, object> { ["type"] = f.Type, ["url"] = $"{baseUrl}/bulkfiles/{job.Id}/{f.Name}", ["count"] = f.Count }).ToList(),
            ["error"] = job.Errors is null
                ? new List<Dictionary<string, object>>()
                : [new Dictionary<string, object> { ["type"] = "OperationOutcome", ["url"] = $"{baseUrl}/bulkfiles/{job.Id}/errors.ndjson" }],
        };
        await context.Response.WriteAsJsonAsync(manifest).ConfigureAwait(false);
    }

    public Task DeleteAsync(HttpContext context, string jobId)
    {
        if (!_jobs.TryGetValue(jobId, out var job) || job.Deleted)
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        }

        job.Deleted = true;
        _deleted.Enqueue(jobId);
        context.Response.StatusCode = 202;
        return Task.CompletedTask;
    }

    public async Task FileAsync(HttpContext context, string jobId, string name, FaultSwitches faults)
    {
        if (!_jobs.TryGetValue(jobId, out var job) || job.Deleted)
        {
            context.Response.StatusCode = 404;
            await FhirTestServer.WriteOutcomeAsync(context, "not-found", "No such export (it may have been deleted).").ConfigureAwait(false);
            return;
        }

        var content = name == "errors.ndjson" ? job.Errors : job.Files.FirstOrDefault(f => f.Name == name)?.Content;
        if (content is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = "application/fhir+ndjson";
        if (options.GzipBulkFiles && context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(content);
            }

            content = compressed.ToArray();
            context.Response.Headers.ContentEncoding = "gzip";
        }

        context.Response.ContentLength = content.Length;
        if (faults.Take(context.Request.Path.Value ?? "", FaultKind.TruncatedNdjson) is not null)
        {
            // Half the file, then the connection drops: the client must not take the file as complete.
            await context.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 2), context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            context.Abort();
            return;
        }

        await context.Response.Body.WriteAsync(content, context.RequestAborted).ConfigureAwait(false);
    }

    [GeneratedRegex("^[A-Z][A-Za-z]+$")]
    private static partial Regex TypeName();

    private sealed record OutputFile(string Type, string Name, byte[] Content, int Count);

    private sealed class Job(string id, string request, DateTimeOffset transactionTime, IReadOnlyList<OutputFile> files, byte[]? errors)
    {
        public int Polls;

        public string Id { get; } = id;

        public string Request { get; } = request;

        public DateTimeOffset TransactionTime { get; } = transactionTime;

        public IReadOnlyList<OutputFile> Files { get; } = files;

        public byte[]? Errors { get; } = errors;

        public bool Deleted { get; set; }
    }
}
