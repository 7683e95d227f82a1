using System.Diagnostics;
using System.Text;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthRecord.Sdk.Warmup;

/// <summary>
/// The default <see cref="IHealthRecordWarmup"/>: reads two built-in synthetic EMRs through the registered readers,
/// aggregates them without saving, serialises the EHR as the stores do, runs the exporters into nothing and asks
/// the store for a person that does not exist.
/// </summary>
internal sealed class HealthRecordWarmup(
    IEnumerable<ISourceDocumentReader> readers,
    IEhrAggregator aggregator,
    IEhrStore store,
    IEnumerable<IEhrExporter> exporters,
    ILogger<HealthRecordWarmup>? logger = null) : IHealthRecordWarmup
{
    /// <summary>The source names the synthetic EMRs are read under.</summary>
    internal static readonly string[] SourceNames = ["healthrecord-warmup-clinic", "healthrecord-warmup-hospital"];

    private readonly IReadOnlyList<ISourceDocumentReader> _readers = readers.ToList();
    private readonly IReadOnlyList<IEhrExporter> _exporters = exporters.ToList();
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    /// <inheritdoc />
    public async Task<WarmupReport> WarmUpAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var records = new List<SourceRecord>();
        for (var i = 0; i < SourceNames.Length; i++)
        {
            records.AddRange(await ReadAsync(SourceNames[i], SyntheticEmrs.Document(i), cancellationToken).ConfigureAwait(false));
        }

        var result = await aggregator.AggregateRecordsAsync(records, new AggregationRequest { SaveToStore = false }, cancellationToken).ConfigureAwait(false);
        foreach (var ehr in result.Ehrs)
        {
            // What SaveAsync and GetAsync do with an EHR, without a write: both stores use this serialiser.
            var serialized = EhrAggregateSerializer.Serialize(ehr);
            _ = EhrAggregateSerializer.Deserialize(serialized, 1);
            foreach (var exporter in _exporters)
            {
                await exporter.ExportAsync(ehr, Stream.Null, cancellationToken).ConfigureAwait(false);
            }
        }

        // Opens the store (a connection, the schema check) with a look-up that finds nobody. A store that cannot be
        // reached at start-up is reported, not thrown: the host's first real call meets (and reports) it anyway.
        var storeRead = true;
        try
        {
            _ = await store.FindPersonAsync([Model.RecordKey.Format(SourceNames[0], "Patient/healthrecord-warmup-none")], cancellationToken).ConfigureAwait(false);
        }
        catch (Errors.EhrStoreException ex)
        {
            storeRead = false;
            Log.StoreNotReached(_logger, ex.Kind.ToString());
        }

        var report = new WarmupReport(Stopwatch.GetElapsedTime(started), records.Count, result.Ehrs.Count == 0 ? 0 : _exporters.Count, storeRead);
        Log.WarmedUp(_logger, (long)report.Elapsed.TotalMilliseconds, report.RecordsRead, report.Exporters);
        return report;
    }

    // Through the readers the host registered (the same path as a file or server source), or, when none of them
    // reads FHIR JSON, straight through the SDK's deserializer.
    private async Task<List<SourceRecord>> ReadAsync(string sourceName, byte[] content, CancellationToken cancellationToken)
    {
        var records = new List<SourceRecord>();
        var reader = _readers.FirstOrDefault(r => r.CanRead(content));
        if (reader is not null)
        {
            var document = SourceDocument.FromBytes(sourceName, sourceName + ".json", content);
            await foreach (var record in reader.ReadAsync(document, cancellationToken).ConfigureAwait(false))
            {
                records.Add(record);
            }

            return records;
        }

        var bundle = (Bundle)FhirJson.StructuralDeserializer.DeserializeResource(Encoding.UTF8.GetString(content));
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            if (bundle.Entry[i].Resource is { } resource)
            {
                records.Add(SourceRecord.FromResource(sourceName, resource, $"{sourceName}.json#entry[{i}]", bundle.Entry[i].FullUrl));
            }
        }

        return records;
    }
}
