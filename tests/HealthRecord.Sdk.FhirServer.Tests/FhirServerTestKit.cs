using System.Security.Cryptography;
using HealthRecord.FhirTestServer;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.FhirServer.Configuration;
using HealthRecord.Sdk.FhirServer.Sources;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.Sdk.FhirServer.Tests;

/// <summary>Starts the sample test server on a free loopback port and builds hosts that read it with short retry delays.</summary>
internal static class FhirServerTestKit
{
    /// <summary>The demo's primary-care EMR (synthetic, committed under docs/samples/data): one patient, 215 resources.</summary>
    public static string SampleBundle => Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data", "valley-primary-care.json");

    public const string SamplePatientId = "eba03315-2043-442b-80a8-a4d8d265ac99";

    public static async Task<FhirTestServer.FhirTestServer> StartAsync(Action<FhirTestServerOptions>? configure = null, params string[] data)
    {
        var options = new FhirTestServerOptions { BulkRetryAfterSeconds = 0 };
        foreach (var path in data.Length == 0 ? [SampleBundle] : data)
        {
            options.DataPaths.Add(path);
        }

        configure?.Invoke(options);
        return await FhirTestServer.FhirTestServer.StartAsync(options);
    }

    /// <summary>Fast settings for tests: retries in milliseconds, polls without waiting.</summary>
    public static void Fast(FhirServerSourceOptions o)
    {
        o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
        o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        o.AttemptTimeout = TimeSpan.FromSeconds(10);
        o.BulkPollInterval = TimeSpan.FromMilliseconds(10);
        o.BulkMaxPollInterval = TimeSpan.FromMilliseconds(50);
        o.MaxRetryAttempts = 4;
    }

    public static ServiceProvider Host(FhirTestServer.FhirTestServer server, Action<FhirServerSourceOptions>? configure = null, string name = "hospital-a") =>
        TestHost.Create(hr => hr.AddFhirServerSource(name, o =>
        {
            o.BaseAddress = server.BaseUri;
            Fast(o);
            configure?.Invoke(o);
        }));

    public static string PatientUrl(FhirTestServer.FhirTestServer server, string patientId = SamplePatientId) => $"{server.BaseUri}?patient={patientId}";

    /// <summary>Reads a source with the host's FHIR server adapter, collecting every document.</summary>
    public static async Task<List<SourceDocumentResult>> ReadAllAsync(IServiceProvider services, string location, string name = "hospital-a", CancellationToken cancellationToken = default)
    {
        var adapter = services.GetRequiredService<FhirServerSourceAdapter>();
        var documents = new List<SourceDocumentResult>();
        await foreach (var d in adapter.ReadAsync(new SourceRequest(name, location), cancellationToken))
        {
            documents.Add(d);
        }

        return documents;
    }

    public static async Task<AggregationResult> AggregateAsync(IServiceProvider services, string location, string name = "hospital-a") =>
        await services.GetRequiredService<IEhrAggregator>().AggregateAsync(new AggregationRequest { Sources = [new SourceRequest(name, location)], SaveToStore = false });

    /// <summary>
    /// The resource keys (<c>Type/id</c>) of a file that belong to its patients' records: everything but the
    /// Organizations, Practitioners and the like that nothing references (a server does not return those with a patient).
    /// </summary>
    public static async Task<HashSet<string>> FileKeysAsync(string path)
    {
        var text = File.Exists(path) ? await File.ReadAllTextAsync(path) : string.Concat(Directory.GetFiles(path, "*", SearchOption.AllDirectories).Select(File.ReadAllText));
        var keys = await AllFileKeysAsync(path);
        keys.RemoveWhere(k => k.Split('/') is [var type, var id]
            && type is "Organization" or "Practitioner" or "PractitionerRole" or "Location" or "Medication"
            && !System.Text.RegularExpressions.Regex.IsMatch(text, $"\"reference\"\\s*:\\s*\"(urn:uuid:{id}|{type}/{id})\""));
        return keys;
    }

    /// <summary>Every resource key a file source gives, read with the core file adapter.</summary>
    public static async Task<HashSet<string>> AllFileKeysAsync(string path)
    {
        using var sp = TestHost.Create();
        var adapter = sp.GetServices<IEmrSourceAdapter>().OfType<FileSystemSourceAdapter>().Single();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var d in adapter.ReadAsync(new SourceRequest("file", path)))
        {
            foreach (var r in d.Records.Where(r => r.Resource is not null))
            {
                keys.Add(r.SourceReference);
            }
        }

        return keys;
    }

    public static HashSet<string> Keys(IEnumerable<SourceDocumentResult> documents) =>
        documents.SelectMany(d => d.Records).Where(r => r.Resource is not null).Select(r => r.SourceReference).ToHashSet(StringComparer.Ordinal);

    /// <summary>An RSA client key and its registration (JWKS) for the server.</summary>
    public static (RsaSecurityKey Key, string Pem, SmartClientRegistration Registration) RsaClient(string clientId = "aggregator")
    {
        var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "rsa-1" };
        return (key, rsa.ExportPkcs8PrivateKeyPem(), new SmartClientRegistration(clientId, Jwks.FromSecurityKey(key)));
    }

    /// <summary>An EC P-384 client key and its registration.</summary>
    public static (ECDsaSecurityKey Key, string Pem, SmartClientRegistration Registration) EcClient(string clientId = "aggregator")
    {
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var key = new ECDsaSecurityKey(ec) { KeyId = "ec-1" };
        return (key, ec.ExportPkcs8PrivateKeyPem(), new SmartClientRegistration(clientId, Jwks.FromSecurityKey(key)));
    }

    public static int Count(this FhirTestServer.FhirTestServer server, string contains) => server.Requests.Count(r => r.Contains(contains, StringComparison.Ordinal));
}
