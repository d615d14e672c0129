using Meshfleet;
using Meshfleet.Cli;
using Meshfleet.Cli.Doctor;
using Meshfleet.Cli.Setup;
using Meshfleet.Configuration;
using Meshfleet.Hosting;
using Meshfleet.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

MeshfleetSettings settings;
List<string> rest;
try
{
    settings = SettingsCatalog.Resolve(args, Environment.GetEnvironmentVariable, out rest);
}
catch (SettingsException ex)
{
    Console.Error.WriteLine("meshfleet: " + ex.Message);
    return 2;
}

string command = rest.Count > 0 ? rest[0] : string.Empty;
List<string> commandArgs = rest.Skip(1).ToList();

// These commands open the SQLite file directly; with NATS they would silently work on the wrong store.
if (settings.NatsUrl is not null && command is "export" or "import" or "inbox" or "agent-key" or "rotate-token" or "doctor")
{
    Console.Error.WriteLine($"meshfleet: '{command}' works on the SQLite store only for now, and MESHFLEET_NATS_URL selects the NATS backend. Use the MCP tools through a running process, or unset MESHFLEET_NATS_URL for a SQLite store (docs/nats.md).");
    return 2;
}

// Every command fails the same way on a store or file it cannot use: one line that says what and where, no stack trace.
try
{
    switch (command)
    {
        case "--version" or "-v" or "version":
            Console.WriteLine(ProductInfo.Version);
            return 0;
        case "--help" or "-h" or "help":
            Console.WriteLine(HelpText.Render());
            return 0;
        case "export":
            return await LedgerCommands.ExportAsync(settings, commandArgs, CancellationToken.None);
        case "import":
            return await LedgerCommands.ImportAsync(settings, commandArgs, CancellationToken.None);
        case "rotate-token":
            return await TokenCommands.RotateAsync(settings, Console.In, CancellationToken.None);
        case "agent-key":
            return await AgentKeyCommands.RunAsync(settings, commandArgs, CancellationToken.None);
        case "demo":
            return await DemoCommand.RunAsync(CancellationToken.None);
        case "setup":
            return await SetupCommand.RunAsync(settings, commandArgs, Environment.GetEnvironmentVariable, Console.Out, CancellationToken.None);
        case "doctor":
            return await DoctorCommand.RunAsync(settings, Environment.GetEnvironmentVariable, Console.Out, CancellationToken.None);
        case "watch" or "bridge" or "inbox":
            return await FollowerCommands.RunAsync(command, settings, commandArgs);
        case "" or "serve":
            if (commandArgs.Count > 0)
            {
                Console.Error.WriteLine($"meshfleet: unexpected '{commandArgs[0]}'. See meshfleet --help.");
                return 2;
            }

            using (IHost host = MeshHost.Build(settings, new ServeMode(ServeMcpOverHttp: command == "serve")))
            {
                // serve exists to serve HTTP: on a store it may not serve, fail now rather than run without a purpose.
                if (command == "serve" && await host.Services.GetRequiredService<StoreProtection>().CheckAsync(CancellationToken.None) is { } refusal)
                {
                    Console.Error.WriteLine($"meshfleet: serve refused: {refusal}. Set MESHFLEET_TOKEN / --token to the mesh's token.");
                    return 1;
                }

                await host.RunAsync();
            }

            return Environment.ExitCode;
        default:
            Console.Error.WriteLine($"meshfleet: unknown command or flag '{command}'. See meshfleet --help.");
            return 2;
    }
}
catch (Exception ex) when (ex is StoreVersionException or Meshfleet.Core.Storage.StoreFailureException or SetupException)
{
    Console.Error.WriteLine("meshfleet: " + ex.Message);
    return 1;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
{
    Console.Error.WriteLine($"meshfleet: {ex.Message} (store: {settings.DatabasePath}). Check the path and its permissions, or set MESHFLEET_DB / --db to a writable file.");
    return 1;
}
