using System.Net;
using FluentValidation;
using HealthRecord.Sdk.FhirServer.Authentication;

namespace HealthRecord.Sdk.FhirServer.Configuration;

/// <summary>
/// Validates <see cref="FhirServerSourceOptions"/>: an absolute <c>https</c> base URL (plain <c>http</c> only on a
/// loopback address), and for SMART Backend Services a client id, a private key, an algorithm that fits it, and scopes.
/// </summary>
public sealed class FhirServerSourceOptionsValidator : AbstractValidator<FhirServerSourceOptions>
{
    /// <summary>Creates the validator.</summary>
    /// <param name="requireBaseAddress">Whether a base address is required (named sources) or optional (the defaults for URL sources).</param>
    public FhirServerSourceOptionsValidator(bool requireBaseAddress = true)
    {
        if (requireBaseAddress)
        {
            RuleFor(o => o.BaseAddress).NotNull().WithMessage("BaseAddress is required: the server's FHIR base URL, e.g. https://fhir.example.org/r4.");
        }

        RuleFor(o => o.BaseAddress).Must(IsAllowedAddress!).When(o => o.BaseAddress is not null)
            .WithMessage("BaseAddress must be an absolute https URL (plain http only for loopback addresses such as 127.0.0.1).");
        RuleFor(o => o.TokenEndpoint).Must(IsAllowedAddress!).When(o => o.TokenEndpoint is not null)
            .WithMessage("TokenEndpoint must be an absolute https URL (plain http only for loopback addresses).");
        When(o => o.ClientId is not null && o.AccessTokenProvider is null, () =>
        {
            RuleFor(o => o.ClientId).NotEmpty().WithMessage("ClientId must not be empty.");
            RuleFor(o => o).Must(o => o.SigningKey is not null || !string.IsNullOrWhiteSpace(o.PrivateKeyPem))
                .WithName("PrivateKeyPem").WithMessage("SMART Backend Services needs the client's private key: set PrivateKeyPem or SigningKey.");
            RuleFor(o => o.Scopes).NotEmpty().WithMessage("Scopes must name at least one scope, e.g. system/*.read.");
            RuleFor(o => o).Must(o => SigningKeys.TryCreate(o, out _, out _, out var error) || error is null)
                .WithName("PrivateKeyPem").WithMessage(o => SigningKeys.TryCreate(o, out _, out _, out var error) ? "" : error!);
        });
        When(o => o.ClientId is null && o.AccessTokenProvider is null, () =>
            RuleFor(o => o).Must(o => o.SigningKey is null && o.PrivateKeyPem is null)
                .WithName("ClientId").WithMessage("A private key is set but no ClientId: SMART Backend Services needs both."));
        RuleFor(o => o.SigningAlgorithm).Must(a => a is null or "RS384" or "ES384").WithMessage("SigningAlgorithm must be RS384 or ES384.");
        RuleFor(o => o.AssertionLifetime).InclusiveBetween(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5)).WithMessage("AssertionLifetime must be between 10 seconds and 5 minutes (SMART's limit).");
        RuleFor(o => o.PageSize).InclusiveBetween(1, 1000);
        RuleFor(o => o.MaxRetryAttempts).InclusiveBetween(0, 20);
        RuleFor(o => o.RetryBaseDelay).GreaterThanOrEqualTo(TimeSpan.Zero);
        RuleFor(o => o.MaxRetryDelay).GreaterThanOrEqualTo(o => o.RetryBaseDelay).WithMessage("MaxRetryDelay must be at least RetryBaseDelay.");
        RuleFor(o => o.AttemptTimeout).GreaterThan(TimeSpan.Zero);
        RuleFor(o => o.CircuitBreakDuration).GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(500));
        RuleFor(o => o.BulkPollInterval).GreaterThanOrEqualTo(TimeSpan.Zero);
        RuleFor(o => o.BulkMaxPollInterval).GreaterThanOrEqualTo(o => o.BulkPollInterval).WithMessage("BulkMaxPollInterval must be at least BulkPollInterval.");
        RuleFor(o => o.BulkMaxWait).GreaterThan(TimeSpan.Zero);
        RuleFor(o => o.BulkFileAttempts).InclusiveBetween(1, 10);
        RuleForEach(o => o.ResourceTypes).Must(Hl7.Fhir.Model.ModelInfo.IsKnownResource).WithMessage("'{PropertyValue}' is not a FHIR R4 resource type.");
    }

    /// <summary>Whether an address may be used: absolute https, or http on a loopback address.</summary>
    /// <param name="address">The address.</param>
    /// <returns><see langword="true"/> when allowed.</returns>
    public static bool IsAllowedAddress(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri)
        {
            return false;
        }

        return address.Scheme == Uri.UriSchemeHttps
            || (address.Scheme == Uri.UriSchemeHttp && (address.IsLoopback || (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))));
    }
}
