using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Feed;
using HealthRecord.Sdk.Hl7V2.Parsing;
using HealthRecord.Sdk.Hl7V2.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Registers the HL7 v2 adapter.</summary>
public static class Hl7V2HealthRecordBuilderExtensions
{
    /// <summary>
    /// Adds the <c>hl7v2</c> document format: files (or MLLP dumps) of ER7 messages found in a source are parsed and
    /// converted to FHIR R4. Safe to call more than once.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="conversion">Conversion options; <see cref="Hl7V2ConversionOptions.Default"/> when omitted.</param>
    /// <param name="parser">Parser limits; <see cref="Hl7V2ParserOptions.Default"/> when omitted.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddHl7V2(this IHealthRecordBuilder builder, Hl7V2ConversionOptions? conversion = null, Hl7V2ParserOptions? parser = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(sp => new Hl7V2DocumentReader(sp.GetRequiredService<IOptions<HealthRecordOptions>>(), conversion, parser));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Sdk.Sources.ISourceDocumentReader, Hl7V2DocumentReader>(sp => sp.GetRequiredService<Hl7V2DocumentReader>()));
        return builder;
    }

    /// <summary>
    /// Adds a live HL7 v2 feed as a hosted service (<see cref="Hl7V2FeedService"/>): an MLLP listener that
    /// acknowledges each message once it is durably journaled and updates each person's EHR in the store as messages
    /// arrive. Needs a host that runs <see cref="IHostedService"/>s (the generic host) and a store. Adds the HL7 v2
    /// format too. Call it once; a second call's options are applied after the first's.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the address, port, limits, TLS, journal path and source name.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder AddHl7V2Listener(this IHealthRecordBuilder builder, Action<Hl7V2ListenerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.AddHl7V2();
        builder.Services.AddOptions<Hl7V2ListenerOptions>()
            .Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.JournalPath), "Hl7V2ListenerOptions.JournalPath must name the journal file.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.SourceName), "Hl7V2ListenerOptions.SourceName must not be empty.")
            .Validate(o => o.Listener is { MaxConnections: > 0, MaxConnectionsPerPeer: > 0 } l && l.IdleTimeout > TimeSpan.Zero && l.WriteTimeout > TimeSpan.Zero && l.Port is >= 0 and <= 65535,
                "Hl7V2ListenerOptions.Listener needs positive connection limits and timeouts and a port from 0 to 65535.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<Hl7V2FeedService>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Hl7V2FeedService>(sp => sp.GetRequiredService<Hl7V2FeedService>()));
        return builder;
    }
}
