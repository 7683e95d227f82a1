using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Parsing;
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
    public void AddHl7V2_TwiceWithDifferentOptions_IsRefusedNamingBoth()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.AddHl7V2(new Hl7V2ConversionOptions { AssumedUtcOffset = TimeSpan.FromHours(1) }));

        var ex = Assert.Throws<HealthRecordConfigurationException>(() =>
            services.AddHealthRecord(hr => hr.AddHl7V2(new Hl7V2ConversionOptions { AssumedUtcOffset = TimeSpan.FromHours(-5) })));

        Assert.Contains("AssumedUtcOffset=01:00:00", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AssumedUtcOffset=-05:00:00", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddHl7V2_OptionsThenACallWithout_KeepsTheOptions()
    {
        var parser = new Hl7V2ParserOptions { MaxFieldsPerSegment = 50 };
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.AddHl7V2().AddHl7V2(parser: parser).AddHl7V2(parser: new Hl7V2ParserOptions { MaxFieldsPerSegment = 50 }).AddHl7V2());
        using var provider = services.BuildServiceProvider();

        var reader = Assert.Single(provider.GetServices<ISourceDocumentReader>().OfType<Hl7V2DocumentReader>());
        Assert.Same(parser, reader.ParserOptions);
    }

    [Fact]
    public void AddHl7V2_NullBuilder_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => Hl7V2HealthRecordBuilderExtensions.AddHl7V2(null!));
    }
}
