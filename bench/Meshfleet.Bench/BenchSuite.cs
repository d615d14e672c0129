using Meshfleet.Bench.Reporting;
using Meshfleet.Bench.Scenarios;
using Meshfleet.Bench.Systems;
using ModelContextProtocol.Client;

namespace Meshfleet.Bench;

/// <summary>
/// One run: every scenario against Meshfleet and, with the same client code, against the floor relay, Redis Streams
/// and NATS JetStream. Each system is started, measured and stopped (fan-out gets a fresh server per size); one that
/// cannot start is reported, not fatal.
/// </summary>
internal static class BenchSuite
{
    public static async Task<BenchReport> RunAsync(BenchOptions options, BenchProgress progress)
    {
        DateTimeOffset date = DateTimeOffset.UtcNow;
        using var deadline = new CancellationTokenSource(options.Deadline);
        CancellationToken cancellationToken = deadline.Token;
        var results = new List<BenchResult>();
        var unavailable = new List<string>();

        if (options.Runs("cold-start"))
        {
            progress.Step($"cold start and idle memory ({options.StartupRuns} spawns)");
            await CollectAsync(results, unavailable, progress, "cold start", () => StartupScenario.RunAsync(options.Binary, options.StartupRuns, progress, cancellationToken));
        }

        if (options.Runs("store"))
        {
            progress.Step($"store only: {options.StoreMessages} appends at {string.Join(", ", options.StoreConcurrencies)} concurrent callers, then batched inserts");
            await CollectAsync(results, unavailable, progress, "store", () => StoreScenario.RunAsync(options.StoreMessages, options.StoreConcurrencies, progress, cancellationToken));
        }

        // FullSuite: throughput (and fan-out) too, not only push. QuickToo: part of --quick.
        var systems = new List<(string Name, Func<Task<IMessagingSystem>> Start, bool FullSuite, bool QuickToo)>
        {
            ("meshfleet-http", async () => await MeshfleetHttpSystem.StartAsync(options.Binary, withToken: false, FanOutScenario.StreamsPerAgent, cancellationToken), true, true),
            ("meshfleet-api", async () => await MeshfleetHttpSystem.StartAsync(options.Binary, withToken: false, 5, cancellationToken, plainApi: true), true, true),
            ("floor", async () => await FloorRelaySystem.StartAsync(cancellationToken), true, true),
            ("redis-aof-everysec", async () => await RedisStreamsSystem.StartAsync("everysec", cancellationToken), true, true),
            ("redis-aof-always", async () => await RedisStreamsSystem.StartAsync("always", cancellationToken), true, true),
            ("nats-jetstream", async () => await NatsJetStreamSystem.StartAsync(cancellationToken), true, true),
            ("meshfleet-nats", async () => await MeshfleetNatsSystem.StartAsync(options.Binary, crossNode: false, cancellationToken), true, true),
            ("meshfleet-nats-xnode", async () => await MeshfleetNatsSystem.StartAsync(options.Binary, crossNode: true, cancellationToken), false, true),
            ("meshfleet-stdio", async () => await MeshfleetStdioSystem.StartAsync(options.Binary, MeshfleetStdioSystem.StdioLayout.HubOnly, cancellationToken), false, true),
            ("meshfleet-stdio-xproc", async () => await MeshfleetStdioSystem.StartAsync(options.Binary, MeshfleetStdioSystem.StdioLayout.CrossProcess, cancellationToken), false, true),
            ("meshfleet-stdio-4proc", async () => await MeshfleetStdioSystem.StartAsync(options.Binary, MeshfleetStdioSystem.StdioLayout.FourWriters, cancellationToken), true, false),
            ("meshfleet-http-token", async () => await MeshfleetHttpSystem.StartAsync(options.Binary, withToken: true, 5, cancellationToken), false, false),
        };

        foreach ((string name, Func<Task<IMessagingSystem>> start, bool fullSuite, bool quickToo) in systems)
        {
            if (!options.Measures(name) || (options.Quick && !quickToo))
            {
                continue;
            }

            bool sharedScenarios = options.Runs("push") || options.Runs("mcp-rtt") || (fullSuite && options.Runs("throughput"));
            if (sharedScenarios)
            {
                await MeasureSystemAsync(name, start, fullSuite, options, progress, results, unavailable, cancellationToken);
            }

            if (name is "meshfleet-http" or "floor" && options.Runs("fan-out"))
            {
                // A fresh server per size, so its memory is the subscribers' and not the heap the earlier scenarios grew.
                foreach (int subscribers in options.FanOutSizes)
                {
                    progress.Step($"{name}: fan-out to {subscribers} subscribers, {options.FanOutRounds} rounds, on a fresh server");
                    await CollectAsync(results, unavailable, progress, $"{name} fan-out {subscribers}", async () =>
                    {
                        await using IMessagingSystem fresh = await start();
                        return [await FanOutScenario.RunAsync(fresh, subscribers, options.FanOutRounds, progress, cancellationToken)];
                    });
                }
            }
        }

        return new BenchReport(
            date,
            options.Quick ? "quick" : "full",
            Path.GetFullPath(options.Binary),
            MachineInfo.Read(),
            progress.Elapsed.TotalSeconds,
            results,
            Comparisons.Ratios(results),
            Comparisons.Targets(results),
            unavailable);
    }

