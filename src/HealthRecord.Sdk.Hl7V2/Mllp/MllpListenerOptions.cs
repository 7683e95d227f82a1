using System.Net;
using HealthRecord.Sdk.Hl7V2.Parsing;

namespace HealthRecord.Sdk.Hl7V2.Mllp;

/// <summary>Where and how an <see cref="MllpListener"/> receives messages.</summary>
public sealed class MllpListenerOptions
{
    /// <summary>The address to listen on.</summary>
    /// <value><see cref="IPAddress.Loopback"/>.</value>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 lets the system choose a free one (read it from <see cref="MllpListener.LocalEndPoint"/>).</summary>
    /// <value>0.</value>
    public int Port { get; set; }

    /// <summary>The largest frame accepted; a larger one is answered with AR and the connection keeps serving.</summary>
    /// <value>16 MiB.</value>
    public int MaxFrameBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How long a connection may stay silent before it is closed.</summary>
    /// <value>5 minutes.</value>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most connections served at once; more wait to be accepted.</summary>
    /// <value>64.</value>
    public int MaxConnections { get; set; } = 64;

    /// <summary>Parser limits for received messages.</summary>
    /// <value><see cref="Hl7V2ParserOptions.Default"/>.</value>
    public Hl7V2ParserOptions Parser { get; set; } = Hl7V2ParserOptions.Default;
}
