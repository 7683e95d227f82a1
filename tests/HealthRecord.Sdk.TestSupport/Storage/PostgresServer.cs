using Xunit;

namespace HealthRecord.Sdk.TestSupport.Storage;

/// <summary>
/// The PostgreSQL server tests run against: the connection string in <c>HEALTHRECORD_POSTGRES</c> (set by
/// <c>.ci/run</c>, which starts a throw-away cluster). Without it, PostgreSQL tests are skipped with a visible
/// message, except under <c>CI=true</c>, where they fail: CI must test the real thing.
/// </summary>
public static class PostgresServer
{
    /// <summary>The environment variable holding the connection string.</summary>
    public const string Variable = "HEALTHRECORD_POSTGRES";

    /// <summary>The connection string; skips the test (or fails it under CI) when none is configured.</summary>
    /// <returns>The connection string.</returns>
    public static string RequireConnectionString()
    {
        var cs = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(cs))
        {
            return cs;
        }

        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        Assert.False(ci, $"{Variable} is not set under CI=true: .ci/run starts a PostgreSQL cluster and sets it; the PostgreSQL tests must run in CI.");
        Skip.If(true, $"PostgreSQL tests skipped: set {Variable} to a connection string (e.g. Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres) to run them.");
        return "";
    }

    /// <summary>A fresh, unique PostgreSQL schema name for one test.</summary>
    /// <returns>The name.</returns>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..16];
}
