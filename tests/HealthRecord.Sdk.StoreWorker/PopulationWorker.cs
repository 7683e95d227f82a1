using System.Globalization;
using HealthRecord.Sdk.Aggregation;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.PostgreSql;
using HealthRecord.Sdk.Sources;
using HealthRecord.Sdk.Sqlite;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// A worker of a population run split across processes (<see cref="AggregationRequest.Shard"/>):
/// <c>storeworker population STORE SHARD NAME=PATH…</c>, STORE as for the update workers, SHARD <c>i/n</c> or <c>-</c>
/// (everyone). Prints <c>saved PERSON VERSION RECORDS</c> per person saved (RECORDS: EHR records, the golden Patient
/// excluded) and <c>done PERSONS</c> at the end. <c>STOREWORKER_PAUSE_MS</c> pauses after each person (so a test can
/// kill the run between people).
/// </summary>
internal static class PopulationWorker
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3 || (args[1] != "-" && !PopulationShard.TryParse(args[1], out _)))
        {
            await Console.Error.WriteLineAsync("usage: storeworker population STORE SHARD|- NAME=PATH…").ConfigureAwait(false);
            return 2;
        }

        var (storeSpec, shard) = (args[0], args[1] == "-" ? null : PopulationShard.TryParse(args[1], out var s) ? s : null);
        var services = new ServiceCollection();
        services.AddHealthRecord(hr =>
        {
            if (storeSpec.StartsWith("sqlite:", StringComparison.Ordinal))
            {
                hr.UseSqliteStore(o =>
                {
                    o.ConnectionString = $"Data Source={storeSpec[7..]}";
                    o.BusyTimeout = TimeSpan.FromSeconds(60);
                });
            }
            else
            {
                var parts = storeSpec["postgres:".Length..].Split('|');
                hr.UsePostgreSqlStore(parts[0], parts.Length > 1 ? parts[1] : PostgreSqlDatabase.DefaultSchema);
            }
        });
        await using var provider = services.BuildServiceProvider();
        var request = new AggregationRequest { Sources = args[2..].Select(SourceRequest.Parse).ToList(), SaveToStore = true, Shard = shard };
        var pause = int.TryParse(Environment.GetEnvironmentVariable("STOREWORKER_PAUSE_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 0;
        var result = await provider.GetRequiredService<IPopulationAggregator>().AggregatePopulationAsync(request, async (ehr, ct) =>
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"saved {ehr.PersonId} {ehr.Version} {ehr.Records.Count}"));
            await Task.Delay(pause, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {result.Persons}"));
        return 0;
    }
}
