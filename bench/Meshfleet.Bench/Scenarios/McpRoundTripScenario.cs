using System.Diagnostics;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;
using ModelContextProtocol.Client;

namespace Meshfleet.Bench.Scenarios;

/// <summary>
/// Where a send's time goes, layer by layer, each call answered before the next: <c>tools/list</c> (transport and SDK,
/// no tool, no store; <c>ping</c> is gone from the newest protocol version), <c>get_inbox</c> of an empty inbox (tool
/// dispatch, argument checks, one store read), and <c>send_message</c> to an agent nobody streams (validation, the
/// durable write and the delivery pump's read, but no push). Set against the send_message ack in the push rows.
/// </summary>
internal static class McpRoundTripScenario
{
    private const int Warmup = 200;

    public static async Task<IReadOnlyList<BenchResult>> RunAsync(string systemName, McpClient client, int calls, CancellationToken cancellationToken)
    {
        var listing = new LatencyHistogram();
        var read = new LatencyHistogram();
        var unwatchedSend = new LatencyHistogram();
        string run = Guid.NewGuid().ToString("N")[..8];
        string nobody = "nobody-" + run;
        var inbox = new Dictionary<string, object?> { ["agent_id"] = "empty-" + run };
        var send = new Dictionary<string, object?> { ["from_agent_id"] = "bench-a", ["to_agent_id"] = nobody, ["payload"] = "unwatched" };
        for (int i = 0; i < Warmup + calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await client.ListToolsAsync(cancellationToken: cancellationToken);
            long listed = Stopwatch.GetTimestamp();
            await client.CallToolAsync("get_inbox", inbox, cancellationToken: cancellationToken);
            long answered = Stopwatch.GetTimestamp();
            await client.CallToolAsync("send_message", send, cancellationToken: cancellationToken);
            long sent = Stopwatch.GetTimestamp();
            if (i >= Warmup)
            {
                listing.RecordBetween(start, listed);
                read.RecordBetween(listed, answered);
                unwatchedSend.RecordBetween(answered, sent);
            }
        }

        return
        [
            new BenchResult("mcp-rtt", systemName, "tools/list (transport + SDK only)") { AckLatency = listing.Summarize(), Count = calls },
            new BenchResult("mcp-rtt", systemName, "get_inbox, empty (+ tool, store read)") { AckLatency = read.Summarize(), Count = calls },
            new BenchResult("mcp-rtt", systemName, "send_message, no subscriber (+ write)") { AckLatency = unwatchedSend.Summarize(), Count = calls },
        ];
    }
}
