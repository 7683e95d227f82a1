using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Identity;
using FluentValidation;
using HealthRecord.Sdk.Sqlite;
using HealthRecord.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Registers the SQLite store.</summary>
public static class SqliteHealthRecordBuilderExtensions
{
    /// <summary>Keeps EHRs, and reviewers' answers (<see cref="SqliteLinkReview"/>, <see cref="SqliteMergeReview"/>), in a SQLite file (the rules of the overload with options apply).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">E.g. <c>Data Source=ehr.db</c>.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UseSqliteStore(this IHealthRecordBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return builder.UseSqliteStore(o => o.ConnectionString = connectionString);
    }

    /// <summary>Keeps EHRs, and reviewers' answers (<see cref="SqliteLinkReview"/>, <see cref="SqliteMergeReview"/>), in a SQLite file, configured by options (validated at start-up).</summary>
    /// <remarks>
    /// One store per service collection: the same file again changes nothing; another file or another store throws
    /// <see cref="Errors.HealthRecordConfigurationException"/> naming both (<paramref name="configure"/> is run once on a
    /// scratch options object at registration to learn the file). The reviewers' answers and the audit log are kept in
    /// the file only where the host registered no <see cref="ILinkReview"/>, <see cref="IMergeReview"/> or
    /// <see cref="Consent.IAuditSink"/> of its own, before or after this call.
    /// </remarks>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="Errors.HealthRecordConfigurationException">Another store was registered before.</exception>
    public static IHealthRecordBuilder UseSqliteStore(this IHealthRecordBuilder builder, Action<SqliteEhrStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var probe = new SqliteEhrStoreOptions();
        configure(probe);
        if (!builder.UseStore($"the SQLite store '{DataSourceOf(probe.ConnectionString)}' (UseSqliteStore)", sp =>
            new SqliteEhrStore(sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>(), sp.GetService<TimeProvider>())))
        {
            // The same file again: registered already.
            return builder;
        }

        builder.Services.AddOptions<SqliteEhrStoreOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddSingleton<IValidator<SqliteEhrStoreOptions>, SqliteEhrStoreOptionsValidator>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteEhrStoreOptions>, SqliteOptionsValidation>());

        // Reviewers' answers (identity links, merge decisions) live beside the EHRs, so they hold for every later aggregation into this store.
        builder.AddStoreService<IMergeReview>(sp => new SqliteMergeReview(sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>(), sp.GetService<TimeProvider>()));
        builder.AddStoreService<ILinkReview>(sp => new SqliteLinkReview(sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>(), sp.GetService<TimeProvider>()));
        builder.AddStoreService<Consent.IAuditSink>(sp => new SqliteAuditLog(sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>(), sp.GetService<TimeProvider>()));
        return builder;
    }

    // The file a connection string names, as a full path (what identifies the store); never the connection string itself.
    private static string DataSourceOf(string? connectionString)
    {
        try
        {
            var dataSource = new SqliteConnectionStringBuilder(connectionString ?? "").DataSource;
            return string.IsNullOrEmpty(dataSource) || dataSource == ":memory:" || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
                ? dataSource
                : Path.GetFullPath(dataSource);
        }
        catch (ArgumentException)
        {
            return "(an invalid connection string)";
        }
    }

    private sealed class SqliteOptionsValidation(IValidator<SqliteEhrStoreOptions> validator) : IValidateOptions<SqliteEhrStoreOptions>
    {
        public ValidateOptionsResult Validate(string? name, SqliteEhrStoreOptions options)
        {
            var result = validator.Validate(options);
            return result.IsValid
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(result.Errors.Select(e => $"{nameof(SqliteEhrStoreOptions)}.{e.PropertyName}: {e.ErrorMessage}"));
        }
    }
}
