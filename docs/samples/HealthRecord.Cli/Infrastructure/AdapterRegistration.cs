using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.FhirServer.Configuration;

namespace HealthRecord.Cli.Infrastructure;

/// <summary>
/// The formats this build of the CLI reads besides the core's FHIR JSON, NDJSON and XML: C-CDA and HL7 v2; and
/// FHIR R4 servers (<c>--source NAME=https://host/fhir?patient=ID</c>, <c>NAME=https://host/fhir/$export</c>,
/// <c>…/Patient/$export</c>, <c>…/Group/ID/$export</c>; plain http only for loopback), authenticated with the
/// settings of <see cref="FhirServerEnvironment"/>.
/// </summary>
internal static class AdapterRegistration
{
    public static void AddAll(IHealthRecordBuilder hr)
    {
        ArgumentNullException.ThrowIfNull(hr);
        hr.AddCcda().AddHl7V2();
        hr.AddFhirServerSources(o => FhirServerEnvironment.Apply(o, Environment.GetEnvironmentVariable));
    }
}

/// <summary>
/// FHIR server settings from environment variables (secrets stay out of the command line and its history):
/// <list type="bullet">
/// <item><c>HEALTHRECORD_FHIR_CLIENT_ID</c>, <c>HEALTHRECORD_FHIR_PRIVATE_KEY_FILE</c> (PEM, RSA or EC P-384),
/// <c>HEALTHRECORD_FHIR_KEY_ID</c>, <c>HEALTHRECORD_FHIR_TOKEN_URL</c> (else discovered), <c>HEALTHRECORD_FHIR_SCOPES</c>
/// (default <c>system/*.read</c>): SMART Backend Services;</item>
/// <item><c>HEALTHRECORD_FHIR_BEARER_TOKEN</c>: a token the user already holds (used instead);</item>
/// <item><c>HEALTHRECORD_FHIR_CHECKPOINT_DIR</c>: where Bulk Data downloads are checkpointed so an interrupted run resumes;</item>
/// <item><c>HEALTHRECORD_FHIR_PAGE_SIZE</c>, <c>HEALTHRECORD_FHIR_EVERYTHING</c> (<c>true</c>/<c>false</c>, default: as the server offers).</item>
/// </list>
/// </summary>
internal static class FhirServerEnvironment
{
    public const string Prefix = "HEALTHRECORD_FHIR_";

    public static void Apply(FhirServerSourceOptions options, Func<string, string?> variable)
    {
        string? Get(string name) => variable(Prefix + name) is { Length: > 0 } value ? value.Trim() : null;

        if (Get("BEARER_TOKEN") is { } bearer)
        {
            options.AccessTokenProvider = (_, _) => ValueTask.FromResult(bearer);
        }
        else if (Get("CLIENT_ID") is { } clientId)
        {
            options.ClientId = clientId;
            if (Get("PRIVATE_KEY_FILE") is { } keyFile)
            {
                options.PrivateKeyPem = File.Exists(keyFile)
                    ? File.ReadAllText(keyFile)
                    : throw new CliUsageException($"{Prefix}PRIVATE_KEY_FILE names {keyFile}, which does not exist.");
            }

            options.KeyId = Get("KEY_ID");
            if (Get("TOKEN_URL") is { } tokenUrl)
            {
                options.TokenEndpoint = Uri.TryCreate(tokenUrl, UriKind.Absolute, out var uri) ? uri : throw new CliUsageException($"{Prefix}TOKEN_URL is not an absolute URL.");
            }

            if (Get("SCOPES") is { } scopes)
            {
                options.Scopes = scopes;
            }
        }

        options.CheckpointDirectory = Get("CHECKPOINT_DIR");
        if (Get("PAGE_SIZE") is { } pageSize)
        {
            options.PageSize = int.TryParse(pageSize, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : throw new CliUsageException($"{Prefix}PAGE_SIZE is not a number.");
        }

        if (Get("EVERYTHING") is { } everything)
        {
            options.UseEverything = bool.TryParse(everything, out var b) ? b : throw new CliUsageException($"{Prefix}EVERYTHING is true or false.");
        }
    }
}
