using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Deidentification.Tests;

public class DeidentificationBuilderExtensionsTests
{
    [Fact]
    public void AddDeidentification_RegistersTheDeidentifierWithItsOptions()
    {
        using var services = TestHost.Create(hr => hr.AddDeidentification(o =>
        {
            o.Key = Pipeline.Key;
            o.Mode = DeidentificationMode.DateShift;
        }));
        var deidentifier = services.GetRequiredService<IDeidentifier>();
        Assert.IsType<Deidentifier>(deidentifier);
        Assert.Same(deidentifier, services.GetRequiredService<IDeidentifier>());
        var result = deidentifier.Deidentify(new Hl7.Fhir.Model.Bundle());
        Assert.Equal(DeidentificationMode.DateShift, result.Report.Mode);
    }
}
