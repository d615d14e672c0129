using System.Diagnostics;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;
using ModelContextProtocol.Client;

namespace Meshfleet.Bench.Scenarios;

/// <summary>
/// Where a send's time goes, layer by layer: an MCP <c>ping</c> (transport and SDK, no tool), a <c>get_inbox</c> of an
/// empty inbox (tool dispatch, argument checks, one store read). Set against the send_message ack in the push rows.
/// </summary>
internal static class McpRoundTripScenario
{
    private const int Warmup = 50;

    public static async Task<IReadOnlyList<BenchResult>> RunAsync(string systemName, McpClient client, int calls, CancellationToken cancellationToken)
    {
        var ping = new LatencyHistogram();
        var read = new LatencyHistogram();
        var arguments = new Dictionary<string, object?> { ["agent_id"] = "nobody-" + Guid.NewGuid().ToString("N")[..8] };
        for (int i = 0; i < Warmup + calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await client.PingAsync(cancellationToken: cancellationToken);
            long pinged = Stopwatch.GetTimestamp();
            await client.CallToolAsync("get_inbox", arguments, cancellationToken: cancellationToken);
            long answered = Stopwatch.GetTimestamp();
            if (i >= Warmup)
            {
                ping.RecordBetween(start, pinged);
                read.RecordBetween(pinged, answered);
            }
        }

        return
        [
            new BenchResult("mcp-rtt", systemName, "ping (transport + SDK only)") { AckLatency = ping.Summarize(), Count = calls },
            new BenchResult("mcp-rtt", systemName, "get_inbox, empty (tool + store read)") { AckLatency = read.Summarize(), Count = calls },
        ];
    }
}
