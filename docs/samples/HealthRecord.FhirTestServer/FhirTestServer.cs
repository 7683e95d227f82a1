using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace HealthRecord.FhirTestServer;

/// <summary>
/// A small FHIR R4 server over a folder of FHIR data, on Kestrel bound to 127.0.0.1: CapabilityStatement,
/// search with paging, <c>Patient/{id}/$everything</c>, Bulk Data <c>$export</c>, a SMART Backend Services
/// token endpoint, and switchable faults. For tests and for trying the FHIR server source without a vendor sandbox.
/// </summary>
/// <remarks>Not a conformant FHIR server: it serves what the HealthRecord.Sdk FHIR source asks, the way real servers answer.</remarks>
public sealed class FhirTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FhirTestServerOptions _options;
    private readonly FhirDataStore _data;
    private readonly SmartTokenEndpoint _tokens;
    private readonly BulkExports _exports;
    private readonly ConcurrentQueue<string> _requests = new();

    private FhirTestServer(WebApplication app, FhirTestServerOptions options, FhirDataStore data, FaultSwitches faults, SmartTokenEndpoint tokens, BulkExports exports)
    {
        _app = app;
        Faults = faults;
        _options = options;
        _data = data;
        _tokens = tokens;
        _exports = exports;
    }

    /// <summary>The FHIR base URL, e.g. <c>http://127.0.0.1:5123/fhir</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The token endpoint.</summary>
    public Uri TokenUri => new(BaseUri + "/auth/token");

    /// <summary>The fault switches (change them while the server runs).</summary>
    public FaultSwitches Faults { get; }

    /// <summary>The options (some may be changed while the server runs, e.g. <see cref="FhirTestServerOptions.SupportsEverything"/>).</summary>
    public FhirTestServerOptions Options => _options;

    /// <summary>Every request received, as <c>METHOD /path?query</c>, in arrival order.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <summary>Access tokens issued.</summary>
    public int TokensIssued => _tokens.TokensIssued;

    /// <summary>Bulk export jobs deleted by their clients.</summary>
    public IReadOnlyCollection<string> DeletedExports => _exports.Deleted;

    /// <summary>Resources loaded.</summary>
    public int ResourceCount => _data.Count;

    /// <summary>Sets a resource's <c>meta.lastUpdated</c> (as if it had changed) for <c>_since</c> reads.</summary>
    /// <param name="type">The resource type.</param>
    /// <param name="id">The id.</param>
    /// <param name="lastUpdated">The new time.</param>
    /// <returns>Whether the resource exists.</returns>
    public bool Touch(string type, string id, DateTimeOffset lastUpdated)
    {
        if (_data.Find(type, id) is not { } r)
        {
            return false;
        }

        r.LastUpdated = lastUpdated;
        return true;
    }

    /// <summary>Loads the data and starts listening on 127.0.0.1.</summary>
    /// <param name="options">The options.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    public static async Task<FhirTestServer> StartAsync(FhirTestServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = new FhirDataStore(options.DataPaths, options.DefaultLastUpdated);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var faults = new FaultSwitches();
        var server = new FhirTestServer(app, options, data, faults, new SmartTokenEndpoint(options, faults), new BulkExports(options, data));
        server.Map();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address.TrimEnd('/') + "/fhir");
        return server;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Runs until the host is stopped (Ctrl+C).</summary>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>A task that completes when the server stops.</returns>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    private void Map()
    {
        _app.Use(async (context, next) =>
        {
            var pathAndQuery = context.Request.Path + context.Request.QueryString;
            _requests.Enqueue($"{context.Request.Method} {pathAndQuery}");
            if (Faults.Take(pathAndQuery, FaultKind.Slow) is { } slow)
            {
                await Task.Delay(slow.Delay, context.RequestAborted).ConfigureAwait(false);
            }

            if (Faults.Take(pathAndQuery, FaultKind.TooManyRequests, FaultKind.ServerError, FaultKind.ServiceUnavailable) is { } fault)
            {
                context.Response.StatusCode = (int)FaultSwitches.StatusOf(fault.Kind);
                if (fault.Kind != FaultKind.ServerError)
                {
                    context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                }

                await WriteOutcomeAsync(context, "transient", $"Injected fault: {fault.Kind}.").ConfigureAwait(false);
                return;
            }

            var path = context.Request.Path.Value ?? "";
            var open = path.EndsWith("/metadata", StringComparison.Ordinal) || path.EndsWith("/auth/token", StringComparison.Ordinal)
                || path.EndsWith("/.well-known/smart-configuration", StringComparison.Ordinal);
            if (!open && !_tokens.IsValid(context.Request.Headers.Authorization))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                await WriteOutcomeAsync(context, "login", "A valid access token is required.").ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });

        var fhir = _app.MapGroup("/fhir");
        fhir.MapGet("/metadata", WriteCapabilityStatementAsync);
        fhir.MapGet("/.well-known/smart-configuration", (HttpContext c) => Results.Json(new Dictionary<string, object>
        {
            ["token_endpoint"] = BaseOf(c) + "/auth/token",
            ["token_endpoint_auth_methods_supported"] = new[] { "private_key_jwt" },
            ["token_endpoint_auth_signing_alg_values_supported"] = new[] { "RS384", "ES384" },
            ["grant_types_supported"] = new[] { "client_credentials" },
            ["scopes_supported"] = new[] { "system/*.read", "system/*.rs" },
        }));
        fhir.MapPost("/auth/token", IssueTokenAsync);
        fhir.MapGet("/$export", c => _exports.KickOffAsync(c, BaseOf(c), BulkScope.System, null));
        fhir.MapGet("/Patient/$export", c => _exports.KickOffAsync(c, BaseOf(c), BulkScope.Patient, null));
        fhir.MapGet("/Group/{id}/$export", (HttpContext c, string id) => _exports.KickOffAsync(c, BaseOf(c), BulkScope.Group, id));
        fhir.MapGet("/bulkstatus/{job}", (HttpContext c, string job) => _exports.StatusAsync(c, BaseOf(c), job));
        fhir.MapDelete("/bulkstatus/{job}", (HttpContext c, string job) => _exports.DeleteAsync(c, job));
        fhir.MapGet("/bulkfiles/{job}/{file}", (HttpContext c, string job, string file) => _exports.FileAsync(c, job, file, Faults));
        fhir.MapGet("/Patient/{id}/$everything", (HttpContext c, string id) => EverythingAsync(c, id));
        fhir.MapGet("/{type}/{id}", (HttpContext c, string type, string id) => ReadAsync(c, type, id));
        fhir.MapGet("/{type}", (HttpContext c, string type) => SearchAsync(c, type));
    }

    internal static string BaseOf(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}/fhir";

    private async Task IssueTokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var (token, error, description) = await _tokens.IssueAsync(form, BaseOf(context) + "/auth/token").ConfigureAwait(false);
        if (token is null)
        {
            context.Response.StatusCode = error == "invalid_client" ? 401 : 400;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = error!, ["error_description"] = description! }).ConfigureAwait(false);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["access_token"] = token,
            ["token_type"] = "bearer",
            ["expires_in"] = (int)_options.TokenLifetime.TotalSeconds,
            ["scope"] = form["scope"].ToString(),
        }).ConfigureAwait(false);
    }

    private async Task WriteCapabilityStatementAsync(HttpContext context)
    {
        var baseUrl = BaseOf(context);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "CapabilityStatement");
            w.WriteString("status", "active");
            w.WriteString("date", "2024-01-01");
            w.WriteString("kind", "instance");
            w.WriteString("fhirVersion", "4.0.1");
            w.WriteStartArray("format");
            w.WriteStringValue("application/fhir+json");
            w.WriteEndArray();
            w.WriteStartObject("implementation");
            w.WriteString("description", "HealthRecord.Sdk sample FHIR R4 test server");
            w.WriteString("url", baseUrl);
            w.WriteEndObject();
            w.WriteStartArray("rest");
            w.WriteStartObject();
            w.WriteString("mode", "server");
            if (_tokens.Enabled)
            {
                w.WriteStartObject("security");
                w.WriteStartArray("extension");
                w.WriteStartObject();
                w.WriteString("url", "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
                w.WriteStartArray("extension");
                w.WriteStartObject();
                w.WriteString("url", "token");
                w.WriteString("valueUri", baseUrl + "/auth/token");
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteStartArray("resource");
            foreach (var type in _data.Types.Append("Patient").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteStartArray("interaction");
                foreach (var code in new[] { "read", "search-type" })
                {
                    w.WriteStartObject();
                    w.WriteString("code", code);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("searchParam");
                foreach (var p in type == "Patient" ? new[] { "_id", "identifier", "_lastUpdated" } : new[] { "_id", "patient", "_lastUpdated" })
                {
                    w.WriteStartObject();
                    w.WriteString("name", p);
                    w.WriteString("type", p == "patient" ? "reference" : p == "_lastUpdated" ? "date" : "token");
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                if (type == "Patient")
                {
                    w.WriteStartArray("operation");
                    if (_options.SupportsEverything)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", "everything");
                        w.WriteString("definition", "http://hl7.org/fhir/OperationDefinition/Patient-everything");
                        w.WriteEndObject();
                    }

                    w.WriteStartObject();
                    w.WriteString("name", "export");
                    w.WriteString("definition", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export");
                    w.WriteEndObject();
                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("operation");
            w.WriteStartObject();
            w.WriteString("name", "export");
            w.WriteString("definition", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        context.Response.ContentType = "application/fhir+json";
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task ReadAsync(HttpContext context, string type, string id)
    {
        if (_data.Find(type, id) is not { } r)
        {
            context.Response.StatusCode = 404;
            await WriteOutcomeAsync(context, "not-found", $"{type}/{id} is not known.").ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "application/fhir+json";
        await context.Response.WriteAsync(r.Json, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task SearchAsync(HttpContext context, string type)
    {
        var q = context.Request.Query;
        IEnumerable<StoredResource> matches;
        if (q.TryGetValue("patient", out var patient) || q.TryGetValue("subject", out patient))
        {
            var id = patient.ToString();
            id = id.StartsWith("Patient/", StringComparison.Ordinal) ? id[8..] : id;
            matches = _data.Compartment(id).Where(r => r.Type == type);
        }
        else
        {
            matches = _data.OfType(type);
        }

        if (q.TryGetValue("_id", out var ids))
        {
            var set = ids.ToString().Split(',').ToHashSet(StringComparer.Ordinal);
            matches = matches.Where(r => set.Contains(r.Id));
        }

        if (q.TryGetValue("identifier", out var identifier))
        {
            var needle = identifier.ToString().Split('|').Last();
            matches = matches.Where(r => r.Json.Contains($"\"value\":\"{needle}\"", StringComparison.Ordinal));
        }

        matches = FilterSince(matches, q);
        await WritePageAsync(context, matches.ToList(), q["_include"].Where(i => i is not null).Select(i => i!).ToArray()).ConfigureAwait(false);
    }

    private async Task EverythingAsync(HttpContext context, string id)
    {
        if (!_options.SupportsEverything)
        {
            context.Response.StatusCode = 400;
            await WriteOutcomeAsync(context, "not-supported", "$everything is not supported by this server.").ConfigureAwait(false);
            return;
        }

        if (_data.Find("Patient", id) is null)
        {
            context.Response.StatusCode = 404;
            await WriteOutcomeAsync(context, "not-found", $"Patient/{id} is not known.").ConfigureAwait(false);
            return;
        }

        var compartment = FilterSince(_data.Compartment(id), context.Request.Query).ToList();
        if (context.Request.Query.TryGetValue("_type", out var types))
        {
            var set = types.ToString().Split(',').ToHashSet(StringComparer.Ordinal);
            compartment = compartment.Where(r => set.Contains(r.Type)).ToList();
        }

        // $everything also returns what the compartment references (practitioners, organisations, medications, locations).
        var seen = compartment.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var referenced = compartment.SelectMany(r => r.References).Select(x => _data.Find(x.Reference))
            .Where(r => r is not null && r.Patients.Count == 0 && seen.Add(r.Key)).Select(r => r!)
            .OrderBy(r => r.Key, StringComparer.Ordinal);
        await WritePageAsync(context, compartment.Concat(referenced).ToList(), []).ConfigureAwait(false);
    }

    private static IEnumerable<StoredResource> FilterSince(IEnumerable<StoredResource> matches, IQueryCollection q)
    {
        var since = q["_since"].ToString();
        var lastUpdated = q["_lastUpdated"].ToString();
        if (since.Length == 0 && lastUpdated.Length > 2 && (lastUpdated.StartsWith("ge", StringComparison.Ordinal) || lastUpdated.StartsWith("gt", StringComparison.Ordinal)))
        {
            since = lastUpdated[2..];
        }

        return since.Length > 0 && DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? matches.Where(r => r.LastUpdated >= t)
            : matches;
    }

    private async Task WritePageAsync(HttpContext context, List<StoredResource> all, string[] includes)
    {
        var q = context.Request.Query;
        var count = int.TryParse(q["_count"], CultureInfo.InvariantCulture, out var c) && c > 0 ? Math.Min(c, _options.MaxPageSize) : _options.DefaultPageSize;
        var offset = int.TryParse(q["_offset"], CultureInfo.InvariantCulture, out var o) && o > 0 ? o : 0;
        var page = all.Skip(offset).Take(count).ToList();
        var included = new List<StoredResource>();
        if (includes.Length > 0)
        {
            var seen = page.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var r in page)
            {
                foreach (var (element, reference) in r.References)
                {
                    if (includes.Any(i => Includes(i, r.Type, element)) && _data.Find(reference) is { } target && seen.Add(target.Key))
                    {
                        included.Add(target);
                    }
                }
            }
        }

        var baseUrl = BaseOf(context);
        var self = baseUrl + context.Request.Path.Value![5..] + context.Request.QueryString;
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Bundle");
            w.WriteString("type", "searchset");
            w.WriteNumber("total", all.Count);
            w.WriteStartArray("link");
            WriteLink(w, "self", self);
            if (offset + count < all.Count)
            {
                var next = QueryString.Create(q.Where(kv => kv.Key != "_offset").SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v)))
                    .Append(new("_offset", (offset + count).ToString(CultureInfo.InvariantCulture))));
                WriteLink(w, "next", baseUrl + context.Request.Path.Value![5..] + next);
            }

            w.WriteEndArray();
            w.WriteStartArray("entry");
            foreach (var (r, mode) in page.Select(r => (r, "match")).Concat(included.Select(r => (r, "include"))))
            {
                w.WriteStartObject();
                w.WriteString("fullUrl", $"{baseUrl}/{r.Type}/{r.Id}");
                w.WritePropertyName("resource");
                w.WriteRawValue(r.Json, skipInputValidation: true);
                w.WriteStartObject("search");
                w.WriteString("mode", mode);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        context.Response.ContentType = "application/fhir+json";
        context.Response.ContentLength = buffer.Length;
        if (Faults.Take(context.Request.Path + context.Request.QueryString, FaultKind.TruncatedPage) is not null)
        {
            await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length / 2), context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            context.Abort();
            return;
        }

        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }

    // _include=Type:param, with the search parameters' element names where they differ.
    private static bool Includes(string include, string type, string element)
    {
        var parts = include.Split(':');
        if (parts.Length < 2 || (parts[0] != type && parts[0] != "*"))
        {
            return false;
        }

        var param = parts[1];
        return param == "*" || param == element || param switch
        {
            "medication" => element == "medicationReference",
            "service-provider" => element == "serviceProvider",
            "practitioner" or "participant" => element is "participant" or "performer",
            "organization" => element is "managingOrganization" or "organization",
            "general-practitioner" => element == "generalPractitioner",
            _ => false,
        };
    }

    private static void WriteLink(Utf8JsonWriter w, string relation, string url)
    {
        w.WriteStartObject();
        w.WriteString("relation", relation);
        w.WriteString("url", url);
        w.WriteEndObject();
    }

    internal static async Task WriteOutcomeAsync(HttpContext context, string code, string message)
    {
        context.Response.ContentType = "application/fhir+json";
        var json = JsonSerializer.Serialize(new
        {
            resourceType = "OperationOutcome",
            issue = new[] { new { severity = "error", code, diagnostics = message } },
        });
        await context.Response.WriteAsync(json, Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }
}
