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
    /// converted to FHIR R4. Safe to call more than once: one reader is registered, and an omitted option means "no
    /// preference" (a later call without options, as <see cref="AddHl7V2Listener"/> makes, keeps the options given
    /// before); a call whose options differ from options given before throws
    /// <see cref="Errors.HealthRecordConfigurationException"/> naming both.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="conversion">Conversion options; <see cref="Hl7V2ConversionOptions.Default"/> when omitted.</param>
    /// <param name="parser">Parser limits; <see cref="Hl7V2ParserOptions.Default"/> when omitted.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="Errors.HealthRecordConfigurationException">Options differ from those of an earlier call.</exception>
    public static IHealthRecordBuilder AddHl7V2(this IHealthRecordBuilder builder, Hl7V2ConversionOptions? conversion = null, Hl7V2ParserOptions? parser = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var registration = builder.Services.FirstOrDefault(d => d.ServiceType == typeof(Hl7V2Registration))?.ImplementationInstance as Hl7V2Registration;
        if (registration is null)
        {
            registration = new Hl7V2Registration();
            builder.Services.AddSingleton(registration);
        }

        registration.Conversion = Agree(registration.Conversion, conversion, "conversion");
        registration.Parser = Agree(registration.Parser, parser, "parser");
        builder.Services.TryAddSingleton(sp => new Hl7V2DocumentReader(sp.GetRequiredService<IOptions<HealthRecordOptions>>(), registration.Conversion, registration.Parser));
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

    // Options given twice must agree (compared property by property); an omitted one keeps what was given.
    private static T? Agree<T>(T? before, T? now, string what)
        where T : class
    {
        if (now is null || before is null || ReferenceEquals(before, now))
        {
            return now ?? before;
        }

        var properties = typeof(T).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance);
        if (properties.All(p => Equals(p.GetValue(before), p.GetValue(now))))
        {
            return before;
        }

        string Show(T o) => string.Join(", ", properties.Select(p => $"{p.Name}={p.GetValue(o)}"));
        throw new Errors.HealthRecordConfigurationException(
            $"AddHl7V2 was called twice with different {what} options (first: {Show(before)}; then: {Show(now)}). One HL7 v2 reader reads every source: "
            + "pass the options once, or the same options in every call.");
    }

    // The options the one HL7 v2 reader of a service collection was given.
    private sealed class Hl7V2Registration
    {
        public Hl7V2ConversionOptions? Conversion { get; set; }

        public Hl7V2ParserOptions? Parser { get; set; }
    }
}
