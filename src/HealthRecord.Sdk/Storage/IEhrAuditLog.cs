using HealthRecord.Sdk.Consent;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Storage;

/// <summary>An <see cref="IAuditSink"/> that keeps the AuditEvents of every disclosure in a store, to be read back.</summary>
/// <remarks>Implementations must be thread-safe. <c>UseSqliteStore</c> and <c>UsePostgreSqlStore</c> register theirs as the <see cref="IAuditSink"/>.</remarks>
public interface IEhrAuditLog : IAuditSink
{
    /// <summary>Reads every AuditEvent kept, in the order they were written.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events.</returns>
    Task<IReadOnlyList<AuditEvent>> ReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>An <see cref="IEhrAuditLog"/> in process memory (serialised copies): for tests and short-lived hosts. Thread-safe.</summary>
public sealed class InMemoryEhrAuditLog : IEhrAuditLog
{
    private readonly Lock _gate = new();
    private readonly List<string> _events = [];

    /// <inheritdoc />
    public ValueTask WriteAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        cancellationToken.ThrowIfCancellationRequested();
        var json = events.Select(e => Fhir.FhirJson.Serialize(e)).ToList();
        lock (_gate)
        {
            _events.AddRange(json);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> ReadAsync(CancellationToken cancellationToken = default)
    {
        string[] json;
        lock (_gate)
        {
            json = [.. _events];
        }

        return Task.FromResult<IReadOnlyList<AuditEvent>>(json.Select(j => (AuditEvent)Hl7.Fhir.Serialization.PocoDeserializationExtensions.DeserializeResource(Fhir.FhirJson.StructuralDeserializer, j)).ToList());
    }
}
