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

    /// <summary>
    /// The most connections served at once. A new connection beyond it closes the connection idle for longest (an
    /// eviction, logged); when none is idle the new one is refused (closed at once, logged).
    /// </summary>
    /// <value>64.</value>
    public int MaxConnections { get; set; } = 64;

    /// <summary>The most connections one peer address may hold at once; beyond it, that peer's idle-longest connection is closed.</summary>
    /// <value>16.</value>
    public int MaxConnectionsPerPeer { get; set; } = 16;

    /// <summary>How long writing one ACK (or a TLS handshake) may take before the connection is closed: a peer that never reads cannot hold a slot.</summary>
    /// <value>30 seconds.</value>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>TLS for every connection (certificate, protocols, client certificates), or <see langword="null"/> for plain TCP.</summary>
    /// <value><see langword="null"/>.</value>
    public System.Net.Security.SslServerAuthenticationOptions? Tls { get; set; }

    /// <summary>Parser limits for received messages.</summary>
    /// <value><see cref="Hl7V2ParserOptions.Default"/>.</value>
    public Hl7V2ParserOptions Parser { get; set; } = Hl7V2ParserOptions.Default;
}
