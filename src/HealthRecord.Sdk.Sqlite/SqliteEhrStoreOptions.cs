using FluentValidation;

namespace HealthRecord.Sdk.Sqlite;

/// <summary>Options for <see cref="SqliteEhrStore"/>.</summary>
public sealed class SqliteEhrStoreOptions
{
    /// <summary>The ADO.NET connection string, e.g. <c>Data Source=ehr.db</c>.</summary>
    /// <value>The default is <c>Data Source=healthrecord.db</c>.</value>
    public string ConnectionString { get; set; } = "Data Source=healthrecord.db";

    /// <summary>How long a writer waits for another writer's lock before failing.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Validates <see cref="SqliteEhrStoreOptions"/>.</summary>
public sealed class SqliteEhrStoreOptionsValidator : AbstractValidator<SqliteEhrStoreOptions>
{
    /// <summary>Creates the validator.</summary>
    public SqliteEhrStoreOptionsValidator()
    {
        RuleFor(o => o.ConnectionString).NotEmpty()
            .Must(cs =>
            {
                try
                {
                    return !string.IsNullOrEmpty(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(cs).DataSource);
                }
                catch (ArgumentException)
                {
                    return false;
                }
            })
            .WithMessage("ConnectionString must be a SQLite connection string with a Data Source, e.g. 'Data Source=ehr.db'.");
        RuleFor(o => o.BusyTimeout).GreaterThan(TimeSpan.Zero);
    }
}
