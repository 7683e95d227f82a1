using System.Globalization;
using HealthRecord.FhirTestServer;

// dotnet run --project docs/samples/HealthRecord.FhirTestServer -- --data docs/samples/data [options]
var options = new FhirTestServerOptions { Port = 8080 };
string? clientId = null, publicKey = null, jwks = null;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--data": options.DataPaths.Add(Next()); break;
        case "--port": options.Port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--page-size": options.DefaultPageSize = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--no-everything": options.SupportsEverything = false; break;
        case "--gzip": options.GzipBulkFiles = true; break;
        case "--bulk-file-size": options.BulkResourcesPerFile = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--client-id": clientId = Next(); break;
        case "--client-public-key": publicKey = Next(); break;
        case "--client-jwks": jwks = Next(); break;
        case "--token-lifetime": options.TokenLifetime = TimeSpan.FromSeconds(int.Parse(Next(), CultureInfo.InvariantCulture)); break;
        case "-h" or "--help":
            Console.WriteLine("""
                fhir-test-server: a sample FHIR R4 server over a folder of FHIR JSON/NDJSON, on 127.0.0.1.
                  --data PATH              folder or file to serve (repeatable; default: the CLI's sample data)
                  --port N                 port (default 8080; 0 picks a free one)
                  --page-size N            default search page size (default 50)
                  --no-everything          do not offer Patient/{id}/$everything (clients fall back to per-type search)
                  --gzip                   gzip Bulk Data output files for clients that accept it
                  --bulk-file-size N       resources per Bulk Data output file (default 1000)
                  --client-id ID           require SMART Backend Services auth for this client id, with
                  --client-public-key PEM  the client's public key (RSA or EC P-384), or
                  --client-jwks FILE       the client's JSON Web Key Set
                  --token-lifetime SECONDS access token lifetime (default 300)
                """);
            return 0;
        default:
            Console.Error.WriteLine($"Unknown option {args[i]} (try --help).");
            return 2;
    }
}

if (options.DataPaths.Count == 0)
{
    options.DataPaths.Add(Path.Combine(AppContext.BaseDirectory, "data"));
}

if (clientId is not null)
{
    var set = jwks is not null ? File.ReadAllText(jwks)
        : publicKey is not null ? Jwks.FromPublicKeyPem(File.ReadAllText(publicKey))
        : throw new ArgumentException("--client-id needs --client-public-key or --client-jwks.");
    options.Client = new SmartClientRegistration(clientId, set);
}

await using var server = await FhirTestServer.StartAsync(options);
Console.WriteLine($"FHIR R4 test server: {server.BaseUri} ({server.ResourceCount} resources{(options.Client is null ? ", no authentication" : $", SMART Backend Services client '{options.Client.ClientId}', token endpoint {server.TokenUri}")}). Ctrl+C stops it.");
await server.WaitForShutdownAsync();
return 0;
