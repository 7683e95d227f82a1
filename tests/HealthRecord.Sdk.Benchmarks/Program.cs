using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/HealthRecord.Sdk.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
