using System.Security.Cryptography;
using HealthRecord.Sdk.FhirServer.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.Sdk.FhirServer.Tests.Configuration;

public class FhirServerSourceOptionsValidatorTests
{
    private static readonly FhirServerSourceOptionsValidator Validator = new();

    [Theory]
    [InlineData("https://fhir.hospital-a.example/r4", true)]
    [InlineData("http://127.0.0.1:8080/fhir", true)]
    [InlineData("http://localhost:8080/fhir", true)]
    [InlineData("http://[::1]:8080/fhir", true)]
    [InlineData("http://fhir.hospital-a.example/r4", false)]
    [InlineData("http://192.168.1.20/fhir", false)]
    [InlineData("ftp://fhir.example/r4", false)]
    public void Validate_BaseAddress_HttpsOrLoopbackHttpOnly(string address, bool valid)
    {
        var result = Validator.Validate(new FhirServerSourceOptions { BaseAddress = new Uri(address) });

        Assert.Equal(valid, result.IsValid);
    }

    [Fact]
    public void Validate_NamedSourceWithoutBaseAddress_Fails()
    {
        Assert.Contains(Validator.Validate(new FhirServerSourceOptions()).Errors, e => e.ErrorMessage.Contains("BaseAddress is required", StringComparison.Ordinal));
        Assert.True(new FhirServerSourceOptionsValidator(requireBaseAddress: false).Validate(new FhirServerSourceOptions()).IsValid);
    }

    [Fact]
    public void Validate_ClientIdWithoutKey_ReportsEveryProblemAtOnce()
    {
        var result = Validator.Validate(new FhirServerSourceOptions
        {
            BaseAddress = new Uri("http://fhir.example/r4"),
            ClientId = "aggregator",
            Scopes = "",
            PageSize = 0,
        });

        Assert.False(result.IsValid);
        var messages = string.Join("\n", result.Errors.Select(e => e.ErrorMessage));
        Assert.Contains("https", messages, StringComparison.Ordinal);
        Assert.Contains("private key", messages, StringComparison.Ordinal);
        Assert.Contains("Scopes", messages, StringComparison.Ordinal);
        Assert.Contains("Page Size", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeyWithoutClientId_Fails()
    {
        using var rsa = RSA.Create(2048);

        var result = Validator.Validate(new FhirServerSourceOptions { BaseAddress = new Uri("https://fhir.example/r4"), PrivateKeyPem = rsa.ExportPkcs8PrivateKeyPem() });

        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("no ClientId", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AlgorithmThatDoesNotFitTheKey_Fails()
    {
        using var rsa = RSA.Create(2048);

        var result = Validator.Validate(new FhirServerSourceOptions
        {
            BaseAddress = new Uri("https://fhir.example/r4"),
            ClientId = "c",
            SigningKey = new RsaSecurityKey(rsa),
            SigningAlgorithm = "ES384",
        });

        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("does not fit the key", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EcKeyOfAnotherCurve_Fails()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = Validator.Validate(new FhirServerSourceOptions { BaseAddress = new Uri("https://fhir.example/r4"), ClientId = "c", PrivateKeyPem = ec.ExportPkcs8PrivateKeyPem() });

        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("P-384", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_CompleteSmartClient_Passes()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var result = Validator.Validate(new FhirServerSourceOptions
        {
            BaseAddress = new Uri("https://fhir.example/r4"),
            ClientId = "c",
            PrivateKeyPem = ec.ExportPkcs8PrivateKeyPem(),
            KeyId = "k",
            Scopes = "system/*.rs",
        });

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
    }

    [Fact]
    public void Validate_NotAPem_Fails()
    {
        var result = Validator.Validate(new FhirServerSourceOptions { BaseAddress = new Uri("https://fhir.example/r4"), ClientId = "c", PrivateKeyPem = "not a key" });

        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains("PEM", StringComparison.Ordinal));
    }
}
