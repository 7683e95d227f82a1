using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.PostgreSql;
using HealthRecord.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Registers the PostgreSQL store.</summary>
public static class PostgreSqlHealthRecordBuilderExtensions
{
    /// <summary>
    /// Keeps EHRs, and reviewers' answers (<see cref="PostgreSqlLinkReview"/>, <see cref="PostgreSqlMergeReview"/>), in
    /// PostgreSQL, under the schema <paramref name="schema"/>; the data source is built from the connection string and
    /// disposed with the service provider.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">E.g. <c>Host=db;Database=ehr;Username=hr;Password=…</c>.</param>
    /// <param name="schema">The PostgreSQL schema of the store's tables.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// One store per service collection: the same server, database and schema again changes nothing; another store throws
    /// <see cref="Errors.HealthRecordConfigurationException"/> naming both. The reviewers' answers and the audit log are kept
    /// in PostgreSQL only where the host registered no <see cref="ILinkReview"/>, <see cref="IMergeReview"/> or
    /// <see cref="Consent.IAuditSink"/> of its own, before or after this call.
    /// </remarks>
    /// <exception cref="Errors.HealthRecordConfigurationException">Another store was registered before.</exception>
    public static IHealthRecordBuilder UsePostgreSqlStore(this IHealthRecordBuilder builder, string connectionString, string schema = PostgreSqlDatabase.DefaultSchema)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        return builder.UsePostgreSqlStore(Describe(connectionString, schema), _ => PostgreSqlDatabase.Create(connectionString, schema));
    }

    /// <summary>Keeps EHRs and reviewers' answers in PostgreSQL through the host's data source (the host keeps owning it).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="dataSource">The data source.</param>
    /// <param name="schema">The PostgreSQL schema of the store's tables.</param>
    /// <returns>The builder.</returns>
    /// <remarks>The rules of the overload with a connection string apply.</remarks>
    /// <exception cref="Errors.HealthRecordConfigurationException">Another store was registered before.</exception>
    public static IHealthRecordBuilder UsePostgreSqlStore(this IHealthRecordBuilder builder, NpgsqlDataSource dataSource, string schema = PostgreSqlDatabase.DefaultSchema)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgreSqlStore(Describe(dataSource.ConnectionString, schema), _ => PostgreSqlDatabase.Create(dataSource, schema));
    }

    private static IHealthRecordBuilder UsePostgreSqlStore(this IHealthRecordBuilder builder, string name, Func<IServiceProvider, PostgreSqlDatabase> database)
    {
        // One store per service collection: the same database and schema again changes nothing; another store is refused.
        if (!builder.UseStore(name, sp => new PostgreSqlEhrStore(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>())))
        {
            return builder;
        }

        builder.Services.Replace(ServiceDescriptor.Singleton(database));

        // Reviewers' answers live beside the EHRs, so they hold for every later aggregation by every worker (unless the
        // host registered its own, before or after this call: the host's stay).
        builder.AddStoreService<IMergeReview>(sp => new PostgreSqlMergeReview(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>()));
        builder.AddStoreService<ILinkReview>(sp => new PostgreSqlLinkReview(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>()));
        builder.AddStoreService<Consent.IAuditSink>(sp => new PostgreSqlAuditLog(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>()));
        return builder;
    }

    // Names the store by server, database and schema (what identifies it), never with credentials.
    private static string Describe(string connectionString, string schema)
    {
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(connectionString);
            return $"the PostgreSQL store in schema '{schema}' of database '{cs.Database}' on {cs.Host}:{cs.Port} (UsePostgreSqlStore)";
        }
        catch (ArgumentException)
        {
            return $"the PostgreSQL store in schema '{schema}' (UsePostgreSqlStore, an invalid connection string)";
        }
    }
}
