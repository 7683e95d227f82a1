namespace HealthRecord.Sdk;

/// <summary>Options for the whole SDK. Validated at start-up by <see cref="Validation.HealthRecordOptionsValidator"/>.</summary>
public sealed class HealthRecordOptions
{
    /// <summary>The largest document (file, message, page) a reader accepts, in bytes.</summary>
    /// <value>The default is 256 MiB.</value>
    public long MaxDocumentBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The deepest JSON nesting a reader accepts; FHIR XML element nesting is held to the same limit.</summary>
    /// <value>The default is 128, well above what FHIR resources need.</value>
    public int MaxJsonDepth { get; set; } = 128;

    /// <summary>
    /// Whether readers run Firely's per-element validation (value formats, cardinality, required bindings)
    /// on every FHIR resource they read. Problems it finds are reported as warnings on the record.
    /// </summary>
    /// <value>
    /// The default is <see langword="false"/>: it about doubles the cost of reading, and the SDK's own record
    /// validators already reject what an EHR cannot use. Turn it on to audit a source's FHIR conformance.
    /// </value>
    public bool ValidateFhirElements { get; set; }

    /// <summary>How many people a population run (<see cref="Aggregation.IPopulationAggregator"/>) aggregates at the same time; the EHRs do not depend on it.</summary>
    /// <value>The default is the processor count; 1 aggregates one person after the other.</value>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>How many sources are read at the same time.</summary>
    /// <value>The default is the processor count.</value>
    public int MaxParallelSources { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Source names in priority order, highest first, for merge policies that rank sources
    /// (<see cref="Merge.MergePolicies.SourcePriority(string[])"/> without names uses this list).
    /// Sources not listed rank after those listed, in ordinal name order.
    /// </summary>
    /// <value>The default is empty: sources rank by name.</value>
    public IList<string> SourcePriority { get; } = new List<string>();

    /// <summary>
    /// The largest duplicate-candidate block the clusterer compares pairwise. A larger block (a
    /// blocking key shared by very many records) is compared only against its first records, and an
    /// issue says so, so cost stays near-linear.
    /// </summary>
    /// <value>The default is 2,000.</value>
    public int MaxBlockSize { get; set; } = 2000;

    /// <summary>Whether the aggregator saves each EHR to the registered store.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool SaveToStore { get; set; } = true;
}
