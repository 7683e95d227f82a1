using System.Runtime.CompilerServices;
using HealthRecord.Sdk.Sources;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Scenarios;

/// <summary>
/// A source adapter over resources held in memory (location <c>memory:NAME</c>). Each read hands out fresh
/// copies, because the pipeline rewrites references in the records it reads.
/// </summary>
public sealed class ScenarioSourceAdapter(IReadOnlyDictionary<string, IReadOnlyList<Resource>> sources) : IEmrSourceAdapter
{
    public const string Scheme = "memory:";

    public bool CanRead(SourceRequest request) =>
        request.Location.StartsWith(Scheme, StringComparison.Ordinal) && sources.ContainsKey(request.Location[Scheme.Length..]);

    public async IAsyncEnumerable<SourceDocumentResult> ReadAsync(SourceRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await System.Threading.Tasks.Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        var name = request.Location[Scheme.Length..];
        var records = sources[name]
            .Select((r, i) => SourceRecord.FromResource(request.Name, r.DeepCopy(), $"{request.Location}#{i}", "urn:uuid:" + r.Id, name))
            .ToList();
        yield return new SourceDocumentResult { SourceName = request.Name, DocumentId = name, Format = "memory", Records = records };
    }
}
