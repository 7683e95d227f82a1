using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Tests.Export;

public class LineageCsvTests
{
    [Fact]
    public async Task WriteAsync_WritesContractColumnsAndQuotesWhereNeeded()
    {
        var rows = new[]
        {
            new LineageEntry("p2", "lab", "Observation/2", null, LineageAction.Rejected, "Observation.code is missing, so \"what\" is unknown."),
            new LineageEntry("p1", "clinic", "Condition/1", "Condition/x", LineageAction.Merged, "same-identifier"),
        };
        using var writer = new StringWriter();

        await LineageCsv.WriteAsync(rows, writer);

        Assert.Equal(
            "person,source,source_resource,ehr_resource,action,reason\n"
            + "p1,clinic,Condition/1,Condition/x,merged,same-identifier\n"
            + "p2,lab,Observation/2,,rejected,\"Observation.code is missing, so \"\"what\"\" is unknown.\"\n",
            writer.ToString());
    }
}
