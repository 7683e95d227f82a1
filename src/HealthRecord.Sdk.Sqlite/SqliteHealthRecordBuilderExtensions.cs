using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Identity;
using FluentValidation;
using HealthRecord.Sdk.Sqlite;
using HealthRecord.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.DependencyInjection;

/// <summary>Registers the SQLite store.</summary>
public static class SqliteHealthRecordBuilderExtensions
{
    /// <summary>Keeps EHRs, and reviewers' answers (<see cref="SqliteLinkReview"/>, <see cref="SqliteMergeReview"/>), in a SQLite file.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">E.g. <c>Data Source=ehr.db</c>.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UseSqliteStore(this IHealthRecordBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return builder.UseSqliteStore(o => o.ConnectionString = connectionString);
    }

    /// <summary>Keeps EHRs, and reviewers' answers (<see cref="SqliteLinkReview"/>, <see cref="SqliteMergeReview"/>), in a SQLite file, configured by options (validated at start-up).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IHealthRecordBuilder UseSqliteStore(this IHealthRecordBuilder builder, Action<SqliteEhrStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<SqliteEhrStoreOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddSingleton<IValidator<SqliteEhrStoreOptions>, SqliteEhrStoreOptionsValidator>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteEhrStoreOptions>, SqliteOptionsValidation>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IEhrStore>(sp =>
            new SqliteEhrStore(sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>(), sp.GetService<TimeProvider>())));

        // Reviewers' answers (identity links, merge decisions) live beside the EHRs, so they hold for every later aggregation into this store.
        builder.Services.Replace(ServiceDescriptor.Singleton<IMergeReview>(sp =>
            new SqliteMergeReview(sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<ILinkReview>(sp =>
            new SqliteLinkReview(sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<Consent.IAuditSink>(sp =>
            new SqliteAuditLog(sp.GetRequiredService<IOptions<SqliteEhrStoreOptions>>(), sp.GetService<TimeProvider>())));
        return builder;
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
