using System.Security.Cryptography;
using HealthRecord.Sdk.FhirServer.Authentication;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.Sdk.FhirServer.Tests.Authentication;

public class SmartClientAssertionTests
{
    private static readonly Uri TokenEndpoint = new("https://auth.hospital-a.example/oauth2/token");

    [Fact]
    public void Create_RsaKey_CarriesTheSmartClaimsAndSignsRs384()
    {
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "key-1" };
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

        var jwt = new JsonWebToken(SmartClientAssertion.Create("client-7", TokenEndpoint, key, SecurityAlgorithms.RsaSha384, TimeSpan.FromMinutes(4), clock));

        Assert.Equal("RS384", jwt.Alg);
        Assert.Equal("key-1", jwt.Kid);
        Assert.Equal("JWT", jwt.Typ);
        Assert.Equal("client-7", jwt.Issuer);
        Assert.Equal("client-7", jwt.Subject);
        Assert.Equal([TokenEndpoint.AbsoluteUri], jwt.Audiences);
        Assert.Equal(clock.GetUtcNow().UtcDateTime.AddMinutes(4), jwt.ValidTo);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
    }

    [Fact]
    public async Task Create_EcKey_SignsEs384AndVerifiesWithThePublicKey()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var key = new ECDsaSecurityKey(ec) { KeyId = "ec" };

        var token = SmartClientAssertion.Create("client-7", TokenEndpoint, key, SecurityAlgorithms.EcdsaSha384, TimeSpan.FromMinutes(5), TimeProvider.System);

        using var publicOnly = ECDsa.Create(ec.ExportParameters(false));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "client-7",
            ValidAudience = TokenEndpoint.AbsoluteUri,
            IssuerSigningKey = new ECDsaSecurityKey(publicOnly) { KeyId = "ec" },
            ValidAlgorithms = ["ES384"],
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("ES384", ((JsonWebToken)result.SecurityToken).Alg);
    }

    [Fact]
    public void Create_ManyAssertions_EachHasItsOwnJti()
    {
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa);

        var ids = Enumerable.Range(0, 500)
            .Select(_ => new JsonWebToken(SmartClientAssertion.Create("c", TokenEndpoint, key, SecurityAlgorithms.RsaSha384, TimeSpan.FromMinutes(1), TimeProvider.System)).Id)
            .ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(301)]
    public void Create_LifetimeOutsideSmartLimit_Throws(int seconds)
    {
        using var rsa = RSA.Create(2048);

        Assert.Throws<ArgumentOutOfRangeException>(() => SmartClientAssertion.Create("c", TokenEndpoint, new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha384, TimeSpan.FromSeconds(seconds), TimeProvider.System));
    }
}
