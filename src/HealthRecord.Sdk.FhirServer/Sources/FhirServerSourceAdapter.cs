using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.FhirServer.Authentication;
using HealthRecord.Sdk.FhirServer.Bulk;
using HealthRecord.Sdk.FhirServer.Configuration;
using HealthRecord.Sdk.FhirServer.Http;
using HealthRecord.Sdk.FhirServer.Rest;
using HealthRecord.Sdk.FhirServer.Telemetry;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.FhirServer.Sources;

/// <summary>
/// Reads EMR sources from FHIR R4 servers. A source's location is a URL:
/// <c>https://host/fhir?patient=ID</c> (one patient, by <c>$everything</c> or per-type search) or
/// <c>https://host/fhir/$export</c>, <c>…/Patient/$export</c>, <c>…/Group/ID/$export</c> (Bulk Data; <c>_type</c> and
/// <c>_since</c> may be added as query parameters). Plain <c>http</c> is read only from loopback addresses.
/// The options named after the source (<c>AddFhirServerSource</c>) apply, else the defaults (<c>AddFhirServerSources</c>).
/// </summary>
/// <remarks>
/// Each page or output file is one document, handed on as soon as it is complete. A read that stops part-way
/// (the server keeps failing after every retry, an export file cannot be downloaded, the server's error file reports
/// issues) is reported, never passed off as complete: the failure surfaces as a <see cref="SourceReadException"/>
/// (code <see cref="HealthRecordErrorCode.SourceUnavailable"/> and the like) or failed documents naming the source,
/// and <see cref="FhirServerSyncStates"/> records the source as <see cref="FhirServerSyncStatus.Incomplete"/>.
/// Thread-safe.
/// </remarks>
public sealed class FhirServerSourceAdapter : IEmrSourceAdapter
{
    private readonly IHttpClientFactory _clients;
    private readonly IOptionsMonitor<FhirServerSourceOptions> _options;
    private readonly ISourceDocumentReader _reader;
    private readonly long _maxBytes;
    private readonly FhirServerSyncStates _states;
    private readonly FhirServerSourceNames _names;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, IAccessTokenSource> _tokens = new(StringComparer.Ordinal);
    private const string FhirJsonFormat = "fhir-json";