    /// <summary>Push latency, MCP round trips and throughput, on one server that lives through all three.</summary>
    private static async Task MeasureSystemAsync(
        string name,
        Func<Task<IMessagingSystem>> start,
        bool fullSuite,
        BenchOptions options,
        BenchProgress progress,
        List<BenchResult> results,
        List<string> unavailable,
        CancellationToken cancellationToken)
    {
        progress.Step($"{name}: starting");
        IMessagingSystem system;
        try
        {
            system = await start();
        }
        catch (Exception ex) when (ex is SystemUnavailableException or InvalidOperationException or IOException or TimeoutException)
        {
            unavailable.Add($"{name}: {ex.Message}");
            progress.Warn($"{name} unavailable: {ex.Message}");
            return;
        }

        await using (system)
        {
            if (options.Runs("push"))
            {
                progress.Step($"{name}: push latency, {options.PushWarmup.TotalSeconds:F0} s warm-up, then {options.PushSends} sends");
                await CollectAsync(results, unavailable, progress, $"{name} push", async () =>
                    [await PushLatencyScenario.RunAsync(system, options.PushSends, options.PushWarmup, progress, cancellationToken)]);
            }

            if (options.Runs("mcp-rtt") && system is MeshfleetHttpSystem or MeshfleetStdioSystem && name is not ("meshfleet-stdio-xproc" or "meshfleet-stdio-4proc" or "meshfleet-api"))
            {
                progress.Step($"{name}: MCP round trips, {options.PushSends} each of tools/list, get_inbox and send_message");
                await CollectAsync(results, unavailable, progress, $"{name} mcp-rtt", () => MeasureRoundTripsAsync(system, options.PushSends, cancellationToken));
            }

            foreach (int senders in fullSuite && options.Runs("throughput") ? options.SenderCounts : [])
            {
                progress.Step($"{name}: throughput, {senders} senders for {options.ThroughputDuration.TotalSeconds:F0} s");
                await CollectAsync(results, unavailable, progress, $"{name} throughput {senders}", async () =>
                    [await ThroughputScenario.RunAsync(system, senders, options.ThroughputDuration, progress, cancellationToken)]);
            }
        }
    }

    private static async Task<IReadOnlyList<BenchResult>> MeasureRoundTripsAsync(IMessagingSystem system, int calls, CancellationToken cancellationToken)
    {
        if (system is MeshfleetStdioSystem stdio)
        {
            return await McpRoundTripScenario.RunAsync(system.Name, stdio.SenderClient, calls, cancellationToken);
        }

        await using McpClient client = await ((MeshfleetHttpSystem)system).ConnectMcpClientAsync(cancellationToken);
        return await McpRoundTripScenario.RunAsync(system.Name, client, calls, cancellationToken);
    }

    private static async Task CollectAsync(
        List<BenchResult> results,
        List<string> unavailable,
        BenchProgress progress,
        string label,
        Func<Task<IReadOnlyList<BenchResult>>> scenario)
    {
        try
        {
            IReadOnlyList<BenchResult> measured = await scenario();
            results.AddRange(measured);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            unavailable.Add($"{label}: failed: {ex.GetType().Name}: {ex.Message}");
            progress.Warn($"{label} failed: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
