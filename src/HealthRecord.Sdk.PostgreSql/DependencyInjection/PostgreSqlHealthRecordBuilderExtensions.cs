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
    public static IHealthRecordBuilder UsePostgreSqlStore(this IHealthRecordBuilder builder, string connectionString, string schema = PostgreSqlDatabase.DefaultSchema)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        return builder.UsePostgreSqlStore(_ => PostgreSqlDatabase.Create(connectionString, schema));
    }

    /// <summary>Keeps EHRs and reviewers' answers in PostgreSQL through the host's data source (the host keeps owning it).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="dataSource">The data source.</param>
    /// <param name="schema">The PostgreSQL schema of the store's tables.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UsePostgreSqlStore(this IHealthRecordBuilder builder, NpgsqlDataSource dataSource, string schema = PostgreSqlDatabase.DefaultSchema)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgreSqlStore(_ => PostgreSqlDatabase.Create(dataSource, schema));
    }

    private static IHealthRecordBuilder UsePostgreSqlStore(this IHealthRecordBuilder builder, Func<IServiceProvider, PostgreSqlDatabase> database)
    {
        builder.Services.Replace(ServiceDescriptor.Singleton(database));
        builder.Services.Replace(ServiceDescriptor.Singleton<IEhrStore>(sp => new PostgreSqlEhrStore(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>())));

        // Reviewers' answers live beside the EHRs, so they hold for every later aggregation by every worker.
        builder.Services.Replace(ServiceDescriptor.Singleton<IMergeReview>(sp => new PostgreSqlMergeReview(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<ILinkReview>(sp => new PostgreSqlLinkReview(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<Consent.IAuditSink>(sp => new PostgreSqlAuditLog(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>())));
        return builder;
    }
}
