namespace HealthRecord.Sdk.Storage;

/// <summary>What kind of failure an <see cref="Errors.EhrStoreException"/> reports. Values never change meaning once shipped.</summary>
public enum EhrStoreErrorKind
{
    /// <summary>A failure not listed below.</summary>
    Failed = 0,

    /// <summary>The store cannot be reached or opened (missing folder, server down, refused login).</summary>
    Unavailable = 1,

    /// <summary>The file or database is not a HealthRecord store (empty of our marks, another application's data, not a database at all); it was left untouched.</summary>
    NotAStore = 2,

    /// <summary>The store is read-only (file permissions, read-only mount) and a write was asked for.</summary>
    ReadOnly = 3,

    /// <summary>The disk or quota is full; nothing was written.</summary>
    Full = 4,

    /// <summary>Another writer held the store for longer than the configured timeout.</summary>
    Busy = 5,

    /// <summary>The store was written by a newer version of the SDK (a schema this version does not know).</summary>
    SchemaTooNew = 6,

    /// <summary>What the store holds is damaged (failed integrity or could not be read back).</summary>
    Damaged = 7,

    /// <summary>The person or version asked for is not in the store.</summary>
    NotFound = 8,

    /// <summary>The person's latest version is not the one the caller read (<see cref="IVersionedEhrStore"/>): another writer saved first; read again and retry.</summary>
    Conflict = 9,
}
