using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.FhirTestServer;

/// <summary>Builds a JSON Web Key Set from a public key, for the token endpoint's client registration.</summary>
public static class Jwks
{
    /// <summary>A JWKS holding one PEM public key (RSA, or EC P-384).</summary>
    /// <param name="pem">The PEM text (<c>-----BEGIN PUBLIC KEY-----</c>).</param>
    /// <param name="keyId">The key id (<c>kid</c>); defaults to the key's thumbprint.</param>
    /// <returns>The JWKS JSON.</returns>
    public static string FromPublicKeyPem(string pem, string? keyId = null)
    {
        JsonWebKey jwk;
        if (IsEc(pem))
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ec));
        }
        else
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)));
        }

        jwk.Kid = keyId ?? Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
        return JsonSerializer.Serialize(new { keys = new[] { ToDictionary(jwk) } });
    }

    /// <summary>A JWKS holding the public part of a key.</summary>
    /// <param name="key">An RSA or ECDsa security key.</param>
    /// <returns>The JWKS JSON.</returns>
    public static string FromSecurityKey(AsymmetricSecurityKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var jwk = key switch
        {
            RsaSecurityKey rsa => JsonWebKeyConverter.ConvertFromRSASecurityKey(rsa.Rsa is { } r ? new RsaSecurityKey(r.ExportParameters(false)) { KeyId = rsa.KeyId } : rsa),
            ECDsaSecurityKey ec => JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ec),
            _ => throw new ArgumentException("RSA or ECDsa keys only.", nameof(key)),
        };
        jwk.Kid = key.KeyId ?? Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
        return JsonSerializer.Serialize(new { keys = new[] { ToDictionary(jwk) } });
    }

    private static Dictionary<string, string> ToDictionary(JsonWebKey jwk)
    {
        var d = new Dictionary<string, string> { ["kty"] = jwk.Kty, ["kid"] = jwk.Kid };
        if (jwk.Kty == "RSA")
        {
            d["n"] = jwk.N;
            d["e"] = jwk.E;
        }
        else
        {
            d["crv"] = jwk.Crv;
            d["x"] = jwk.X;
            d["y"] = jwk.Y;
        }

        return d;
    }

    private static bool IsEc(string pem)
    {
        using var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
    }
}
