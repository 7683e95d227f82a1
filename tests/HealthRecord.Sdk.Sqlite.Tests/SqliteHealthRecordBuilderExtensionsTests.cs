using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HealthRecord.Sdk.Sqlite.Tests;

/// <summary>The registration rules of <c>UseSqliteStore</c>: one store, and a host's reviewer services are never replaced.</summary>
public sealed class SqliteHealthRecordBuilderExtensionsTests : IDisposable
{
    private readonly TempFolder _tmp = TestHost.TempFolder();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    [Fact]
    public void UseSqliteStore_AddHealthRecordAgainWithAnotherFile_IsRefusedNamingBoth()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.UseSqliteStore($"Data Source={_tmp.File("a.db")}"));

        var ex = Assert.Throws<HealthRecordConfigurationException>(() => services.AddHealthRecord(hr => hr.UseSqliteStore($"Data Source={_tmp.File("b.db")}")));

        Assert.Contains(_tmp.File("a.db"), ex.Message, StringComparison.Ordinal);
        Assert.Contains(_tmp.File("b.db"), ex.Message, StringComparison.Ordinal);
        using var sp = services.BuildServiceProvider();
        Assert.Equal(_tmp.File("a.db"), Assert.IsType<SqliteEhrStore>(Assert.Single(sp.GetServices<IEhrStore>())).DataSource);
    }

    [Fact]
    public void UseSqliteStore_SameFileTwice_RegistersOneStore()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.UseSqliteStore($"Data Source={_tmp.File("a.db")}"));
        services.AddHealthRecord(hr => hr.UseSqliteStore(o => o.ConnectionString = $"Data Source={_tmp.File("a.db")}"));
        using var sp = services.BuildServiceProvider();

        Assert.IsType<SqliteEhrStore>(Assert.Single(sp.GetServices<IEhrStore>()));
        Assert.IsType<SqliteLinkReview>(Assert.Single(sp.GetServices<ILinkReview>()));
        Assert.IsType<SqliteMergeReview>(Assert.Single(sp.GetServices<IMergeReview>()));
        Assert.IsType<SqliteAuditLog>(Assert.Single(sp.GetServices<IAuditSink>()));
    }

    [Fact]
    public void UseSqliteStore_AfterTheInMemoryStore_IsRefused()
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<HealthRecordConfigurationException>(() => services.AddHealthRecord(hr => hr.UseInMemoryStore().UseSqliteStore($"Data Source={_tmp.File("a.db")}")));

        Assert.Contains("UseStore<InMemoryEhrStore>()", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SQLite", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseSqliteStore_HostRegisteredReviewers_KeepsTheHosts()
    {
        var links = new InMemoryLinkReview();
        var merges = new InMemoryMergeReview();
        var audit = new InMemoryAuditSink();
        var services = new ServiceCollection();
        services.AddSingleton<IAuditSink>(audit);
        services.AddHealthRecord(hr => hr.UseLinkReview<InMemoryLinkReview>());
        services.AddSingleton<IMergeReview>(merges);
        services.AddHealthRecord(hr => hr.UseSqliteStore($"Data Source={_tmp.File("a.db")}"));
        services.Replace(ServiceDescriptor.Singleton<ILinkReview>(links));
        using var sp = services.BuildServiceProvider();

        Assert.IsType<SqliteEhrStore>(sp.GetRequiredService<IEhrStore>());
        Assert.Same(links, sp.GetRequiredService<ILinkReview>());
        Assert.Same(merges, sp.GetRequiredService<IMergeReview>());
        Assert.Same(audit, sp.GetRequiredService<IAuditSink>());
    }

    [Fact]
    public void UseSqliteStore_HostLinkReviewBeforeTheStore_IsNotReplaced()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.UseLinkReview<InMemoryLinkReview>().UseSqliteStore($"Data Source={_tmp.File("a.db")}"));
        using var sp = services.BuildServiceProvider();

        Assert.IsType<InMemoryLinkReview>(Assert.Single(sp.GetServices<ILinkReview>()));
        Assert.IsType<SqliteMergeReview>(Assert.Single(sp.GetServices<IMergeReview>()));
    }
}
