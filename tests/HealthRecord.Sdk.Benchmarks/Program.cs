using BenchmarkDotNet.Running;
using HealthRecord.Sdk.Benchmarks;

// dotnet run -c Release --project tests/HealthRecord.Sdk.Benchmarks -- --filter '*'
// A stopwatch probe of one cold process (see ColdStartProbe): -- coldstart-probe plain|breakdown|warmup FILE
if (args is ["coldstart-probe", ..])
{
    return await ColdStartProbe.RunAsync(args).ConfigureAwait(false);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
