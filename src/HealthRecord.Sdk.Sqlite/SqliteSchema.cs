using System.Globalization;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Storage;
using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.Sqlite;

/// <summary>
/// The store's schema: its mark (<c>PRAGMA application_id</c> and the <c>ehr_schema</c> table), and the forward
/// migrations that build it, each run once, in order, in one transaction with the version bump.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The <c>PRAGMA application_id</c> of a HealthRecord store: "HRec" in ASCII.</summary>
    public const int ApplicationId = 0x48526563;

    /// <summary>The schema version this SDK writes and reads.</summary>
    public const int CurrentVersion = 3;

    /// <summary>The tables a store (of any version) may hold; a file holding others is another application's.</summary>
    private static readonly HashSet<string> OurTables = new(StringComparer.OrdinalIgnoreCase)
    {
        "ehr_schema", "ehr_versions", "ehr_person_patients", "ehr_link_decisions", "ehr_link_pending", "ehr_merge_overrides",
        "ehr_audit_events", "sqlite_sequence", "ehr_person_patients_v1", "ehr_person_identity", "ehr_identity_keys",
    };

    // Migration N takes a store from version N-1 to N. Never edit a shipped migration: add the next one.
    private static readonly string[] Migrations =
    [
        // 1: versions, linked patients, reviewers' answers (the layout of the first release; IF NOT EXISTS so a
        // store from before the marks, whose tables each owner created on first use, is completed in place).
        """
        CREATE TABLE IF NOT EXISTS ehr_schema (version INTEGER NOT NULL);
        INSERT INTO ehr_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM ehr_schema);
        CREATE TABLE IF NOT EXISTS ehr_versions (
            person_id     TEXT    NOT NULL,
            version       INTEGER NOT NULL,
            saved_at      TEXT    NOT NULL,
            record_count  INTEGER NOT NULL,
            content_hash  TEXT    NOT NULL,
            sources       TEXT    NOT NULL,
            bundle_json   BLOB    NOT NULL,
            details_json  BLOB    NOT NULL,
            PRIMARY KEY (person_id, version)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ehr_person_patients (
            patient_key   TEXT    NOT NULL,
            person_id     TEXT    NOT NULL,
            PRIMARY KEY (patient_key, person_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ehr_link_decisions (
            left_key    TEXT NOT NULL,
            right_key   TEXT NOT NULL,
            decision    TEXT NOT NULL,
            decided_at  TEXT NOT NULL,
            PRIMARY KEY (left_key, right_key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ehr_link_pending (
            left_key    TEXT NOT NULL,
            right_key   TEXT NOT NULL,
            link_json   TEXT NOT NULL,
            PRIMARY KEY (left_key, right_key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ehr_merge_overrides (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            kind         TEXT    NOT NULL,
            records      TEXT    NOT NULL,
            reason       TEXT,
            recorded_at  TEXT    NOT NULL,
            UNIQUE (kind, records)
        );
        """,

        // 2: source records kept with each version; one person per source patient (claimed inside the save's
        // transaction); AuditEvents of disclosures.
        """
        ALTER TABLE ehr_versions ADD COLUMN source_records BLOB NOT NULL DEFAULT x'';
        ALTER TABLE ehr_person_patients RENAME TO ehr_person_patients_v1;
        CREATE TABLE ehr_person_patients (
            patient_key   TEXT    NOT NULL PRIMARY KEY,
            person_id     TEXT    NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO ehr_person_patients (patient_key, person_id)
            SELECT patient_key, person_id FROM ehr_person_patients_v1 ORDER BY person_id;
        DROP TABLE ehr_person_patients_v1;
        CREATE INDEX ix_ehr_person_patients_person ON ehr_person_patients (person_id);
        CREATE TABLE ehr_audit_events (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            recorded_at  TEXT    NOT NULL,
            event_json   TEXT    NOT NULL
        );
        """,

        // 3: persons found again by identity evidence, whatever their sources were named (IPersonIdentityIndex): each
        // person's identifying Patients and the hashed identifying keys of them, written inside the save's transaction.
        """
        CREATE TABLE ehr_person_identity (
            person_id     TEXT    NOT NULL PRIMARY KEY,
            patients_json TEXT    NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE ehr_identity_keys (
            identity_key  TEXT    NOT NULL,
            person_id     TEXT    NOT NULL,
            PRIMARY KEY (identity_key, person_id)
        ) WITHOUT ROWID;
        CREATE INDEX ix_ehr_identity_keys_person ON ehr_identity_keys (person_id);
        """,
    ];

    /// <summary>How a file's schema compares with this SDK's.</summary>
    public enum State
    {
        /// <summary>The current version.</summary>
        Current,

        /// <summary>An older version (or a store from before the marks): a forward migration is due.</summary>
        Older,
    }

    /// <summary>Checks the marks without writing anything (read-only connections).</summary>
    /// <exception cref="EhrStoreException">The file is not a store, or a newer SDK wrote it.</exception>
    public static async Task<State> CheckAsync(SqliteConnection connection, string name, CancellationToken cancellationToken)
    {
        var version = await ReadVersionAsync(connection, name, creating: false, cancellationToken).ConfigureAwait(false);
        return version == CurrentVersion ? State.Current : State.Older;
    }

    /// <summary>Brings a store (or a new, empty file being created) to <see cref="CurrentVersion"/>.</summary>
    /// <exception cref="EhrStoreException">The file is not a store, or a newer SDK wrote it; the file was left untouched.</exception>
    public static async Task MigrateAsync(SqliteConnection connection, string name, CancellationToken cancellationToken, bool creating = false)
    {
        var version = await ReadVersionAsync(connection, name, creating, cancellationToken).ConfigureAwait(false);
        if (version == CurrentVersion)
        {
            return;
        }

        // The store is ours (checked above): WAL lets readers work beside a writer. Not allowed inside a transaction.
        await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
        using var tx = connection.BeginTransaction(deferred: false);

        // Another process may have migrated while this one waited for the lock.
        version = await ReadVersionAsync(connection, name, creating, cancellationToken, tx).ConfigureAwait(false);
        for (var next = version + 1; next <= CurrentVersion; next++)
        {
            await ExecuteAsync(connection, tx, Migrations[next - 1], cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(
            connection,
            tx,
            $"UPDATE ehr_schema SET version = {CurrentVersion.ToString(CultureInfo.InvariantCulture)}; PRAGMA application_id = {ApplicationId.ToString(CultureInfo.InvariantCulture)};",
            cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    // The schema version of a store; 0 for a file being created. Reads only.
    private static async Task<int> ReadVersionAsync(SqliteConnection connection, string name, bool creating, CancellationToken cancellationToken, SqliteTransaction? tx = null)
    {
        var applicationId = Convert.ToInt32(await ScalarAsync(connection, tx, "PRAGMA application_id", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        var tables = new List<string>();
        using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tables.Add(reader.GetString(0));
            }
        }

        if (applicationId != ApplicationId && applicationId != 0)
        {
            throw new EhrStoreException(
                EhrStoreErrorKind.NotAStore,
                $"{name} is another application's SQLite database (application_id 0x{applicationId:X8}); it was left untouched. Name a new file for the store.");
        }

        if (applicationId == 0)
        {
            if (tables.Count == 0 && creating)
            {
                return 0;
            }

            if (tables.Count == 0)
            {
                throw new EhrStoreException(
                    EhrStoreErrorKind.NotAStore,
                    $"{name} is an empty file or database, not a HealthRecord store; it was left untouched. Delete it, or name a new file for the store.");
            }

            var foreign = tables.Where(t => !OurTables.Contains(t)).ToList();
            if (foreign.Count > 0 || !tables.Contains("ehr_versions", StringComparer.Ordinal))
            {
                throw new EhrStoreException(
                    EhrStoreErrorKind.NotAStore,
                    $"{name} is another application's SQLite database (tables: {string.Join(", ", tables.Take(5))}{(tables.Count > 5 ? ", …" : "")}); it was left untouched. Name a new file for the store.");
            }
        }

        if (!tables.Contains("ehr_schema", StringComparer.Ordinal))
        {
            if (applicationId == ApplicationId)
            {
                throw new EhrStoreException(EhrStoreErrorKind.Damaged, $"{name} is marked as a store but has no schema table; restore it from a backup.");
            }

            return 0; // a store from before the marks, whose schema table was never created
        }

        var version = Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT MAX(version) FROM ehr_schema", cancellationToken).ConfigureAwait(false) ?? 0, CultureInfo.InvariantCulture);
        if (version > CurrentVersion)
        {
            throw new EhrStoreException(
                EhrStoreErrorKind.SchemaTooNew,
                $"{name} has schema version {version}; this version of HealthRecord.Sdk reads up to version {CurrentVersion}. Update the SDK.");
        }

        return version;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        var value = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
