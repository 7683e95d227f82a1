using System.Globalization;

namespace HealthRecord.Sdk.PostgreSql;

/// <summary>The store's tables, built by forward migrations (never edit a shipped one: add the next).</summary>
internal static class PostgreSqlSchema
{
    /// <summary>The schema version this SDK writes and reads.</summary>
    public const int CurrentVersion = 2;

    /// <summary>The advisory lock migrators take ("HRecMigr").</summary>
    public const long MigrationLock = 0x4852_6563_4D69_6772;

    /// <summary>The SQL of migration <paramref name="version"/> (from version - 1), for tables in <paramref name="schema"/>.</summary>
    public static string Migration(int version, string schema) => version switch
    {
        // 1: persons with their latest version (the row writers of one person serialise on), every version with its
        // exact documents, every EHR record of every version as jsonb (for queries), one person per source patient,
        // reviewers' answers and AuditEvents. Every table carries person_id where it can, the distribution column
        // a Citus deployment shards on.
        1 => $"""
            CREATE TABLE {schema}.ehr_persons (
                person_id       text        NOT NULL PRIMARY KEY,
                latest_version  integer     NOT NULL,
                latest_hash     text        NOT NULL,
                updated_at      timestamptz NOT NULL
            );
            CREATE TABLE {schema}.ehr_versions (
                person_id       text        NOT NULL,
                version         integer     NOT NULL,
                saved_at        timestamptz NOT NULL,
                record_count    integer     NOT NULL,
                content_hash    text        NOT NULL,
                sources         jsonb       NOT NULL,
                bundle_json     bytea       NOT NULL,
                details_json    bytea       NOT NULL,
                source_records  bytea       NOT NULL,
                PRIMARY KEY (person_id, version)
            );
            CREATE TABLE {schema}.ehr_records (
                person_id       text        NOT NULL,
                version         integer     NOT NULL,
                reference       text        NOT NULL,
                resource_type   text        NOT NULL,
                resource        jsonb       NOT NULL,
                PRIMARY KEY (person_id, version, reference)
            );
            CREATE INDEX ix_ehr_records_type ON {schema}.ehr_records (resource_type, person_id);
            CREATE TABLE {schema}.ehr_person_patients (
                patient_key     text        NOT NULL PRIMARY KEY,
                person_id       text        NOT NULL
            );
            CREATE INDEX ix_ehr_person_patients_person ON {schema}.ehr_person_patients (person_id);
            CREATE TABLE {schema}.ehr_link_decisions (
                left_key        text        NOT NULL,
                right_key       text        NOT NULL,
                decision        text        NOT NULL,
                decided_at      timestamptz NOT NULL,
                PRIMARY KEY (left_key, right_key)
            );
            CREATE TABLE {schema}.ehr_link_pending (
                left_key        text        NOT NULL,
                right_key       text        NOT NULL,
                link_json       jsonb       NOT NULL,
                PRIMARY KEY (left_key, right_key)
            );
            CREATE TABLE {schema}.ehr_merge_overrides (
                seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind            text        NOT NULL,
                records         text        NOT NULL,
                reason          text,
                recorded_at     timestamptz NOT NULL,
                UNIQUE (kind, records)
            );
            CREATE TABLE {schema}.ehr_audit_events (
                seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                recorded_at     timestamptz NOT NULL,
                event           jsonb       NOT NULL
            );
            """,

        // 2: persons found again by identity evidence, whatever their sources were named (IPersonIdentityIndex): each
        // person's identifying Patients and the hashed identifying keys of them, written inside the save's transaction.
        2 => $"""
            CREATE TABLE {schema}.ehr_person_identity (
                person_id       text        NOT NULL PRIMARY KEY,
                patients        text        NOT NULL
            );
            CREATE TABLE {schema}.ehr_identity_keys (
                identity_key    text        NOT NULL,
                person_id       text        NOT NULL,
                PRIMARY KEY (identity_key, person_id)
            );
            CREATE INDEX ix_ehr_identity_keys_person ON {schema}.ehr_identity_keys (person_id);
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version.ToString(CultureInfo.InvariantCulture)),
    };
}
