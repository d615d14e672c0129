using System.Diagnostics;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;
using Meshfleet.Bench.Systems;

namespace Meshfleet.Bench.Scenarios;

/// <summary>
/// Cold start (spawn to answered tools/list, as an MCP client sees it), the runtime's share of it (spawn to exit of
/// <c>meshfleet --version</c>, which starts .NET but no host), and the idle memory of a hub process.
/// </summary>
internal static class StartupScenario
{
    public static async Task<IReadOnlyList<BenchResult>> RunAsync(string binary, int runs, BenchProgress progress, CancellationToken cancellationToken)
    {
        string directory = Directory.CreateTempSubdirectory("meshfleet-bench-").FullName;
        var initialized = new LatencyHistogram();
        var coldStart = new LatencyHistogram();
        var hubReady = new LatencyHistogram();
        var versionOnly = new LatencyHistogram();
        double? idleRss = null;
        try
        {
            for (int i = 0; i < runs; i++)
            {
                int port = BenchNode.FreePort();
                long start = Stopwatch.GetTimestamp();
                await using BenchNode node = await BenchNode.StartAsync(binary, Path.Combine(directory, $"s{i}.db"), port, cancellationToken);
                initialized.RecordBetween(start, Stopwatch.GetTimestamp());
                await node.Client.ListToolsAsync(cancellationToken: cancellationToken);
                coldStart.RecordBetween(start, Stopwatch.GetTimestamp());
                await node.Listening.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                hubReady.RecordBetween(start, node.ListeningAt);
                if (i == runs - 1)
                {
                    int pid = await node.ReadHubProcessIdAsync(cancellationToken);
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                    idleRss = ProcessMemory.ReadRssMiB(pid);
                }

                progress.Update($"cold start {i + 1}/{runs}");
            }

            for (int i = 0; i < runs; i++)
            {
                long start = Stopwatch.GetTimestamp();
                using Process version = Process.Start(new ProcessStartInfo(binary, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
                await version.StandardOutput.ReadToEndAsync(cancellationToken);
                await version.WaitForExitAsync(cancellationToken);
                versionOnly.RecordBetween(start, Stopwatch.GetTimestamp());
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return
        [
            new BenchResult("cold-start", "meshfleet-stdio", "spawn -> tools/list answered") { Latency = coldStart.Summarize(), Count = runs },
            new BenchResult("cold-start", "meshfleet-stdio", "spawn -> initialize answered") { Latency = initialized.Summarize(), Count = runs },
            new BenchResult("cold-start", "meshfleet-stdio", "spawn -> 'SSE listening' logged") { Latency = hubReady.Summarize(), Count = runs },
            new BenchResult("cold-start", "meshfleet", "spawn -> exit of --version (runtime only)") { Latency = versionOnly.Summarize(), Count = runs },
            new BenchResult("idle", "meshfleet-stdio", "hub, 2 s after start") { RssMiB = idleRss },
        ];
    }
}
