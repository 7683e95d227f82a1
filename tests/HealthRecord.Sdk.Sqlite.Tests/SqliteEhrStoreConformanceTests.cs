using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.TestSupport.Storage;
using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.Sqlite.Tests;

/// <summary>The store contract (<see cref="EhrStoreConformanceTests"/>) on <see cref="SqliteEhrStore"/>: every Open is a new instance over one file.</summary>
public sealed class SqliteEhrStoreConformanceTests : EhrStoreConformanceTests, IDisposable
{
    private readonly TempFolder _tmp = TestHost.TempFolder();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    protected override StoreSet Open()
    {
        var cs = $"Data Source={_tmp.File("ehr.db")}";
        return new StoreSet(new SqliteEhrStore(cs), new SqliteMergeReview(cs), new SqliteLinkReview(cs), new SqliteAuditLog(cs));
    }
}
