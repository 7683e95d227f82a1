using System.Threading.Channels;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Hl7V2.Mllp;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.Hl7V2.Sources;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthRecord.Sdk.Hl7V2.Feed;

/// <summary>
/// A live HL7 v2 feed into the EHR store: the <see cref="MllpListener"/> handler that takes each message durably
/// (an <see cref="Hl7V2MessageJournal"/>) before it is acknowledged, and a single background worker that updates
/// each affected person's EHR in the store, in arrival order.
/// </summary>
/// <remarks>
/// <para>
/// <b>ACK semantics.</b> AA means the message is on disk in the journal: it will reach the EHR even if the process is
/// killed right after (the next start applies what the journal holds beyond its applied mark). AR means the message
/// can never be used (it does not parse, or nothing in it converts): re-sending will not help. AE means the journal
/// could not take it (a full disk): the sender should retry. A re-sent copy (same sending application, facility, control id
/// and bytes) is answered AA and kept once.
/// </para>
/// <para>
/// <b>Which EHR a message updates.</b> Messages are grouped by the patient identifiers they carry (PID-3, and MRG-1
/// prior identifiers of merges such as ADT^A40); each new message re-aggregates its group together with the records
/// the person's other sources contributed (kept with each stored version in <see cref="Model.EhrAggregate.SourceRecords"/>),
/// so the person keeps their id and no source's records are dropped. A person whose stored version lacks its other
/// sources' records is not overwritten (logged) — re-aggregate them with all their sources instead.
/// </para>
/// <para>Thread-safe: the handler may be called from many connections at once.</para>
/// </remarks>
public sealed class Hl7V2Feed : IAsyncDisposable
{
    private readonly IEhrAggregator _aggregator;
    private readonly IEhrStore _store;
    private readonly IPatientMatcher? _matcher;
    private readonly Hl7V2MessageJournal _journal;
    private readonly Hl7V2DocumentReader _reader;
    private readonly string _sourceName;
    private readonly ILogger _logger;
    private readonly Channel<long> _queue = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<long, IReadOnlyList<SourceRecord>> _records = [];
    private readonly PatientGroups _groups = new();
    private readonly Lock _state = new();
    private Task? _worker;
    private long _pending;
    private long _taken;
    private long _duplicates;
    private long _applied;
    private long _failures;
    private TaskCompletionSource _idle = NewIdle(completed: true);

    /// <summary>Creates a feed over an open journal.</summary>
    /// <param name="aggregator">Aggregates each affected person (with <c>SaveToStore</c>).</param>
    /// <param name="store">Where the EHRs are kept (read to carry the person's other sources forward).</param>
    /// <param name="journal">The journal every message is taken into before its ACK.</param>
    /// <param name="sourceName">The source name the feed's records carry.</param>
    /// <param name="reader">Converts messages to FHIR; a default reader when omitted.</param>
    /// <param name="logger">The logger; no message content is logged.</param>
    /// <param name="matcher">Finds the stored person of a patient whose other sources were saved under other keys (as the aggregator does); the default probabilistic matcher when omitted.</param>
    public Hl7V2Feed(IEhrAggregator aggregator, IEhrStore store, Hl7V2MessageJournal journal, string sourceName = "mllp", Hl7V2DocumentReader? reader = null, ILogger<Hl7V2Feed>? logger = null, IPatientMatcher? matcher = null)
    {
        _matcher = matcher;
        ArgumentNullException.ThrowIfNull(aggregator);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        _aggregator = aggregator;
        _store = store;
        _journal = journal;
        _sourceName = sourceName;
        _reader = reader ?? new Hl7V2DocumentReader();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Messages taken into the journal since start (re-sent copies excluded).</summary>
    public long TakenCount => Interlocked.Read(ref _taken);

    /// <summary>Re-sent copies recognised (answered AA, kept once).</summary>
    public long DuplicateCount => Interlocked.Read(ref _duplicates);

    /// <summary>Journal entries applied to the store since start.</summary>
    public long AppliedCount => Interlocked.Read(ref _applied);

    /// <summary>Updates of a person that failed (logged; retried at the next start).</summary>
    public long FailureCount => Interlocked.Read(ref _failures);

    /// <summary>Messages taken and not yet applied to the store.</summary>
    public long QueueDepth => Interlocked.Read(ref _pending);

    /// <summary>
    /// Reads the journal, queues what it holds beyond its applied mark (messages ACKed before a crash or a stop), and
    /// starts the worker that applies messages to the store.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the feed is ready to take messages.</returns>
    /// <exception cref="InvalidOperationException">The feed was already started.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_worker is not null)
        {
            throw new InvalidOperationException("The feed is already started.");
        }

        foreach (var entry in _journal.Entries())
        {
            var records = await ReadAsync(entry.Key, entry.Message, cancellationToken).ConfigureAwait(false);
            Remember(entry.Sequence, records);
            if (entry.Sequence > _journal.AppliedThrough)
            {
                Enqueue(entry.Sequence);
            }
        }

        Log.FeedStarted(_logger, _journal.Count, _journal.Count - _journal.AppliedThrough);
        _worker = Task.Run(() => WorkAsync(CancellationToken.None), CancellationToken.None);
    }

