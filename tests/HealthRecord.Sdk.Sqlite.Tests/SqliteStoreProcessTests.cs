using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using HealthRecord.Sdk.TestSupport.Storage;
using Microsoft.Data.Sqlite;

namespace HealthRecord.Sdk.Sqlite.Tests;

/// <summary>Crash and concurrency tests (<see cref="StoreProcessTests"/>) on one SQLite file.</summary>
public sealed class SqliteStoreProcessTests : StoreProcessTests, IDisposable
{
    private readonly TempFolder _tmp = TestHost.TempFolder();

    protected override string WorkerStore => "sqlite:" + _tmp.File("ehr.db");

    protected override IEhrStore OpenStore() => new SqliteEhrStore($"Data Source={_tmp.File("ehr.db")}");

    protected override void Release() => SqliteConnection.ClearAllPools();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }
}
