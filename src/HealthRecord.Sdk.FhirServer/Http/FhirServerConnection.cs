using System.Net;
using System.Text.Json;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Authentication;
using HealthRecord.Sdk.FhirServer.Telemetry;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace HealthRecord.Sdk.FhirServer.Http;

/// <summary>
/// One source's HTTP conversation with its server: adds the access token (fetching a new one once on 401),
/// keeps requests on the server's own origin, and turns what retries could not fix into
/// <see cref="SourceReadException"/>s naming the source. Retries, the circuit breaker and timeouts live in the
/// <see cref="HttpClient"/>'s resilience handler.
/// </summary>
internal sealed class FhirServerConnection(string sourceName, Uri baseAddress, HttpClient http, IAccessTokenSource tokens, ILogger logger)
{
    /// <summary>Marks a <see cref="SourceReadException"/> raised because a response body stopped half-way (worth asking again).</summary>
    public const string CutOffKey = "healthrecord.cut-off";

    public string SourceName { get; } = sourceName;

    public static bool IsCutOff(SourceReadException ex) => ex.Data.Contains(CutOffKey);

    public Uri BaseAddress { get; } = baseAddress;

    public Uri Resolve(string relative) => new(WithSlash(BaseAddress), relative);

    /// <summary>Sends a request with the access token; on 401 fetches a new token and sends it once more.</summary>
    /// <remarks>
    /// Without <paramref name="authenticate"/> (Bulk Data files whose manifest says no token is needed, often on
    /// another host) no token is sent, and any https address (http on loopback) may be fetched.
    /// </remarks>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, string accept, CancellationToken cancellationToken, Action<HttpRequestMessage>? configure = null, bool authenticate = true)
    {
        if (!authenticate)
        {
            if (!Configuration.FhirServerSourceOptionsValidator.IsAllowedAddress(uri))
            {
                throw new SourceReadException(HealthRecordErrorCode.HostileContent, SourceName, Describe(uri), "The server sent a link that is not https; it is not followed.");
            }

            return await SendOnceAsync(method, uri, accept, null, configure, cancellationToken).ConfigureAwait(false);
        }

        if (!SameOrigin(uri, BaseAddress))
        {
            throw new SourceReadException(HealthRecordErrorCode.HostileContent, SourceName, uri.GetLeftPart(UriPartial.Path),
                "The server sent a link to another origin; it is not followed (the access token stays with its server).");
        }

        var token = await tokens.GetTokenAsync(forceRefresh: false, cancellationToken).ConfigureAwait(false);
        var response = await SendOnceAsync(method, uri, accept, token, configure, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized && token is not null)
        {
            response.Dispose();
            Log.TokenRejected(logger, SourceName);
            token = await tokens.GetTokenAsync(forceRefresh: true, cancellationToken).ConfigureAwait(false);
            response = await SendOnceAsync(method, uri, accept, token, configure, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    /// <summary>Sends, and fails with a <see cref="SourceReadException"/> unless the answer is a success.</summary>
    public async Task<HttpResponseMessage> SendSuccessAsync(HttpMethod method, Uri uri, string accept, CancellationToken cancellationToken, bool authenticate = true)
    {
        var response = await SendAsync(method, uri, accept, cancellationToken, authenticate: authenticate).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await FailureAsync(response, uri, cancellationToken).ConfigureAwait(false);
            }
        }

        return response;
    }

    /// <summary>Reads a whole response body, refusing more than <paramref name="maxBytes"/>.</summary>
    public async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, Uri uri, long maxBytes, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new SourceReadException(HealthRecordErrorCode.LimitExceeded, SourceName, Describe(uri), $"The response is larger than the limit of {maxBytes:N0} bytes.");
        }

        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                int read;
                while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > maxBytes)
                    {
                        throw new SourceReadException(HealthRecordErrorCode.LimitExceeded, SourceName, Describe(uri), $"The response is larger than the limit of {maxBytes:N0} bytes.");
                    }

                    buffer.Write(chunk, 0, read);
                }

                return buffer.ToArray();
            }
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken))
        {
            var error = new SourceReadException(HealthRecordErrorCode.SourceUnavailable, SourceName, Describe(uri), "The response was cut off: " + ex.Message, ex);
            error.Data[CutOffKey] = true;
            throw error;
        }
    }

    public async Task<SourceReadException> FailureAsync(HttpResponseMessage response, Uri uri, CancellationToken cancellationToken)
    {
        string detail;
        try
        {
            detail = OutcomeText(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken))
        {
            detail = "";
        }

        var status = (int)response.StatusCode;
        var code = response.StatusCode switch
        {
            HttpStatusCode.NotFound or HttpStatusCode.Gone => HealthRecordErrorCode.SourceNotFound,
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => HealthRecordErrorCode.InvalidConfiguration,
            _ => HealthRecordErrorCode.SourceUnavailable,
        };
        var what = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => "the server refused the access token",
            HttpStatusCode.Forbidden => "the client may not read this (scopes?)",
            HttpStatusCode.TooManyRequests => "the server kept rate-limiting after every retry",
            _ when status >= 500 => "the server kept failing after every retry",
            _ => "the server refused the request",
        };
        return new SourceReadException(code, SourceName, Describe(uri), $"HTTP {status}: {what}{(detail.Length > 0 ? $" ({Cut(detail)})" : "")}.");
    }

    /// <summary>Sends through the resilient client, turning transport failures into <see cref="SourceReadException"/>s.</summary>
    public static async Task<HttpResponseMessage> SendRawAsync(HttpClient http, HttpRequestMessage request, string sourceName, string location, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.SourceUnavailable, sourceName, Describe(request.RequestUri!),
                "The server failed too often; the circuit breaker stopped sending requests for a while.", ex);
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken))
        {
            throw new SourceReadException(HealthRecordErrorCode.SourceUnavailable, sourceName, Describe(request.RequestUri ?? new Uri(location)),
                ex is TimeoutRejectedException or TaskCanceledException ? "The server did not answer in time, after every retry." : "The server could not be reached: " + ex.Message, ex);
        }
    }

    public static bool IsTransport(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or IOException or InvalidDataException or TimeoutRejectedException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    public static Uri WithSlash(Uri baseAddress) =>
        baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");

    /// <summary>A URL as it may appear in issues and logs: path only (queries may hold patient ids).</summary>
    public static string Describe(Uri uri) => uri.IsAbsoluteUri ? uri.GetLeftPart(UriPartial.Path) : uri.OriginalString.Split('?')[0];

    public static string Cut(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, Uri uri, string accept, string? token, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Accept.ParseAdd(accept);
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        configure?.Invoke(request);
        return await SendRawAsync(http, request, SourceName, uri.AbsoluteUri, cancellationToken).ConfigureAwait(false);
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static string OutcomeText(string body)
    {
        if (body.Length == 0)
        {
            return "";
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("issue", out var issues) && issues.ValueKind == JsonValueKind.Array)
            {
                return string.Join("; ", issues.EnumerateArray().Select(i =>
                    i.TryGetProperty("diagnostics", out var d) ? d.GetString() : i.TryGetProperty("code", out var c) ? c.GetString() : null).Where(s => s is not null));
            }
        }
        catch (JsonException)
        {
        }

        return "";
    }
}
