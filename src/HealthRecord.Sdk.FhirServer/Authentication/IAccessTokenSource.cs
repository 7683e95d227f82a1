namespace HealthRecord.Sdk.FhirServer.Authentication;

/// <summary>Where a connection's access tokens come from.</summary>
internal interface IAccessTokenSource
{
    /// <summary>A token, from the cache unless <paramref name="forceRefresh"/>; <see langword="null"/> when the source sends none.</summary>
    ValueTask<string?> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken);
}

/// <summary>No authentication (open servers, the sample test server without a client).</summary>
internal sealed class NoAccessToken : IAccessTokenSource
{
    public static readonly NoAccessToken Instance = new();

    public ValueTask<string?> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
}

/// <summary>The host's own token delegate.</summary>
internal sealed class DelegateAccessToken(Func<bool, CancellationToken, ValueTask<string>> provider) : IAccessTokenSource
{
    public async ValueTask<string?> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken) =>
        await provider(forceRefresh, cancellationToken).ConfigureAwait(false);
}
