using System.Text;
using System.Text.Json.Nodes;

namespace HealthRecord.Cli.Tests;

/// <summary>The CLI on hostile sources: one line per refused document, every printed value cut and on one line.</summary>
public class HostileInputTests : CliTestBase
{
    private static string Bundle(params JsonObject[] resources) => new JsonObject
    {
        ["resourceType"] = "Bundle",
        ["type"] = "collection",
        ["entry"] = new JsonArray(resources.Select(r => (JsonNode)new JsonObject { ["fullUrl"] = $"urn:uuid:{r["id"]}", ["resource"] = r }).ToArray()),
    }.ToJsonString();

    [Fact]
    public async Task Aggregate_HugeMultiLineValuesAndBadFiles_PrintsShortSingleLineValues()
    {
        var huge = "Diabetes\r\n\u001b[2J\u001b[31mRED\u202Eevil\t" + new string('x', 5_000_000);
        var folder = Path.Combine(Tmp.Path, "hostile");
        Directory.CreateDirectory(folder);
        var patient = new JsonObject
        {
            ["resourceType"] = "Patient", ["id"] = "p1", ["birthDate"] = "1970-01-01",
            ["name"] = new JsonArray(new JsonObject { ["family"] = "Doe\n" + new string('y', 100_000), ["given"] = new JsonArray("Jane") }),
        };
        var condition = new JsonObject
        {
            ["resourceType"] = "Condition", ["id"] = "c1",
            ["subject"] = new JsonObject { ["reference"] = "urn:uuid:p1" },
            ["clinicalStatus"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/condition-clinical", ["code"] = "active" }) },
            ["code"] = new JsonObject { ["text"] = huge },
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "a.json"), Bundle(patient, condition));
        await File.WriteAllBytesAsync(Path.Combine(folder, "b.json"), [.. "{\"resourceType\":\"Patient\",\"id\":\"q\",\"name\":[{\"family\":\""u8.ToArray(), 0xC3, 0x28, .. "\"}]}"u8.ToArray()]);
        await File.WriteAllTextAsync(Path.Combine(folder, "c.hl7"), "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rPID|1||" + new string('z', 1000) + "\nmore\u001b[0m");

        var (exit, output) = await RunAsync("aggregate", "--source", $"hostile={folder}");

        Assert.True(output.Length < 40_000, $"The output is {output.Length:N0} characters long.");
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u202E', output);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.Contains("Diabetes⏎", output, StringComparison.Ordinal);
        Assert.Contains("characters)", output, StringComparison.Ordinal);
        var issue = Assert.Single(output.Split('\n'), l => l.Contains("b.json", StringComparison.Ordinal) && l.Contains("MalformedContent", StringComparison.Ordinal));
        Assert.Contains("UTF-8", issue, StringComparison.Ordinal);
        Assert.InRange(exit, 0, 2);
    }
}