    /// <summary>The <see cref="MllpListener"/> handler: returns once the message is durably in the journal.</summary>
    /// <param name="message">The received message.</param>
    /// <param name="cancellationToken">Cancels the handling.</param>
    /// <returns>A task that completes when the message is taken (the listener then answers AA).</returns>
    /// <exception cref="Hl7V2MessageRejectedException">Nothing in the message can be used (answered AR).</exception>
    /// <exception cref="EhrStoreException">The journal could not take the message (answered AE; the sender retries).</exception>
    public async ValueTask HandleAsync(Hl7V2ReceivedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_worker is null)
        {
            throw new InvalidOperationException("Start the feed before taking messages.");
        }

        var key = DuplicateKey(message.Message, message.Content.Span);
        // The listener has parsed the message already: convert that, rather than parse the bytes a second time.
        var records = _reader.Read(_sourceName, DocumentId(key), message.Message, cancellationToken);

        if (records.Count == 0 || records.All(r => r.Rejection is not null))
        {
            throw new Hl7V2MessageRejectedException("Nothing in the message converts to a clinical record.");
        }

        var (entry, duplicate) = await _journal.AppendAsync(key, message.Content, cancellationToken).ConfigureAwait(false);
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicates);
            Log.DuplicateMessage(_logger, entry.Sequence);
            return;
        }

        Interlocked.Increment(ref _taken);
        Remember(entry.Sequence, records);
        Enqueue(entry.Sequence);
    }

    /// <summary>Waits until every message taken so far is applied to the store (or failed and was logged).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the queue is empty.</returns>
    public Task WhenAppliedAsync(CancellationToken cancellationToken = default)
    {
        lock (_state)
        {
            return _idle.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Stops taking work, applies what is queued, and stops the worker.</summary>
    /// <returns>A task that completes when the worker has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_worker is not null)
        {
            await _worker.ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewIdle(bool completed)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            source.SetResult();
        }

        return source;
    }

    // The key that recognises a sender's retry: the same application, facility and control id (MSH-3, MSH-4, MSH-10)
    // and the same bytes. A sender that reuses a control id for another message (it happens) must not lose that
    // message, so the content is part of the key.
    private static string DuplicateKey(Hl7V2Message message, ReadOnlySpan<byte> content) =>
        string.Join('/', message.SendingApplication ?? string.Empty, message.SendingFacility ?? string.Empty, message.ControlId ?? string.Empty,
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16]);

    private static string DocumentId(string key) => "mllp/" + key;

    private async Task<IReadOnlyList<SourceRecord>> ReadAsync(string key, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var records = new List<SourceRecord>();
        await foreach (var record in _reader.ReadAsync(SourceDocument.FromBytes(_sourceName, DocumentId(key), message), cancellationToken).ConfigureAwait(false))
        {
            records.Add(record);
        }

        return records;
    }

    private void Remember(long sequence, IReadOnlyList<SourceRecord> records)
    {
        lock (_state)
        {
            _records[sequence] = records;
            _groups.Add(sequence, IdentityKeys(records));
        }
    }

    private void Enqueue(long sequence)
    {
        lock (_state)
        {
            if (Interlocked.Increment(ref _pending) == 1 && _idle.Task.IsCompleted)
            {
                _idle = NewIdle(completed: false);
            }
        }

        HealthRecordHl7V2Telemetry.QueueDepth.Add(1);
        _queue.Writer.TryWrite(sequence);
    }

    private static IEnumerable<string> IdentityKeys(IReadOnlyList<SourceRecord> records)
    {
        foreach (var patient in records.Select(r => r.Resource).OfType<Patient>())
        {
            foreach (var identifier in patient.Identifier.Concat(patient.Link.Select(l => l.Other?.Identifier)).OfType<Identifier>())
            {
                if (!string.IsNullOrEmpty(identifier.Value))
                {
                    yield return (identifier.System ?? string.Empty) + "|" + identifier.Value;
                }
            }
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        long lowestFailed = long.MaxValue;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Coalesce a burst: each affected group is re-aggregated once for all its queued messages.
            var batch = new List<long>();
            while (reader.TryRead(out var sequence))
            {
                batch.Add(sequence);
            }

            List<(long Root, long Last)> groups;
            lock (_state)
            {
                groups = [.. batch.GroupBy(_groups.Root).Select(g => (g.Key, g.Max()))];
            }

            foreach (var (root, last) in groups)
            {
                if (!await ApplyAsync(root, cancellationToken).ConfigureAwait(false))
                {
                    lowestFailed = Math.Min(lowestFailed, last);
                }
            }

            // The applied mark only moves over a prefix of successes: a failed group is retried at the next start.
            var through = batch.Max();
            if (through < lowestFailed)
            {
                try
                {
                    await _journal.MarkAppliedAsync(through, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    Log.ApplyFailed(_logger, through, ex.GetType().Name);
                }
            }

            Interlocked.Add(ref _applied, batch.Count);
            HealthRecordHl7V2Telemetry.QueueDepth.Add(-batch.Count);
            lock (_state)
            {
                if (Interlocked.Add(ref _pending, -batch.Count) == 0)
                {
                    _idle.TrySetResult();
                }
            }
        }
    }

    private async Task<bool> ApplyAsync(long root, CancellationToken cancellationToken)
    {
        List<SourceRecord> records;
        lock (_state)
        {
            records = [.. _groups.Members(root).Order().SelectMany(s => _records[s])];
        }

        try
        {
            var patients = records.Where(r => r.Resource is Patient).Select(r => $"{r.SourceName}:{r.SourceReference}").ToList();
            var personId = patients.Count > 0 ? await _store.FindPersonAsync(patients, cancellationToken).ConfigureAwait(false) : null;
            if (personId is null && patients.Count > 0 && _store is IPersonIdentityIndex index)
            {
                // The aggregator finds a stored person by identity evidence too; the feed must find the same person to carry its other sources forward.
                var candidates = records.Where(r => r.Resource is Patient).Select(r => new PatientCandidate($"{r.SourceName}:{r.SourceReference}", r.SourceName, (Patient)r.Resource!)).ToList();
                personId = await StoredPersonLookup.FindAsync(index, _matcher, candidates, null, cancellationToken).ConfigureAwait(false);
            }

            if (personId is not null && await _store.GetAsync(personId, cancellationToken: cancellationToken).ConfigureAwait(false) is { } stored)
            {
                var others = stored.SourceRecords.Where(r => !string.Equals(r.SourceName, _sourceName, StringComparison.Ordinal)).ToList();
                if (others.Count == 0 && stored.Sources.Any(s => !string.Equals(s, _sourceName, StringComparison.Ordinal)))
                {
                    // Saving the feed's records alone would drop what the other sources gave this person.
                    Log.PersonNotUpdated(_logger, personId, stored.Version);
                    Interlocked.Increment(ref _failures);
                    return false;
                }

                records.AddRange(others);
            }

            await _aggregator.AggregateRecordsAsync(records, new AggregationRequest { SaveToStore = true }, cancellationToken).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031 // Whatever fails for one group (a store that cannot load its native library included) must not kill the worker: the feed would stop applying and never go idle.
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _failures);
            Log.ApplyFailed(_logger, root, ex.GetType().Name);
            return false;
        }
    }

    /// <summary>Union-find over patient identifiers: messages that share one (directly or through others) form a group.</summary>
    private sealed class PatientGroups
    {
        private readonly Dictionary<long, long> _parent = [];
        private readonly Dictionary<long, List<long>> _members = [];
        private readonly Dictionary<string, long> _byKey = new(StringComparer.Ordinal);

        public void Add(long sequence, IEnumerable<string> keys)
        {
            _parent[sequence] = sequence;
            _members[sequence] = [sequence];
            foreach (var key in keys)
            {
                if (_byKey.TryGetValue(key, out var other))
                {
                    Union(sequence, other);
                }
                else
                {
                    _byKey[key] = sequence;
                }
            }
        }

        public long Root(long sequence)
        {
            while (_parent[sequence] != sequence)
            {
                _parent[sequence] = _parent[_parent[sequence]];
                sequence = _parent[sequence];
            }

            return sequence;
        }

        public IReadOnlyList<long> Members(long root) => _members[Root(root)];

        private void Union(long a, long b)
        {
            var (ra, rb) = (Root(a), Root(b));
            if (ra == rb)
            {
                return;
            }

            // The smaller group joins the larger one; the root is always the lower sequence, so the order is stable.
            var (keep, join) = ra < rb ? (ra, rb) : (rb, ra);
            _parent[join] = keep;
            _members[keep].AddRange(_members[join]);
            _members.Remove(join);
        }
    }
}
