using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Authentication;
using HealthRecord.Sdk.FhirServer.Sources;
using HealthRecord.Sdk.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthRecord.Sdk.FhirServer.Tests.Authentication;

/// <summary>SMART Backend Services against the test server's token endpoint: assertion checked against the registered JWKS, token cached, refreshed on 401.</summary>
public class SmartBackendServicesTests
{
    [Fact]
    public async Task ReadAsync_RsaClient_AuthenticatesOnceAndReusesTheToken()
    {
        var client = FhirServerTestKit.RsaClient();
        await using var server = await FhirServerTestKit.StartAsync(o => o.Client = client.Registration);
        using var host = FhirServerTestKit.Host(server, o =>
        {
            o.ClientId = "aggregator";
            o.PrivateKeyPem = client.Pem;
            o.KeyId = "rsa-1";
        });

        var first = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));
        var second = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));

        Assert.Equal(FhirServerTestKit.Keys(first).Count, FhirServerTestKit.Keys(second).Count);
        Assert.NotEmpty(FhirServerTestKit.Keys(first));
        Assert.Equal(1, server.TokensIssued);
        Assert.Contains(server.Requests, r => r.Contains(".well-known/smart-configuration", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadAsync_EcClientWithBulkExport_Authenticates()
    {
        var client = FhirServerTestKit.EcClient();
        await using var server = await FhirServerTestKit.StartAsync(o => o.Client = client.Registration);
        using var host = FhirServerTestKit.Host(server, o =>
        {
            o.ClientId = "aggregator";
            o.SigningKey = client.Key;
            o.TokenEndpoint = server.TokenUri;
        });

        var documents = await FhirServerTestKit.ReadAllAsync(host, $"{server.BaseUri}/Patient/$export?_type=Patient,Condition");

        Assert.Equal(7, FhirServerTestKit.Keys(documents).Count);
        Assert.Equal(1, server.TokensIssued);
    }

    [Fact]
    public async Task ReadAsync_TokenExpiresMidway_IsRefreshedOn401()
    {
        var client = FhirServerTestKit.RsaClient();
        await using var server = await FhirServerTestKit.StartAsync(o => o.Client = client.Registration);
        using var host = FhirServerTestKit.Host(server, o =>
        {
            o.ClientId = "aggregator";
            o.SigningKey = client.Key;
            o.PageSize = 20;
        });
        var adapter = host.GetRequiredService<FhirServerSourceAdapter>();

        var pages = 0;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var d in adapter.ReadAsync(new Sdk.Sources.SourceRequest("hospital-a", FhirServerTestKit.PatientUrl(server))))
        {
            if (++pages == 2)
            {
                server.Faults.ExpireAllTokens();
            }

            keys.UnionWith(d.Records.Select(r => r.SourceReference));
        }

        Assert.Equal((await FhirServerTestKit.FileKeysAsync(FhirServerTestKit.SampleBundle)).Count, keys.Count);
        Assert.Equal(2, server.TokensIssued);
        Assert.Equal(FhirServerSyncStatus.Complete, host.GetRequiredService<FhirServerSyncStates>().Get("hospital-a")!.Status);
    }

    [Fact]
    public async Task ReadAsync_TokenEndpointBusy_IsAskedAgainWithAFreshAssertion()
    {
        var client = FhirServerTestKit.RsaClient();
        await using var server = await FhirServerTestKit.StartAsync(o => o.Client = client.Registration);
        server.Faults.Add(FhirTestServer.FaultKind.ServiceUnavailable, times: 2, pathContains: "/auth/token");
        using var host = FhirServerTestKit.Host(server, o =>
        {
            o.ClientId = "aggregator";
            o.SigningKey = client.Key;
        });

        var documents = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));

        Assert.NotEmpty(FhirServerTestKit.Keys(documents));
        Assert.Equal(3, server.Count("POST /fhir/auth/token"));
        Assert.Equal(1, server.TokensIssued);
    }

    [Fact]
    public async Task ReadAsync_TokenShorterThanTheRead_IsFetchedAgainBeforeItExpires()
    {
        var client = FhirServerTestKit.RsaClient();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await FhirServerTestKit.StartAsync(o =>
        {
            o.Client = client.Registration;
            o.TokenLifetime = TimeSpan.FromMinutes(5);
            o.TimeProvider = clock;
        });
        using var host = Sdk.TestSupport.TestHost.Create(hr =>
        {
            hr.Services.AddSingleton<TimeProvider>(clock);
            hr.AddFhirServerSource("hospital-a", o =>
            {
                o.BaseAddress = server.BaseUri;
                FhirServerTestKit.Fast(o);
                o.ClientId = "aggregator";
                o.SigningKey = client.Key;
            });
        });

        await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));
        clock.Advance(TimeSpan.FromMinutes(4.9));
        await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));

        Assert.Equal(2, server.TokensIssued);
    }

    [Fact]
    public async Task AggregateAsync_UnregisteredKey_IsReportedAsAConfigurationError()
    {
        var registered = FhirServerTestKit.RsaClient();
        var other = FhirServerTestKit.RsaClient();
        await using var server = await FhirServerTestKit.StartAsync(o => o.Client = registered.Registration);
        using var host = FhirServerTestKit.Host(server, o =>
        {
            o.ClientId = "aggregator";
            o.SigningKey = other.Key;
        });

        var result = await FhirServerTestKit.AggregateAsync(host, FhirServerTestKit.PatientUrl(server));

        var issue = Assert.Single(result.Issues, i => i.Severity == IssueSeverity.Error);
        Assert.Equal(HealthRecordErrorCode.InvalidConfiguration, issue.Code);
        Assert.Contains("token endpoint refused", issue.Message, StringComparison.Ordinal);
        Assert.Empty(result.Ehrs);
    }

    [Fact]
    public async Task ReadAsync_NoToken_ServerAnswers401AndTheReadFails()
    {
        var client = FhirServerTestKit.RsaClient();
        await using var server = await FhirServerTestKit.StartAsync(o => o.Client = client.Registration);
        using var host = FhirServerTestKit.Host(server);

        var ex = await Assert.ThrowsAsync<SourceReadException>(() => FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server)));

        Assert.Equal(HealthRecordErrorCode.InvalidConfiguration, ex.Code);
        Assert.Contains("HTTP 401", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_BearerTokenDelegate_IsAskedAgainAfter401()
    {
        var client = FhirServerTestKit.RsaClient();
        await using var server = await FhirServerTestKit.StartAsync(o => o.Client = client.Registration);
        using var http = new HttpClient();
        var smart = new SmartBackendTokenProvider("broker", server.BaseUri, new FhirServer.Configuration.FhirServerSourceOptions { ClientId = "aggregator", SigningKey = client.Key }, () => http, TimeProvider.System, NullLogger.Instance);
        var calls = new List<bool>();
        using var host = FhirServerTestKit.Host(server, o => o.AccessTokenProvider = async (force, ct) =>
        {
            calls.Add(force);
            return (await smart.GetTokenAsync(force, ct))!;
        });

        await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));
        server.Faults.ExpireAllTokens();
        var documents = await FhirServerTestKit.ReadAllAsync(host, FhirServerTestKit.PatientUrl(server));

        Assert.NotEmpty(FhirServerTestKit.Keys(documents));
        Assert.Contains(true, calls);
        Assert.Equal(2, server.TokensIssued);
    }
}
