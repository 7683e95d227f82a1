using System.Security.Cryptography;
using HealthRecord.Sdk.FhirServer.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.Sdk.FhirServer.Authentication;

/// <summary>Turns the configured key (a <see cref="AsymmetricSecurityKey"/> or PEM text) into a signing key and its algorithm.</summary>
internal static class SigningKeys
{
    public static bool TryCreate(FhirServerSourceOptions options, out AsymmetricSecurityKey? key, out string? algorithm, out string? error)
    {
        key = options.SigningKey;
        algorithm = null;
        error = null;
        if (key is null && !string.IsNullOrWhiteSpace(options.PrivateKeyPem))
        {
            key = FromPem(options.PrivateKeyPem, out error);
            if (key is null)
            {
                return false;
            }
        }

        if (key is null)
        {
            return false;
        }

        if (options.KeyId is not null)
        {
            key.KeyId = options.KeyId;
        }

        var natural = key is ECDsaSecurityKey ? SecurityAlgorithms.EcdsaSha384 : SecurityAlgorithms.RsaSha384;
        algorithm = options.SigningAlgorithm ?? natural;
        if (algorithm != natural)
        {
            error = $"SigningAlgorithm {algorithm} does not fit the key ({(key is ECDsaSecurityKey ? "an EC key signs ES384" : "an RSA key signs RS384")}).";
            key = null;
            algorithm = null;
            return false;
        }

        if (key is ECDsaSecurityKey ec && ec.ECDsa.KeySize != 384)
        {
            error = $"ES384 needs an EC P-384 key; this key has {ec.ECDsa.KeySize} bits.";
            key = null;
            algorithm = null;
            return false;
        }

        if (key.PrivateKeyStatus == PrivateKeyStatus.DoesNotExist)
        {
            error = "The key has no private part; the client signs its assertion with its private key.";
            key = null;
            algorithm = null;
            return false;
        }

        return true;
    }

    private static AsymmetricSecurityKey? FromPem(string pem, out string? error)
    {
        error = null;
        try
        {
            if (pem.Contains("EC PRIVATE KEY", StringComparison.Ordinal) || IsEc(pem))
            {
                var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                return new ECDsaSecurityKey(ec);
            }

            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            error = "PrivateKeyPem is not a PEM RSA or EC private key: " + ex.Message;
            return null;
        }
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
