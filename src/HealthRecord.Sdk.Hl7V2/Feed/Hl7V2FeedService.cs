using System.Net;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Sources;
using HealthRecord.Sdk.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Hl7V2.Feed;

/// <summary>
/// The hosted live feed: opens the journal, applies what it holds beyond its applied mark, then listens on MLLP and
/// feeds each message into the EHR store (see <see cref="Hl7V2Feed"/> for the ACK semantics). Registered by
/// <c>AddHl7V2Listener</c>; stopping the host stops accepting, answers the messages in hand, and applies the queue.
/// </summary>
public sealed class Hl7V2FeedService : IHostedService, IAsyncDisposable
{
    private readonly IEhrAggregator _aggregator;
    private readonly IEhrStore _store;
    private readonly Hl7V2DocumentReader _reader;
    private readonly Hl7V2ListenerOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly Identity.IPatientMatcher? _matcher;
    private Hl7V2MessageJournal? _journal;
    private MllpListener? _listener;

    /// <summary>Creates the service (the container does).</summary>
    /// <param name="aggregator">The aggregator.</param>
    /// <param name="store">The EHR store.</param>
    /// <param name="reader">The HL7 v2 reader registered by <c>AddHl7V2</c>.</param>
    /// <param name="options">The feed's options.</param>
    /// <param name="loggers">Loggers; none when omitted.</param>
    /// <param name="matcher">The configured identity matcher (finds stored persons as the aggregator does).</param>
    public Hl7V2FeedService(IEhrAggregator aggregator, IEhrStore store, Hl7V2DocumentReader reader, IOptions<Hl7V2ListenerOptions> options, ILoggerFactory? loggers = null, Identity.IPatientMatcher? matcher = null)
    {
        _matcher = matcher;
        ArgumentNullException.ThrowIfNull(options);
        _aggregator = aggregator;
        _store = store;
        _reader = reader;
        _options = options.Value;
        _loggers = loggers ?? NullLoggerFactory.Instance;
    }

    /// <summary>The feed, once started (counters, queue depth, <see cref="Hl7V2Feed.WhenAppliedAsync"/>).</summary>
    public Hl7V2Feed? Feed { get; private set; }

    /// <summary>The listener, once started (its bound address and ACK counters).</summary>
    public MllpListener? Listener => _listener;

    /// <summary>The address the feed listens on, once started.</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _journal = await Hl7V2MessageJournal.OpenAsync(_options.JournalPath, cancellationToken).ConfigureAwait(false);
        Feed = new Hl7V2Feed(_aggregator, _store, _journal, _options.SourceName, _reader, _loggers.CreateLogger<Hl7V2Feed>(), _matcher);
        await Feed.StartAsync(cancellationToken).ConfigureAwait(false);
        _listener = new MllpListener(_options.Listener, Feed.HandleAsync, _loggers.CreateLogger<MllpListener>());
        _listener.Start();
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is not null)
        {
            await _listener.StopAsync().ConfigureAwait(false);
        }

        if (Feed is not null)
        {
            await Feed.DisposeAsync().ConfigureAwait(false);
        }

        if (_journal is not null)
        {
            await _journal.DisposeAsync().ConfigureAwait(false);
            _journal = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
    }
}
