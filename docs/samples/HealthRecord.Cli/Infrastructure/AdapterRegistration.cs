using HealthRecord.Sdk.DependencyInjection;

namespace HealthRecord.Cli.Infrastructure;

/// <summary>The formats this build of the CLI reads besides the core's FHIR JSON, NDJSON and XML: C-CDA and HL7 v2.</summary>
internal static class AdapterRegistration
{
    public static void AddAll(IHealthRecordBuilder hr)
    {
        ArgumentNullException.ThrowIfNull(hr);
        hr.AddCcda().AddHl7V2();
    }
}
