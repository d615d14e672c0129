using System.Globalization;

namespace Meshfleet.Bench;

/// <summary>What a run measures and how much of it: <c>--quick</c> (under a minute) or the full run (under ten).</summary>
internal sealed record BenchOptions(string Binary, bool Quick, string? OutPath, int? Sends, IReadOnlySet<string>? Scenarios, IReadOnlySet<string>? Systems)
{
    /// <summary>Scenario names <c>--only</c> accepts.</summary>
    public static readonly IReadOnlyList<string> ScenarioNames = ["cold-start", "store", "push", "mcp-rtt", "throughput", "fan-out"];

    public const string Usage = """
        usage: Meshfleet.Bench [path/to/meshfleet] [--quick] [--out FILE] [--sends N]
          path/to/meshfleet  a published meshfleet (default out/meshfleet): dotnet publish src/Meshfleet -c Release -o out
          --quick            a smaller run that finishes in under a minute
          --out FILE         also write every figure as JSON to FILE
          --sends N          sends per push-latency run (default 300 quick, 2000 full)
          --only LIST        only these scenarios, comma-separated: cold-start,store,push,mcp-rtt,throughput,fan-out
          --systems LIST     only these systems, comma-separated: meshfleet-http,meshfleet-api,floor,redis-aof-everysec,
                             redis-aof-always,nats-jetstream,meshfleet-nats,meshfleet-nats-xnode,meshfleet-stdio,
                             meshfleet-stdio-xproc,meshfleet-http-token
        """;

    public bool Runs(string scenario) => Scenarios?.Contains(scenario) ?? true;

    public bool Measures(string system) => Systems?.Contains(system) ?? true;

    public int PushSends => Sends ?? (Quick ? 300 : 2000);

    /// <summary>
    /// How long each push-latency run warms up before it measures. meshfleet keeps JIT-compiling 500-1,000 methods/s
    /// for about 9 s of steady sends (tiered compilation of the ASP.NET + MCP stack), so only the full run is steady state.
    /// </summary>
    public TimeSpan PushWarmup => TimeSpan.FromSeconds(Quick ? 1 : 10);

    public TimeSpan ThroughputDuration => TimeSpan.FromSeconds(Quick ? 1 : 5);

    public IReadOnlyList<int> SenderCounts => [1, 8, 32];

    public IReadOnlyList<int> FanOutSizes => Quick ? [1000] : [1000, 10000];

    public int FanOutRounds => Quick ? 5 : 20;

    public int StartupRuns => Quick ? 5 : 20;

    public int StoreMessages => Quick ? 10_000 : 100_000;

    public IReadOnlyList<int> StoreConcurrencies => [1, 8, 32];

    /// <summary>A hard bound on the whole run, so it always stops by itself.</summary>
    public TimeSpan Deadline => TimeSpan.FromMinutes(Quick ? 3 : 15);

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        string binary = "out/meshfleet";
        bool quick = false;
        string? outPath = null;
        int? sends = null;
        IReadOnlySet<string>? scenarios = null;
        IReadOnlySet<string>? systems = null;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--out":
                    outPath = Value(args, ref i);
                    break;
                case "--sends":
                    sends = int.Parse(Value(args, ref i), NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "--only":
                    scenarios = List(Value(args, ref i));
                    if (scenarios.FirstOrDefault(s => !ScenarioNames.Contains(s)) is string unknown)
                    {
                        throw new ArgumentException($"unknown scenario '{unknown}'; use {string.Join(", ", ScenarioNames)}");
                    }

                    break;
                case "--systems":
                    systems = List(Value(args, ref i));
                    break;
                case string path when !path.StartsWith("--", StringComparison.Ordinal):
                    binary = path;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        return new BenchOptions(binary, quick, outPath, sends, scenarios, systems);
    }

    private static HashSet<string> List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
}
