using System.Text.Json;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Configuration;
using HealthRecord.Sdk.FhirServer.Http;
using HealthRecord.Sdk.FhirServer.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.Sdk.FhirServer.Authentication;

/// <summary>
/// SMART Backend Services: OAuth 2.0 client credentials with a signed JWT client assertion. The access token is
/// cached until shortly before it expires, and fetched again when the server answers 401. Thread-safe.
/// </summary>
internal sealed class SmartBackendTokenProvider : IAccessTokenSource
{
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(30);
    private readonly string _sourceName;
    private readonly Uri _baseAddress;
    private readonly FhirServerSourceOptions _options;
    private readonly Func<HttpClient> _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AsymmetricSecurityKey _key;
    private readonly string _algorithm;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Uri? _tokenEndpoint;
    private string? _token;
    private DateTimeOffset _expires;

    public SmartBackendTokenProvider(string sourceName, Uri baseAddress, FhirServerSourceOptions options, Func<HttpClient> http, TimeProvider time, ILogger logger)
    {
        _sourceName = sourceName;
        _baseAddress = baseAddress;
        _options = options;
        _http = http;
        _time = time;
        _logger = logger;
        _tokenEndpoint = options.TokenEndpoint;
        if (!SigningKeys.TryCreate(options, out var key, out var algorithm, out var error))
        {
            throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, sourceName, baseAddress.AbsoluteUri, error ?? "SMART Backend Services needs the client's private key.");
        }

        _key = key!;
        _algorithm = algorithm!;
    }

    public async ValueTask<string?> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!forceRefresh && _token is not null && _time.GetUtcNow() < _expires - ExpiryMargin)
            {
                return _token;
            }

            _token = null;
            var endpoint = _tokenEndpoint ??= await DiscoverAsync(cancellationToken).ConfigureAwait(false);
            string body;
            for (var attempt = 0; ; attempt++)
            {
                // A new assertion (new jti) for every attempt: the HTTP pipeline does not re-send POSTs.
                var assertion = SmartClientAssertion.Create(_options.ClientId!, endpoint, _key, _algorithm, _options.AssertionLifetime, _time);
                using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["grant_type"] = "client_credentials",
                        ["scope"] = _options.Scopes,
                        ["client_assertion_type"] = SmartClientAssertion.AssertionType,
                        ["client_assertion"] = assertion,
                    }),
                };
                request.Headers.Accept.ParseAdd("application/json");
                using var response = await FhirServerConnection.SendRawAsync(_http(), request, _sourceName, endpoint.AbsoluteUri, cancellationToken).ConfigureAwait(false);
                body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    break;
                }

                var transient = (int)response.StatusCode is 429 or >= 500;
                if (!transient || attempt >= _options.MaxRetryAttempts)
                {
                    throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, _sourceName, endpoint.AbsoluteUri,
                        $"The token endpoint refused the client ({(int)response.StatusCode}): {FhirServerConnection.Cut(OAuthError(body))}");
                }

                var backoff = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks, _options.RetryBaseDelay.Ticks * (1L << Math.Min(attempt, 20))));
                await Task.Delay(FhirServerHttp.RetryAfter(response, _options.MaxRetryDelay) ?? backoff, _time, cancellationToken).ConfigureAwait(false);
            }

            using var json = ParseOrThrow(body, endpoint);
            if (!json.RootElement.TryGetProperty("access_token", out var token) || token.ValueKind != JsonValueKind.String)
            {
                throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, _sourceName, endpoint.AbsoluteUri, "The token response has no access_token.");
            }

            var expiresIn = json.RootElement.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) ? seconds : 300;
            _token = token.GetString();
            _expires = _time.GetUtcNow().AddSeconds(expiresIn);
            Log.TokenAcquired(_logger, _sourceName, expiresIn);
            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }

    private JsonDocument ParseOrThrow(string body, Uri endpoint)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, _sourceName, endpoint.AbsoluteUri, "The token response is not JSON.", ex);
        }
    }

    private static string OAuthError(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var error = json.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
            var description = json.RootElement.TryGetProperty("error_description", out var d) ? d.GetString() : null;
            return $"{error} {description}".Trim();
        }
        catch (JsonException)
        {
            return body;
        }
    }

    private async Task<Uri> DiscoverAsync(CancellationToken cancellationToken)
    {
        var wellKnown = new Uri(FhirServerConnection.WithSlash(_baseAddress), ".well-known/smart-configuration");
        using (var request = new HttpRequestMessage(HttpMethod.Get, wellKnown))
        {
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await FhirServerConnection.SendRawAsync(_http(), request, _sourceName, wellKnown.AbsoluteUri, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (TryEndpoint(body, static root => root.TryGetProperty("token_endpoint", out var t) ? t.GetString() : null) is { } found)
                {
                    return found;
                }
            }
        }

        var metadata = new Uri(FhirServerConnection.WithSlash(_baseAddress), "metadata");
        using (var request = new HttpRequestMessage(HttpMethod.Get, metadata))
        {
            request.Headers.Accept.ParseAdd("application/fhir+json");
            using var response = await FhirServerConnection.SendRawAsync(_http(), request, _sourceName, metadata.AbsoluteUri, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (TryEndpoint(body, CapabilityStatementTokenUri) is { } found)
                {
                    return found;
                }
            }
        }

        throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, _sourceName, _baseAddress.AbsoluteUri,
            "No token endpoint: set TokenEndpoint, or the server must publish .well-known/smart-configuration or the CapabilityStatement oauth-uris extension.");
    }

    private Uri? TryEndpoint(string body, Func<JsonElement, string?> read)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var text = read(json.RootElement);
            if (text is null || !Uri.TryCreate(text, UriKind.Absolute, out var uri))
            {
                return null;
            }

            return FhirServerSourceOptionsValidator.IsAllowedAddress(uri)
                ? uri
                : throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, _sourceName, text, "The advertised token endpoint is not https (plain http only for loopback).");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? CapabilityStatementTokenUri(JsonElement root)
    {
        if (!root.TryGetProperty("rest", out var rest) || rest.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var r in rest.EnumerateArray())
        {
            if (!r.TryGetProperty("security", out var security) || !security.TryGetProperty("extension", out var extensions))
            {
                continue;
            }

            foreach (var ext in extensions.EnumerateArray())
            {
                if (ext.TryGetProperty("url", out var url) && url.ValueEquals("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris")
                    && ext.TryGetProperty("extension", out var inner))
                {
                    foreach (var i in inner.EnumerateArray())
                    {
                        if (i.TryGetProperty("url", out var u) && u.ValueEquals("token") && i.TryGetProperty("valueUri", out var v))
                        {
                            return v.GetString();
                        }
                    }
                }
            }
        }

        return null;
    }
}
