using Meshfleet.Bench;

// Figures, not pass/fail: run on demand against a published build.
//   dotnet publish src/Meshfleet -c Release -o out
//   dotnet run --project bench/Meshfleet.Bench -c Release -- out/meshfleet [--sends N]
string binary = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "out/meshfleet";
int sends = 1000;
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--sends")
    {
        sends = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
    }
}

if (!File.Exists(binary))
{
    Console.Error.WriteLine($"bench: no meshfleet executable at '{binary}'. Build one with: dotnet publish src/Meshfleet -c Release -o out");
    return 2;
}

Console.WriteLine($"Meshfleet bench, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, binary {Path.GetFullPath(binary)}");
await StartupScenario.RunAsync(binary, runs: 10);
foreach (PushLatencyScenario.Transport transport in Enum.GetValues<PushLatencyScenario.Transport>())
{
    await PushLatencyScenario.RunAsync(binary, sends, transport);
}

return 0;
