using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Storage;
using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.Sqlite;

/// <summary>
/// The store's file: opens pooled connections with its busy timeout, creates a new store (marked with
/// <see cref="SqliteSchema.ApplicationId"/>), migrates an older one forward, and refuses files that are not a
/// store without changing them. Writes open read-write and run the schema step once per instance; reads open
/// read-only and take no write lock (they only check the marks).
/// </summary>
internal sealed class SqliteDatabase(SqliteEhrStoreOptions options)
{
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _writable;
    private volatile bool _readable;

    /// <summary>The database file, as the connection string names it.</summary>
    public string DataSource => new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;

    private string Name => $"The SQLite store '{DataSource}'";

    /// <summary>
    /// Test seam: caps every write connection's database size (<c>PRAGMA max_page_count</c>), so a full disk can be
    /// simulated where no small file system can be mounted. Never set by the SDK.
    /// </summary>
    internal long? MaxPageCount { get; set; }

    /// <summary>Opens a read-write connection (the caller disposes it), creating or migrating the store on first use.</summary>
    public async Task<SqliteConnection> OpenWriteAsync(CancellationToken cancellationToken)
    {
        var builder = Builder();
        if (builder.Mode is SqliteOpenMode.ReadOnly)
        {
            throw new EhrStoreException(EhrStoreErrorKind.ReadOnly, $"{Name} is opened read-only (Mode=ReadOnly); nothing was written.");
        }

        if (!_writable)
        {
            await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_writable)
                {
                    await CreateIfMissingAsync(cancellationToken).ConfigureAwait(false);
                    builder.Mode = SqliteOpenMode.ReadWrite;
                    var setup = new SqliteConnection(builder.ToString());
                    await using var _ = setup.ConfigureAwait(false);
                    await setup.OpenAsync(cancellationToken).ConfigureAwait(false);
                    await SqliteSchema.MigrateAsync(setup, Name, cancellationToken).ConfigureAwait(false);
                    _writable = _readable = true;
                }
            }
            finally
            {
                _initLock.Release();
            }
        }

        builder.Mode = SqliteOpenMode.ReadWrite;
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (MaxPageCount is { } pages)
            {
                using var cap = connection.CreateCommand();
                cap.CommandText = $"PRAGMA max_page_count = {pages}";
                await cap.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens a read-only connection, or returns <see langword="null"/> when there is no store yet (no file, or a
    /// file without our tables). Takes no write lock, except once to migrate a store an older SDK wrote.
    /// </summary>
    public async Task<SqliteConnection?> OpenReadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.GetFullPath(DataSource)))
        {
            return null;
        }

        var builder = Builder();
        builder.Mode = SqliteOpenMode.ReadOnly;
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!_readable)
            {
                switch (await SqliteSchema.CheckAsync(connection, Name, cancellationToken).ConfigureAwait(false))
                {
                    case SqliteSchema.State.Current:
                        _readable = true;
                        break;
                    case SqliteSchema.State.Older:
                        // A one-time forward migration (a write); later reads are read-only again.
                        await connection.DisposeAsync().ConfigureAwait(false);
                        (await OpenWriteAsync(cancellationToken).ConfigureAwait(false)).Dispose();
                        return await OpenReadAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs work on a fresh read-write connection; a SQLite failure becomes a typed <see cref="EhrStoreException"/>.</summary>
    /// <param name="what">What the work writes, for the error message (e.g. "saving the merge decisions").</param>
    /// <param name="work">The work.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task RunAsync(string what, Func<SqliteConnection, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await OpenWriteAsync(cancellationToken).ConfigureAwait(false);
            await work(connection).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, what, writing: true);
        }
    }

    /// <summary>Runs work on a read-only connection, or returns <paramref name="empty"/> when there is no store yet.</summary>
    /// <param name="what">What the work reads, for the error message.</param>
    /// <param name="work">The work.</param>
    /// <param name="empty">The answer when there is no store.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The answer.</returns>
    public async Task<T> ReadAsync<T>(string what, Func<SqliteConnection, Task<T>> work, T empty, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
            return connection is null ? empty : await work(connection).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, what, writing: false);
        }
    }

    /// <summary>Reads the rows of a query, mapping each (a row mapped to <see langword="null"/> is skipped); no rows when there is no store.</summary>
    /// <param name="what">What the query reads, for the error message.</param>
    /// <param name="sql">The query.</param>
    /// <param name="map">Maps a row.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The mapped rows, in the query's order.</returns>
    public Task<List<T>> QueryAsync<T>(string what, string sql, Func<SqliteDataReader, T?> map, CancellationToken cancellationToken)
        where T : class =>
        ReadAsync(
            what,
            async connection =>
            {
                var rows = new List<T>();
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

                return rows;
            },
            [],
            cancellationToken);

    /// <summary>A SQLite failure as a typed store error that names the store and what was being done.</summary>
    /// <param name="ex">The failure.</param>
    /// <param name="what">What was being done (e.g. "saving person X").</param>
    /// <param name="writing">Whether it was a write (then nothing was written).</param>
    /// <returns>The error to throw.</returns>
    public EhrStoreException Translate(SqliteException ex, string what, bool writing)
    {
        var nothing = writing ? "; nothing was written" : "";
        var folder = Path.GetDirectoryName(Path.GetFullPath(DataSource));
        return (ex.SqliteErrorCode & 0xFF) switch
        {
            26 => new EhrStoreException(EhrStoreErrorKind.NotAStore, $"{Name} is not a SQLite database (it was left untouched){nothing}.", ex),
            14 when folder is not null && !Directory.Exists(folder) => new EhrStoreException(EhrStoreErrorKind.Unavailable, $"{Name} cannot be opened: the folder '{folder}' does not exist{nothing}.", ex),
            14 => new EhrStoreException(EhrStoreErrorKind.Unavailable, $"{Name} cannot be opened while {what} (missing file or no permission){nothing}: {ex.Message}", ex),
            8 => new EhrStoreException(EhrStoreErrorKind.ReadOnly, $"{Name} is read-only (file permissions, a read-only mount, or Mode=ReadOnly){nothing}.", ex),
            13 => new EhrStoreException(EhrStoreErrorKind.Full, $"{Name}: the disk is full while {what}{nothing}.", ex),
            5 or 6 => new EhrStoreException(EhrStoreErrorKind.Busy, $"{Name} was locked by another writer for longer than the busy timeout ({options.BusyTimeout.TotalSeconds:0.#} s) while {what}{nothing}; try again, or raise BusyTimeout.", ex),
            11 => new EhrStoreException(EhrStoreErrorKind.Damaged, $"{Name} is damaged (database disk image is malformed) while {what}{nothing}; restore it from a backup.", ex),
            10 when DiskNearlyFull(folder) => new EhrStoreException(EhrStoreErrorKind.Full, $"{Name}: the disk is full while {what}{nothing}.", ex),
            _ => new EhrStoreException(EhrStoreErrorKind.Failed, $"{Name} failed while {what}{nothing}: {ex.Message}", ex),
        };
    }

    private static bool DiskNearlyFull(string? folder)
    {
        try
        {
            return folder is not null && new DriveInfo(folder).AvailableFreeSpace < 1024 * 1024;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private SqliteConnectionStringBuilder Builder() => new(options.ConnectionString)
    {
        DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
    };

    // A new store is built beside its final name and renamed into place, so the store's file exists only once it
    // is fully marked and initialised (a crash in between leaves a stray temporary file, never a half store).
    private async Task CreateIfMissingAsync(CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(DataSource);
        if (File.Exists(path))
        {
            return;
        }

        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            throw new EhrStoreException(EhrStoreErrorKind.Unavailable, $"{Name} cannot be created: the folder '{folder}' does not exist; nothing was written.");
        }

        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.creating");
        try
        {
            var builder = Builder();
            builder.DataSource = temp;
            builder.Mode = SqliteOpenMode.ReadWriteCreate;
            builder.Pooling = false;
            var connection = new SqliteConnection(builder.ToString());
            await using (connection.ConfigureAwait(false))
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await SqliteSchema.MigrateAsync(connection, Name, cancellationToken, creating: true).ConfigureAwait(false);
            }

            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created the store first: use theirs.
            }
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "creating the store", writing: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EhrStoreException(
                EhrStoreErrorKind.Unavailable, $"{Name} cannot be created in '{folder}': {ex.Message}; nothing was written.", ex);
        }
        finally
        {
            foreach (var leftover in new[] { temp, temp + "-wal", temp + "-shm", temp + "-journal" })
            {
                File.Delete(leftover);
            }
        }
    }
}
