using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Hl7V2.Sources;
using HealthRecord.Sdk.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.Hl7V2.Tests.DependencyInjection;

public class Hl7V2HealthRecordBuilderExtensionsTests
{
    [Fact]
    public void AddHl7V2_RegistersTheReaderOnce()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.AddHl7V2().AddHl7V2());

        using var provider = services.BuildServiceProvider();
        var readers = provider.GetServices<ISourceDocumentReader>().ToList();

        var hl7 = Assert.Single(readers.OfType<Hl7V2DocumentReader>());
        Assert.Equal("hl7v2", hl7.Format);
    }

    [Fact]
    public void AddHl7V2_NullBuilder_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => Hl7V2HealthRecordBuilderExtensions.AddHl7V2(null!));
    }
}
