using HealthRecord.Sdk.Deduplication;
using HealthRecord.Sdk.Identity;
using HealthRecord.Sdk.Storage;
using HealthRecord.Sdk.TestSupport.Storage;

namespace HealthRecord.Sdk.Tests.Storage;

/// <summary>The store contract (<see cref="EhrStoreConformanceTests"/>) on <see cref="InMemoryEhrStore"/>.</summary>
public sealed class InMemoryEhrStoreConformanceTests : EhrStoreConformanceTests
{
    private readonly StoreSet _stores = new(new InMemoryEhrStore(), new InMemoryMergeReview(), new InMemoryLinkReview(), new InMemoryEhrAuditLog());

    protected override StoreSet Open() => _stores;
}
