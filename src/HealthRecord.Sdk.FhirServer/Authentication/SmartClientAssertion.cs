using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.Sdk.FhirServer.Authentication;

/// <summary>
/// The signed JWT a SMART Backend Services client authenticates with (RFC 7523 client assertion):
/// <c>iss</c> = <c>sub</c> = client id, <c>aud</c> = token endpoint, <c>exp</c> at most 5 minutes ahead, a unique <c>jti</c>,
/// signed RS384 or ES384 with the <c>kid</c> the server knows.
/// </summary>
internal static class SmartClientAssertion
{
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public static string Create(string clientId, Uri tokenEndpoint, SecurityKey key, string algorithm, TimeSpan lifetime, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(tokenEndpoint);
        ArgumentNullException.ThrowIfNull(key);
        if (lifetime <= TimeSpan.Zero || lifetime > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "A client assertion lives at most 5 minutes.");
        }

        var now = timeProvider.GetUtcNow().UtcDateTime;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = tokenEndpoint.AbsoluteUri,
            Expires = now + lifetime,
            IssuedAt = now,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = clientId,
                [JwtRegisteredClaimNames.Jti] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            },
            SigningCredentials = new SigningCredentials(key, algorithm),
            TokenType = "JWT",
        });
    }
}
