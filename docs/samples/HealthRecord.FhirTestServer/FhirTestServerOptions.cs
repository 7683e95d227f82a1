namespace HealthRecord.FhirTestServer;

/// <summary>How the sample FHIR R4 test server behaves.</summary>
public sealed class FhirTestServerOptions
{
    /// <summary>Folders or files of FHIR R4 JSON to serve: bundles, single resources and NDJSON (read recursively).</summary>
    public IList<string> DataPaths { get; } = [];

    /// <summary>The loopback port; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The page size when a search names no <c>_count</c>.</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The largest page a search may ask for.</summary>
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>Whether <c>Patient/{id}/$everything</c> is served and advertised in the CapabilityStatement.</summary>
    public bool SupportsEverything { get; set; } = true;

    /// <summary>Whether Bulk Data output files are sent gzip-compressed to clients that accept it.</summary>
    public bool GzipBulkFiles { get; set; }

    /// <summary>Resources per Bulk Data output file (a real server writes many files).</summary>
    public int BulkResourcesPerFile { get; set; } = 1000;

    /// <summary>Status polls answered "in progress" (202) before an export completes.</summary>
    public int BulkPollsBeforeComplete { get; set; } = 1;

    /// <summary>The <c>Retry-After</c> (seconds) sent while an export is in progress.</summary>
    public int BulkRetryAfterSeconds { get; set; } = 1;

    /// <summary>The registered SMART Backend Services client; <see langword="null"/> serves without authentication.</summary>
    public SmartClientRegistration? Client { get; set; }

    /// <summary>How long an issued access token is valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The <c>meta.lastUpdated</c> of resources that carry none (for <c>_since</c>).</summary>
    public DateTimeOffset DefaultLastUpdated { get; set; } = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The clock (tokens, exports).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>A SMART Backend Services client the token endpoint accepts.</summary>
/// <param name="ClientId">The client id (the assertion's <c>iss</c> and <c>sub</c>).</param>
/// <param name="JwksJson">The client's public keys as a JSON Web Key Set.</param>
public sealed record SmartClientRegistration(string ClientId, string JwksJson);
