using System.Net.Sockets;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Storage;
using Npgsql;

namespace HealthRecord.Sdk.PostgreSql;

/// <summary>
/// The store's database: one <see cref="NpgsqlDataSource"/>, the store's own PostgreSQL schema (so it never touches
/// another application's tables), forward migrations run once under an advisory lock, and PostgreSQL failures
/// turned into typed <see cref="EhrStoreException"/>s that name the store.
/// </summary>
/// <remarks>Create it with <see cref="Create(string, string)"/> or <see cref="Create(NpgsqlDataSource, string)"/>; share one instance between the store and the reviews. Thread-safe.</remarks>
public sealed class PostgreSqlDatabase : IAsyncDisposable, IDisposable
{
    private readonly bool _ownsDataSource;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile int _state; // 0 unknown, 1 current

    internal PostgreSqlDatabase(NpgsqlDataSource dataSource, string schema, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrEmpty(schema);
        if (!schema.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') || char.IsAsciiDigit(schema[0]))
        {
            throw new ArgumentException("The schema name must be lowercase letters, digits and underscores, starting with a letter.", nameof(schema));
        }

        DataSource = dataSource;
        Schema = schema;
        _ownsDataSource = ownsDataSource;
    }

    /// <summary>The default PostgreSQL schema of the store's tables.</summary>
    public const string DefaultSchema = "healthrecord";

    /// <summary>A database over a connection string; it owns (and disposes) the data source it builds.</summary>
    /// <param name="connectionString">E.g. <c>Host=db;Database=ehr;Username=hr;Password=…</c>.</param>
    /// <param name="schema">The PostgreSQL schema of the store's tables (lowercase).</param>
    /// <returns>The database.</returns>
    public static PostgreSqlDatabase Create(string connectionString, string schema = DefaultSchema)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        NpgsqlDataSource dataSource;
        try
        {
            dataSource = NpgsqlDataSource.Create(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new HealthRecordConfigurationException($"The PostgreSQL connection string is not valid: {ex.Message}");
        }

        return new PostgreSqlDatabase(dataSource, schema, ownsDataSource: true);
    }

    /// <summary>A database over the host's data source (the host keeps owning it).</summary>
    /// <param name="dataSource">The data source.</param>
    /// <param name="schema">The PostgreSQL schema of the store's tables (lowercase).</param>
    /// <returns>The database.</returns>
    public static PostgreSqlDatabase Create(NpgsqlDataSource dataSource, string schema = DefaultSchema) => new(dataSource, schema, ownsDataSource: false);

    /// <summary>The data source connections come from.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The PostgreSQL schema holding the store's tables.</summary>
    public string Schema { get; }

    /// <summary>The store's name in messages: host, database and schema (never the password).</summary>
    public string Name
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(DataSource.ConnectionString);
            return $"The PostgreSQL store '{b.Host}:{b.Port}/{b.Database}' (schema {Schema})";
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            DataSource.Dispose();
        }

