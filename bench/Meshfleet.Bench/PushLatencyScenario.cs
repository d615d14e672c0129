using System.Diagnostics;
using System.Globalization;
using System.Text;
using ModelContextProtocol.Protocol;

namespace Meshfleet.Bench;

/// <summary>
/// send_message over stdio MCP, received on the hub's SSE stream. Measures call→push (what an agent sees) and
/// ack→push (push relative to the tool result, the server-side part; negative when the push beats the ack).
/// </summary>
internal static class PushLatencyScenario
{
    /// <summary>How the sender reaches the mesh.</summary>
    public enum Transport
    {
        Stdio,
        StdioOtherProcess,
        Http,
        HttpWithToken,
    }

    public static async Task RunAsync(string binary, int sends, Transport transport)
    {
        const string token = "bench-token-0123456789abcdef";
        string directory = Directory.CreateTempSubdirectory("meshfleet-bench-").FullName;
        int port = BenchNode.FreePort();
        string database = Path.Combine(directory, "mesh.db");
        try
        {
            await using BenchNode hub = transport switch
            {
                Transport.Http => await BenchNode.StartServeAsync(binary, database, port, token: null),
                Transport.HttpWithToken => await BenchNode.StartServeAsync(binary, database, port, token),
                _ => await BenchNode.StartAsync(binary, database, port),
            };
            await hub.Listening;
            await using BenchNode? second = transport == Transport.StdioOtherProcess ? await BenchNode.StartAsync(binary, database, port) : null;
            BenchNode sender = second ?? hub;

            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            using var open = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/inbox/bench-b/stream");
            if (transport == Transport.HttpWithToken)
            {
                open.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            using HttpResponseMessage response = await http.SendAsync(open, HttpCompletionOption.ResponseHeadersRead);
            await using Stream stream = await response.Content.ReadAsStreamAsync();
            var events = new EventCounter(stream);
            await events.ReadPreambleAsync();

            var callToAck = new List<double>(sends);
            var callToPush = new List<double>(sends);
            var ackToPush = new List<double>(sends);
            var payload = new Dictionary<string, object?> { ["from_agent_id"] = "bench-a", ["to_agent_id"] = "bench-b", ["payload"] = "ping" };
            for (int i = 0; i < sends + 50; i++)
            {
                long start = Stopwatch.GetTimestamp();
                Task<long> pushed = events.NextEventAsync();
                CallToolResult result = await sender.Client.CallToolAsync("send_message", payload);
                long acked = Stopwatch.GetTimestamp();
                long arrived = await pushed;
                if (result.IsError == true)
                {
                    throw new InvalidOperationException("send failed");
                }

                if (i >= 50)
                {
                    callToPush.Add(Stopwatch.GetElapsedTime(start, arrived).TotalMilliseconds);
                    callToAck.Add(Stopwatch.GetElapsedTime(start, acked).TotalMilliseconds);
                    ackToPush.Add((arrived - acked) * 1000.0 / Stopwatch.Frequency);
                }
            }

            callToPush.Sort();
            ackToPush.Sort();
            callToAck.Sort();
            double sendsPerSecond = sends / (callToAck.Sum() / 1000);
            string label = transport switch
            {
                Transport.StdioOtherProcess => "stdio MCP, cross-process (send via process 2, stream from the hub)",
                Transport.Http => "HTTP MCP (meshfleet serve), no token",
                Transport.HttpWithToken => "HTTP MCP (meshfleet serve), bearer token",
                _ => "stdio MCP (send and stream on the hub)",
            };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}, {sends} sends: call->push p50 {BenchNode.Percentile(callToPush, 50):F3} ms, p99 {BenchNode.Percentile(callToPush, 99):F3} ms, p99.9 {BenchNode.Percentile(callToPush, 99.9):F3} ms; ack->push p50 {BenchNode.Percentile(ackToPush, 50):F3} ms, p99 {BenchNode.Percentile(ackToPush, 99):F3} ms; call->ack p50 {BenchNode.Percentile(callToAck, 50):F3} ms (one client in sequence: {sendsPerSecond:F0} sends/s)"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Reads SSE bytes and stamps each complete event as it arrives.</summary>
    private sealed class EventCounter(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly StringBuilder _pending = new();

        public async Task ReadPreambleAsync() => await NextBlockAsync();

        public async Task<long> NextEventAsync()
        {
            while (true)
            {
                string block = await NextBlockAsync();
                if (block.StartsWith("id:", StringComparison.Ordinal))
                {
                    return Stopwatch.GetTimestamp();
                }
            }
        }

        private async Task<string> NextBlockAsync()
        {
            while (true)
            {
                string text = _pending.ToString();
                int end = text.IndexOf("\n\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    _pending.Remove(0, end + 2);
                    return text[..end];
                }

                int read = await stream.ReadAsync(_buffer);
                if (read == 0)
                {
                    throw new EndOfStreamException();
                }

                _pending.Append(Encoding.UTF8.GetString(_buffer, 0, read));
            }
        }
    }
}
