using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.FhirServer.Configuration;
using HealthRecord.Sdk.FhirServer.Sources;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.FhirServer.Tests.DependencyInjection;

public class FhirServerHealthRecordBuilderExtensionsTests
{
    [Fact]
    public void AddFhirServerSource_RegistersTheAdapterOnceBeforeTheFileAdapter()
    {
        using var host = TestHost.Create(hr => hr
            .AddFhirServerSource("a", o => o.BaseAddress = new Uri("https://a.example/fhir"))
            .AddFhirServerSource("b", o => o.BaseAddress = new Uri("https://b.example/fhir")));

        var adapters = host.GetServices<IEmrSourceAdapter>().ToList();

        Assert.Single(adapters.OfType<FhirServerSourceAdapter>());
        Assert.True(adapters.FindIndex(a => a is FhirServerSourceAdapter) < adapters.FindIndex(a => a is FileSystemSourceAdapter));
        Assert.Same(host.GetRequiredService<FhirServerSourceAdapter>(), adapters.OfType<FhirServerSourceAdapter>().Single());
        Assert.NotNull(host.GetRequiredService<FhirServerSyncStates>());
    }

    [Fact]
    public void AddFhirServerSource_InvalidNamedOptions_FailValidationNamingTheSource()
    {
        using var host = TestHost.Create(hr => hr.AddFhirServerSource("hospital-a", o => o.BaseAddress = new Uri("http://fhir.example/r4")));

        var ex = Assert.Throws<OptionsValidationException>(() => host.GetRequiredService<IOptionsMonitor<FhirServerSourceOptions>>().Get("hospital-a"));

        Assert.Contains(ex.Failures, f => f.Contains("'hospital-a'", StringComparison.Ordinal) && f.Contains("https", StringComparison.Ordinal));
    }

    [Fact]
    public void AddFhirServerSource_InvalidOptions_ReadFailsWithAConfigurationError()
    {
        using var host = TestHost.Create(hr => hr.AddFhirServerSource("hospital-a", o =>
        {
            o.BaseAddress = new Uri("https://fhir.example/r4");
            o.ClientId = "no-key";
        }));
        var adapter = host.GetRequiredService<FhirServerSourceAdapter>();

        var ex = Assert.Throws<Errors.SourceReadException>(() => adapter.ReadAsync(new SourceRequest("hospital-a", "https://fhir.example/r4?patient=1")));

        Assert.Equal(Errors.HealthRecordErrorCode.InvalidConfiguration, ex.Code);
    }

    [Fact]
    public void AddFhirServerSource_ValidatesOnStart()
    {
        using var host = TestHost.Create(hr => hr.AddFhirServerSource("hospital-a", o => o.BaseAddress = new Uri("http://fhir.example/r4")));

        // What a generic host runs at start-up.
        var ex = Assert.ThrowsAny<Exception>(() => host.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("hospital-a", ex.Message, StringComparison.Ordinal);
    }
}
