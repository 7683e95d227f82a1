using Spectre.Console;

return await HealthRecord.Cli.CliApp.RunAsync(args, AnsiConsole.Console).ConfigureAwait(false);
