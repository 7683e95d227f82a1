using Microsoft.IdentityModel.Tokens;

namespace HealthRecord.Sdk.FhirServer.Configuration;

/// <summary>
/// How one FHIR R4 server source is read: its base URL, authentication (SMART Backend Services, or a bearer
/// token the host already holds), paging, Bulk Data and resilience. Named after the source
/// (<c>AddFhirServerSource("hospital-a", o => …)</c>); the unnamed instance holds the defaults used for sources
/// given only as a URL (<c>AddFhirServerSources(o => …)</c>).
/// </summary>
/// <remarks>Validated at start-up by <see cref="FhirServerSourceOptionsValidator"/>.</remarks>
public sealed class FhirServerSourceOptions
{
    /// <summary>The FHIR base URL, e.g. <c>https://fhir.hospital-a.example/r4</c>; <c>https</c>, or <c>http</c> on a loopback address only.</summary>
    /// <value>Required for named sources; for the defaults, taken from each source's location.</value>
    public Uri? BaseAddress { get; set; }

    /// <summary>The SMART Backend Services client id (the assertion's <c>iss</c> and <c>sub</c>); <see langword="null"/> for no SMART authentication.</summary>
    public string? ClientId { get; set; }

    /// <summary>The token endpoint; <see langword="null"/> discovers it (<c>.well-known/smart-configuration</c>, then the CapabilityStatement).</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The scopes to ask for, space-separated.</summary>
    /// <value>Defaults to <c>system/*.read</c>.</value>
    public string Scopes { get; set; } = "system/*.read";

    /// <summary>The client's private key as PEM (RSA, or EC P-384); or set <see cref="SigningKey"/>.</summary>
    public string? PrivateKeyPem { get; set; }

    /// <summary>The client's private key; takes precedence over <see cref="PrivateKeyPem"/>.</summary>
    public AsymmetricSecurityKey? SigningKey { get; set; }

    /// <summary>The key id (<c>kid</c>) the server knows the key by (its JWKS entry).</summary>
    public string? KeyId { get; set; }

    /// <summary>The assertion's signing algorithm: <c>RS384</c> or <c>ES384</c>; <see langword="null"/> picks it from the key type.</summary>
    public string? SigningAlgorithm { get; set; }

    /// <summary>The client assertion's lifetime.</summary>
    /// <value>Defaults to 4 minutes; SMART allows at most 5.</value>
    public TimeSpan AssertionLifetime { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>
    /// Gives an access token for hosts that already hold one (another OAuth flow, a token broker); used instead of
    /// SMART Backend Services. Called with <c>forceRefresh = true</c> after the server answered 401.
    /// </summary>
    public Func<bool, CancellationToken, ValueTask<string>>? AccessTokenProvider { get; set; }

    /// <summary>The page size asked for with <c>_count</c>.</summary>
    /// <value>Defaults to 100.</value>
    public int PageSize { get; set; } = 100;

    /// <summary>
    /// Whether to read a patient with <c>Patient/{id}/$everything</c>: <see langword="null"/> uses it when the
    /// CapabilityStatement offers it, else searches each patient-compartment type.
    /// </summary>
    public bool? UseEverything { get; set; }

    /// <summary>Whether per-type searches ask for the Practitioners, Organizations and Medications the records reference (<c>_include</c>).</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool IncludeReferenced { get; set; } = true;

    /// <summary>The patient-compartment types searched when <c>$everything</c> is not used; empty uses the built-in list.</summary>
    public IList<string> ResourceTypes { get; } = new List<string>();

    /// <summary>Reads only resources changed since this instant (<c>_since</c>), for incremental refresh; a <c>_since</c> in the location wins.</summary>
    public DateTimeOffset? Since { get; set; }

    /// <summary>Retries of one request on 429, 5xx, timeouts and network errors (with exponential backoff, honouring <c>Retry-After</c>).</summary>
    /// <value>Defaults to 5.</value>
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>The first retry delay when the server sends no <c>Retry-After</c>.</summary>
    /// <value>Defaults to 1 second.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries (a larger <c>Retry-After</c> is cut to this).</summary>
    /// <value>Defaults to 60 seconds.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The timeout of one attempt of one request (until the response headers arrive).</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open once it breaks (most requests of a sampling window failing).</summary>
    /// <value>Defaults to 15 seconds.</value>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The status poll interval of a Bulk Data export when the server sends no <c>Retry-After</c>.</summary>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan BulkPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two status polls (a larger <c>Retry-After</c> is cut to this).</summary>
    /// <value>Defaults to 2 minutes.</value>
    public TimeSpan BulkMaxPollInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long an export may take before the read gives up.</summary>
    /// <value>Defaults to 6 hours.</value>
    public TimeSpan BulkMaxWait { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Attempts to download one output file completely (a file cut off half-way is fetched again).</summary>
    /// <value>Defaults to 3.</value>
    public int BulkFileAttempts { get; set; } = 3;

    /// <summary>
    /// A folder for Bulk Data checkpoints (<c>NAME.bulk.json</c>) and sync state (<c>NAME.sync.json</c>): an export
    /// that stops part-way resumes from it without fetching finished files again; <see langword="null"/> keeps nothing.
    /// </summary>
    public string? CheckpointDirectory { get; set; }
}
