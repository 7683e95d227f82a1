using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.Sqlite;

/// <summary>
/// Opens pooled connections to the store's file with its busy timeout, and runs a schema step once per
/// instance (the first time a connection opens), so every table owner initialises the same way.
/// </summary>
internal sealed class SqliteDatabase(SqliteEhrStoreOptions options, Func<SqliteConnection, CancellationToken, Task> initialise)
{
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialised;

    /// <summary>The database file, as the connection string names it.</summary>
    public string DataSource => new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;

    /// <summary>Opens a connection (the caller disposes it), initialising the schema on first use.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!_initialised)
            {
                await InitialiseAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task InitialiseAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialised)
            {
                await initialise(connection, cancellationToken).ConfigureAwait(false);
                _initialised = true;
            }
        }
        finally
        {
            _initLock.Release();
        }
    }
}
