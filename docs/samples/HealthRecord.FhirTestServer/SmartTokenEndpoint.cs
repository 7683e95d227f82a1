using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.FhirTestServer;

/// <summary>
/// The SMART Backend Services token endpoint (client credentials with a signed JWT client assertion) and the
/// check of the access tokens it issues.
/// </summary>
internal sealed class SmartTokenEndpoint(FhirTestServerOptions options, FaultSwitches faults)
{
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private readonly ConcurrentDictionary<string, (DateTimeOffset Expires, long Generation)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _usedJti = new(StringComparer.Ordinal);
    private readonly JsonWebKeySet? _keys = options.Client is { } c ? new JsonWebKeySet(c.JwksJson) : null;
    private int _issued;

    public bool Enabled => options.Client is not null;

    public int TokensIssued => Volatile.Read(ref _issued);

    /// <summary>Issues a token for a valid assertion, or says why not (an OAuth error code and description).</summary>
    public async Task<(string? Token, string? Error, string? Description)> IssueAsync(IFormCollection form, string tokenUrl)
    {
        if (options.Client is not { } client || _keys is null)
        {
            return (null, "unsupported_grant_type", "This server runs without authentication.");
        }

        if (form["grant_type"] != "client_credentials")
        {
            return (null, "unsupported_grant_type", "grant_type must be client_credentials.");
        }

        if (form["client_assertion_type"] != AssertionType || string.IsNullOrEmpty(form["client_assertion"]))
        {
            return (null, "invalid_request", $"client_assertion_type must be {AssertionType}, with a client_assertion.");
        }

        var now = options.TimeProvider.GetUtcNow();
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(form["client_assertion"].ToString(), new TokenValidationParameters
        {
            ValidIssuer = client.ClientId,
            ValidAudience = tokenUrl,
            IssuerSigningKeys = _keys.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha384, SecurityAlgorithms.EcdsaSha384],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (nbf, exp, _, _) => exp is { } e && e > now.UtcDateTime.AddSeconds(-30) && e <= now.UtcDateTime.AddMinutes(5).AddSeconds(30),
        }).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, "invalid_client", "The client assertion is not valid: " + result.Exception?.Message);
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (jwt.Subject != client.ClientId)
        {
            return (null, "invalid_client", "sub must equal the client id.");
        }

        if (!jwt.TryGetPayloadValue<string>("jti", out var jti) || string.IsNullOrEmpty(jti) || !_usedJti.TryAdd(jti, jwt.ValidTo))
        {
            return (null, "invalid_client", "jti is missing or was used before.");
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = (now + options.TokenLifetime, faults.TokenGeneration);
        Interlocked.Increment(ref _issued);
        return (token, null, null);
    }

    public bool IsValid(string? authorization)
    {
        if (!Enabled)
        {
            return true;
        }

        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return _tokens.TryGetValue(authorization[7..].Trim(), out var t)
            && t.Expires > options.TimeProvider.GetUtcNow()
            && t.Generation == faults.TokenGeneration;
    }
}