    internal FhirServerSourceAdapter(IHttpClientFactory clients, IOptionsMonitor<FhirServerSourceOptions> options, IEnumerable<ISourceDocumentReader> readers,
        IOptions<HealthRecordOptions> healthRecordOptions, FhirServerSyncStates states, FhirServerSourceNames names, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        _clients = clients;
        _options = options;
        // The core's FHIR JSON/NDJSON reader, which AddHealthRecord always registers.
        _reader = readers.FirstOrDefault(r => r.Format == FhirJsonFormat)
            ?? throw new InvalidOperationException("The FHIR JSON reader is not registered; add the FHIR server source through AddHealthRecord.");
        _maxBytes = healthRecordOptions.Value.MaxDocumentBytes;
        _states = states;
        _names = names;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)loggers?.CreateLogger<FhirServerSourceAdapter>() ?? NullLogger.Instance;
    }

    /// <summary>The sync state of each source read.</summary>
    public FhirServerSyncStates SyncStates => _states;

    /// <inheritdoc />
    public bool CanRead(SourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Location.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || request.Location.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
    }

    /// <inheritdoc />
    /// <exception cref="SourceReadException">
    /// The location or the source's options are not usable (code <see cref="HealthRecordErrorCode.InvalidConfiguration"/>).
    /// Failures while reading surface from the enumeration, naming the source.
    /// </exception>
    public IAsyncEnumerable<SourceDocumentResult> ReadAsync(SourceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var optionsName = _names.Contains(request.Name) ? request.Name : Options.DefaultName;
        FhirServerSourceOptions options;
        try
        {
            options = _options.Get(optionsName);
        }
        catch (OptionsValidationException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, request.Name, request.Location, string.Join(" ", ex.Failures));
        }

        if (!FhirSourceLocation.TryParse(request.Location, out var location, out var error))
        {
            throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, request.Name, FhirServerConnection.Describe(new Uri(request.Location, UriKind.RelativeOrAbsolute)), error!);
        }

        if (!FhirServerSourceOptionsValidator.IsAllowedAddress(location!.BaseAddress))
        {
            throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, request.Name, location.BaseAddress.AbsoluteUri,
                "Plain http is read only from loopback addresses (127.0.0.1, ::1, localhost); use https.");
        }

        if (options.BaseAddress is { } configured && !SameBase(configured, location.BaseAddress))
        {
            throw new SourceReadException(HealthRecordErrorCode.InvalidConfiguration, request.Name, location.BaseAddress.AbsoluteUri,
                $"The location is not on the source's configured BaseAddress ({configured.AbsoluteUri}).");
        }

        var http = _clients.CreateClient(FhirServerHttp.ClientName(optionsName));
        var tokens = _tokens.GetOrAdd($"{optionsName}\u001f{location.BaseAddress.AbsoluteUri}", _ => TokenSource(request.Name, location.BaseAddress, options, optionsName));
        var connection = new FhirServerConnection(request.Name, location.BaseAddress, http, tokens, _logger);
        _states.Load(request.Name, options.CheckpointDirectory);
        return ReadCoreAsync(connection, location, options, cancellationToken);
    }

    private IAccessTokenSource TokenSource(string sourceName, Uri baseAddress, FhirServerSourceOptions options, string optionsName) =>
        options.AccessTokenProvider is { } provider ? new DelegateAccessToken(provider)
        : options.ClientId is not null ? new SmartBackendTokenProvider(sourceName, baseAddress, options, () => _clients.CreateClient(FhirServerHttp.ClientName(optionsName)), _time, _logger)
        : NoAccessToken.Instance;

    private async IAsyncEnumerable<SourceDocumentResult> ReadCoreAsync(FhirServerConnection connection, FhirSourceLocation location, FhirServerSourceOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var source = connection.SourceName;
        var started = _time.GetUtcNow();
        _states.Started(source, started);
        var since = location.Since ?? options.Since;
        BulkExportClient? bulk = null;
        IAsyncEnumerable<SourceDocumentResult> documents;
        if (location.IsBulk)
        {
            bulk = new BulkExportClient(connection, options, _reader, _maxBytes, _time, _logger, progress => _states.Progressed(source, progress));
            documents = bulk.ReadAsync(location, since, cancellationToken);
        }
        else
        {
            documents = new FhirRestReader(connection, options, _reader, _maxBytes, _logger).ReadPatientAsync(location, since, cancellationToken);
        }

        var read = 0;
        string? firstError = null;
        var finished = false;
        var enumerator = documents.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                SourceDocumentResult current;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    current = enumerator.Current;
                }
                catch (SourceReadException ex)
                {
                    // Stopped part-way: the documents already handed on are not the whole source; say so.
                    var reason = read == 0
                        ? $"The source could not be read: {ex.Reason}"
                        : $"The read stopped part-way and the source is incomplete ({read} document(s) read before): {ex.Reason}";
                    Log.SourceIncomplete(_logger, source, ex.Code);
                    _states.Incomplete(source, reason);
                    finished = true;
                    throw new SourceReadException(ex.Code, source, ex.Location, reason, ex);
                }

                read++;
                if (current.Error is { } error)
                {
                    firstError ??= error.Reason;
                }

                yield return current;
            }

            finished = true;
            if (firstError is not null || bulk?.Incomplete == true)
            {
                var reason = "Incomplete: " + (firstError ?? bulk!.LastError);
                Log.SourceIncomplete(_logger, source, HealthRecordErrorCode.SourceUnavailable);
                _states.Incomplete(source, reason);
            }
            else
            {
                _states.Completed(source, _time.GetUtcNow(), bulk is null ? started : bulk.TransactionTime);
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            if (!finished)
            {
                _states.Incomplete(source, cancellationToken.IsCancellationRequested ? "The read was cancelled." : "The read was stopped before its end.");
            }
        }
    }

    private static bool SameBase(Uri a, Uri b) =>
        string.Equals(a.AbsoluteUri.TrimEnd('/'), b.AbsoluteUri.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