        _initLock.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }

        _initLock.Dispose();
    }

    /// <summary>Runs work that writes, on an open connection, with the schema migrated first.</summary>
    internal async Task<T> WriteAsync<T>(string what, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
            var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await work(connection).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw Translate(ex, what, writing: true);
        }
    }

    /// <summary>Runs work that reads; <paramref name="empty"/> when the store's schema does not exist yet (reads never create it).</summary>
    internal async Task<T> ReadAsync<T>(string what, Func<NpgsqlConnection, Task<T>> work, T empty, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (_state == 0)
                {
                    var version = await ReadVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
                    if (version is null)
                    {
                        return empty;
                    }

                    if (version < PostgreSqlSchema.CurrentVersion)
                    {
                        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
                    }

                    _state = 1;
                }

                return await work(connection).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw Translate(ex, what, writing: false);
        }
    }

    /// <summary>A qualified table name.</summary>
    internal string T(string table) => $"{Schema}.{table}";

    /// <summary>Brings the schema to the current version (idempotent; concurrent callers serialise on an advisory lock).</summary>
    /// <param name="cancellationToken">Cancels the migration.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    /// <exception cref="EhrStoreException">The schema is newer than this SDK, or the database failed.</exception>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw Translate(ex, "migrating the schema", writing: true);
        }
    }

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_state == 1)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state == 1)
            {
                return;
            }

            var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var version = await ReadVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
                if (version != PostgreSqlSchema.CurrentVersion)
                {
                    var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await using (tx.ConfigureAwait(false))
                    {
                        // One migrator of this schema at a time across every process; the others find the work done.
                        // (The key includes the schema: stores in other schemas of the database never wait for it.)
                        await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({PostgreSqlSchema.MigrationLock} # hashtextextended('{Schema}', 0))", cancellationToken).ConfigureAwait(false);
                        await ExecuteAsync(connection, tx, $"CREATE SCHEMA IF NOT EXISTS {Schema}", cancellationToken).ConfigureAwait(false);
                        await ExecuteAsync(connection, tx, $"CREATE TABLE IF NOT EXISTS {T("ehr_schema")} (version integer NOT NULL)", cancellationToken).ConfigureAwait(false);
                        version = await ReadVersionAsync(connection, tx, cancellationToken).ConfigureAwait(false) ?? 0;
                        for (var next = version.Value + 1; next <= PostgreSqlSchema.CurrentVersion; next++)
                        {
                            await ExecuteAsync(connection, tx, PostgreSqlSchema.Migration(next, Schema), cancellationToken).ConfigureAwait(false);
                        }

                        await ExecuteAsync(connection, tx, $"DELETE FROM {T("ehr_schema")}; INSERT INTO {T("ehr_schema")} (version) VALUES ({PostgreSqlSchema.CurrentVersion})", cancellationToken).ConfigureAwait(false);
                        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            _state = 1;
        }
        finally
        {
            _initLock.Release();
        }
    }

    // The schema version, or null when the store's schema does not exist. Throws when a newer SDK wrote it.
    private async Task<int?> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        using var cmd = new NpgsqlCommand($"SELECT to_regclass('{Schema}.ehr_schema') IS NOT NULL", connection, tx);
        if (!(bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            return null;
        }

        using var read = new NpgsqlCommand($"SELECT max(version) FROM {T("ehr_schema")}", connection, tx);
        var value = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        var version = value is int v ? v : 0;
        if (version > PostgreSqlSchema.CurrentVersion)
        {
            throw new EhrStoreException(
                EhrStoreErrorKind.SchemaTooNew,
                $"{Name} has schema version {version}; this version of HealthRecord.Sdk reads up to version {PostgreSqlSchema.CurrentVersion}. Update the SDK.");
        }

        return version;
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        using var cmd = new NpgsqlCommand(sql, connection, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A PostgreSQL failure as a typed store error naming the store and what was being done.</summary>
    internal EhrStoreException Translate(Exception ex, string what, bool writing)
    {
        var nothing = writing ? "; nothing was written" : "";
        var state = (ex as PostgresException)?.SqlState ?? (ex.InnerException as PostgresException)?.SqlState;
        return state switch
        {
            "53100" => new EhrStoreException(EhrStoreErrorKind.Full, $"{Name}: the server's disk is full while {what}{nothing}.", ex),
            "25006" or "42501" => new EhrStoreException(EhrStoreErrorKind.ReadOnly, $"{Name} is read-only for this login while {what}{nothing}: {ex.Message}", ex),
            "55P03" or "57014" or "40P01" or "40001" => new EhrStoreException(EhrStoreErrorKind.Busy, $"{Name} stayed busy (locks held by other writers, or the command timed out) while {what}{nothing}; try again.", ex),
            "XX001" or "XX002" => new EhrStoreException(EhrStoreErrorKind.Damaged, $"{Name} reports damaged data while {what}{nothing}: {ex.Message}", ex),
            { } s when s.StartsWith("08", StringComparison.Ordinal) || s.StartsWith("28", StringComparison.Ordinal) || s.StartsWith("3D", StringComparison.Ordinal) || s.StartsWith("57P", StringComparison.Ordinal) =>
                new EhrStoreException(EhrStoreErrorKind.Unavailable, $"{Name} cannot be reached while {what}{nothing}: {ex.Message}", ex),
            null when ex is SocketException or TimeoutException || ex.InnerException is SocketException or TimeoutException || ex is NpgsqlException { IsTransient: true } =>
                new EhrStoreException(EhrStoreErrorKind.Unavailable, $"{Name} cannot be reached while {what}{nothing}: {ex.Message}", ex),
            _ => new EhrStoreException(EhrStoreErrorKind.Failed, $"{Name} failed while {what}{nothing}: {ex.Message}", ex),
        };
    }
}
