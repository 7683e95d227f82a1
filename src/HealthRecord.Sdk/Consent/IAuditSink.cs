using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Consent;

/// <summary>Receives the AuditEvents of every share, so that a store can persist them.</summary>
/// <remarks>Implementations must be thread-safe.</remarks>
public interface IAuditSink
{
    /// <summary>Records the events of one share.</summary>
    /// <param name="events">The events (the disclosure's first).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the events are recorded.</returns>
    ValueTask WriteAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>The default <see cref="IAuditSink"/>: keeps the events in process memory.</summary>
/// <remarks>Thread-safe.</remarks>
public sealed class InMemoryAuditSink : IAuditSink
{
    private readonly Lock _gate = new();
    private readonly List<AuditEvent> _events = [];

    /// <summary>A snapshot of the events recorded so far, in order.</summary>
    public IReadOnlyList<AuditEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _events.AddRange(events);
        }

        return ValueTask.CompletedTask;
    }
}
