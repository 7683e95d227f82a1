using HealthRecord.Sdk.DependencyInjection;

namespace HealthRecord.Cli.Infrastructure;

/// <summary>The formats this build of the CLI reads, besides the core's FHIR JSON and NDJSON.</summary>
internal static class AdapterRegistration
{
    public static void AddAll(IHealthRecordBuilder hr)
    {
        ArgumentNullException.ThrowIfNull(hr);
    }
}
