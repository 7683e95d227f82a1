using CsCheck;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.Sources;

namespace HealthRecord.Sdk.Tests.Aggregation;

public sealed class RecordGraphTests
{
    // Short fields over an alphabet around the separator (U+001F), so prefixes and separators inside fields are common.
    private static readonly Gen<string> Field = Gen.String[Gen.Char["\u001e\u001f\u0020aAb"], 0, 4];

    private static readonly Gen<SourceRecord> Records =
        from source in Field
        from type in Field
        from id in Field
        from location in Field
        select new SourceRecord { SourceName = source, ResourceType = type, ResourceId = id, Location = location };

    [Fact]
    public void CanonicalOrder_AgreesWithTheJoinedText_OnGeneratedRecords() =>
        Gen.Select(Records, Records).Sample((x, y) =>
            Assert.Equal(Math.Sign(string.CompareOrdinal(Joined(x), Joined(y))), Math.Sign(RecordGraph.CanonicalOrder.Instance.Compare(x, y))), iter: 50_000);

    [Fact]
    public void CanonicalOrder_FieldThatIsAPrefix_ComesFirst()
    {
        var shorter = new SourceRecord { SourceName = "emr", ResourceType = "Observation", ResourceId = "1", Location = "b" };
        var longer = new SourceRecord { SourceName = "emr", ResourceType = "Observation", ResourceId = "10", Location = "a" };
        Assert.True(RecordGraph.CanonicalOrder.Instance.Compare(shorter, longer) < 0);
        Assert.True(RecordGraph.CanonicalOrder.Instance.Compare(longer, shorter) > 0);
    }

    private static string Joined(SourceRecord r) => string.Join('\u001f', r.SourceName, r.ResourceType, r.ResourceId, r.Location);
}
