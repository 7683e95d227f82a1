using HealthRecord.Sdk.Errors;
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

    /// <summary>Runs work on a fresh connection; a SQLite failure becomes an <see cref="EhrStoreException"/> naming what was being done.</summary>
    /// <param name="what">What the work reads or writes, for the error message (e.g. "the merge decisions").</param>
    /// <param name="work">The work.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task RunAsync(string what, Func<SqliteConnection, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await work(connection).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new EhrStoreException($"{what} in {DataSource} could not be read or written: {ex.Message}", ex);
        }
    }

    /// <summary>Reads the rows of a query, mapping each (a row mapped to <see langword="null"/> is skipped).</summary>
    /// <param name="what">What the query reads, for the error message.</param>
    /// <param name="sql">The query.</param>
    /// <param name="map">Maps a row.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The mapped rows, in the query's order.</returns>
    public async Task<List<T>> QueryAsync<T>(string what, string sql, Func<SqliteDataReader, T?> map, CancellationToken cancellationToken)
        where T : class
    {
        var rows = new List<T>();
        await RunAsync(
            what,
            async connection =>
            {
                using var cmd = connection.CreateCommand();
                cmd.CommandText = sql;
                using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (map(reader) is { } row)
                    {
                        rows.Add(row);
                    }
                }
            },
            cancellationToken).ConfigureAwait(false);
        return rows;
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
