using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace HealthRecord.Sdk.PostgreSql.Tests;

/// <summary>The registration rules of <c>UsePostgreSqlStore</c> (no server needed: nothing is resolved that connects).</summary>
public class PostgreSqlHealthRecordBuilderExtensionsTests
{
    private const string Server = "Host=db.example;Port=5433;Database=ehr;Username=hr;Password=secret-word";

    [Fact]
    public void UsePostgreSqlStore_AnotherSchemaOrStore_IsRefusedNamingBothWithoutSecrets()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.UsePostgreSqlStore(Server, "first"));

        var schema = Assert.Throws<HealthRecordConfigurationException>(() => services.AddHealthRecord(hr => hr.UsePostgreSqlStore(Server, "second")));
        var memory = Assert.Throws<HealthRecordConfigurationException>(() => services.AddHealthRecord(hr => hr.UseInMemoryStore()));

        Assert.Contains("schema 'first' of database 'ehr' on db.example:5433", schema.Message, StringComparison.Ordinal);
        Assert.Contains("schema 'second'", schema.Message, StringComparison.Ordinal);
        Assert.Contains("UseStore<InMemoryEhrStore>()", memory.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-word", schema.Message, StringComparison.Ordinal);
        Assert.Single(services, d => d.ServiceType == typeof(IEhrStore));
    }

    [Fact]
    public void UsePostgreSqlStore_SameStoreTwice_RegistersItOnce()
    {
        var services = new ServiceCollection();
        services.AddHealthRecord(hr => hr.UsePostgreSqlStore(Server, "first").UsePostgreSqlStore(Server, "first"));

        Assert.Single(services, d => d.ServiceType == typeof(IEhrStore));
        Assert.Single(services, d => d.ServiceType == typeof(PostgreSqlDatabase));
        Assert.Single(services, d => d.ServiceType == typeof(ILinkReview));
    }

    [Fact]
    public void UsePostgreSqlStore_HostRegisteredReviewers_KeepsTheHosts()
    {
        var links = new InMemoryLinkReview();
        var merges = new InMemoryMergeReview();
        var services = new ServiceCollection();
        services.AddSingleton<ILinkReview>(links);
        services.AddHealthRecord(hr => hr.UsePostgreSqlStore(Server).UseMergeReviewInstance(merges));
        using var sp = services.BuildServiceProvider();

        Assert.Same(links, sp.GetRequiredService<ILinkReview>());
        Assert.Same(merges, sp.GetRequiredService<IMergeReview>());
    }
}

internal static class MergeReviewRegistration
{
    // A host registering its own merge review after the store, through the service collection.
    public static IHealthRecordBuilder UseMergeReviewInstance(this IHealthRecordBuilder builder, IMergeReview review)
    {
        builder.Services.AddSingleton(review);
        return builder;
    }
}
