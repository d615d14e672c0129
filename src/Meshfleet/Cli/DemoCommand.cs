using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Meshfleet.Core.Messaging;
using Meshfleet.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Meshfleet.Cli;

/// <summary>
/// <c>meshfleet demo</c>: three real meshfleet processes on a temporary store, driven by real MCP clients over stdio;
/// an orchestrator asks two specialists, each hears the question over SSE and answers, and every hop's latency is printed.
/// </summary>
internal static class DemoCommand
{
    private static readonly string[] Agents = ["orchestrator", "researcher", "reviewer"];

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        string directory = Path.Combine(Path.GetTempPath(), "meshfleet-demo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        int port = FreePort();
        Console.WriteLine($"Meshfleet {ProductInfo.Version} demo: store {directory}/mesh.db, hub port {port}");
        var peers = new List<Peer>();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            foreach (string agent in Agents)
            {
                var started = Stopwatch.StartNew();
                McpClient client = await McpClient.CreateAsync(SpawnServer(directory, port), cancellationToken: cancellationToken);
                peers.Add(new Peer(agent, client));
                Console.WriteLine($"  started meshfleet for {agent,-12} (its own process, MCP over stdio) in {started.Elapsed.TotalMilliseconds,6:F0} ms");
            }

            foreach (Peer peer in peers)
            {
                JsonElement ticket = await CallAsync(peer.Client, "subscribe_inbox", new() { ["agent_id"] = peer.Agent }, stop.Token);
                string url = ticket.GetProperty("stream_url").GetString()!;
                peer.Listen(http, url, stop.Token);
                Console.WriteLine($"  {peer.Agent,-12} subscribed: {url}");
            }

            await Task.WhenAll(peers.Select(p => p.Connected.Task)).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            Peer orchestrator = peers[0];
            Console.WriteLine();
            foreach (Peer specialist in peers.Skip(1))
            {
                string question = $"{specialist.Agent}, what do you see in PR 12?";
                var clock = Stopwatch.StartNew();
                JsonElement sent = await CallAsync(orchestrator.Client, "send_message", new()
                {
                    ["from_agent_id"] = orchestrator.Agent,
                    ["to_agent_id"] = specialist.Agent,
                    ["payload"] = question,
                }, stop.Token);
                double acked = clock.Elapsed.TotalMilliseconds;
                MeshMessage heard = await specialist.Inbox.Reader.ReadAsync(stop.Token);
                double pushed = clock.Elapsed.TotalMilliseconds;
                Console.WriteLine($"  orchestrator -> {specialist.Agent,-10} stored in {acked,6:F2} ms, pushed over SSE at {pushed,6:F2} ms  \"{heard.Payload}\"");

                clock.Restart();
                await CallAsync(specialist.Client, "send_message", new()
                {
                    ["from_agent_id"] = specialist.Agent,
                    ["to_agent_id"] = orchestrator.Agent,
                    ["payload"] = $"{specialist.Agent}: looks good, one nit in line 40.",
                    ["reply_to"] = sent.GetProperty("message_id").GetString(),
                    ["thread_id"] = sent.GetProperty("message_id").GetString(),
                }, stop.Token);
                MeshMessage answer = await orchestrator.Inbox.Reader.ReadAsync(stop.Token);
                Console.WriteLine($"  {specialist.Agent,-10} -> orchestrator pushed over SSE at {clock.Elapsed.TotalMilliseconds,6:F2} ms  \"{answer.Payload}\"");
            }

            Console.WriteLine();
            Console.WriteLine("  ask/reply: the orchestrator waits for the answer in one call; specialists wait with a long poll");
            foreach (Peer specialist in peers.Skip(1))
            {
                await CallAsync(specialist.Client, "register_agent", new() { ["agent_id"] = specialist.Agent, ["role"] = "specialist", ["fleet_id"] = "demo" }, stop.Token);
            }

            foreach (Peer specialist in peers.Skip(1))
            {
                long since = (await CallAsync(specialist.Client, "get_inbox", new() { ["agent_id"] = specialist.Agent, ["limit"] = 1000 }, stop.Token)).GetProperty("next_since").GetInt64();
                Task<JsonElement> waiting = CallAsync(specialist.Client, "get_inbox", new() { ["agent_id"] = specialist.Agent, ["since"] = since, ["wait_seconds"] = 30 }, stop.Token);
                var clock = Stopwatch.StartNew();
                Task<JsonElement> asking = CallAsync(orchestrator.Client, "ask", new()
                {
                    ["from_agent_id"] = orchestrator.Agent,
                    ["to_agent_id"] = specialist.Agent,
                    ["payload"] = "Safe to merge?",
                    ["timeout_seconds"] = 30,
                }, stop.Token);
                JsonElement question = (await waiting).GetProperty("messages")[0];
                double heard = clock.Elapsed.TotalMilliseconds;
                await CallAsync(specialist.Client, "reply", new()
                {
                    ["from_agent_id"] = specialist.Agent,
                    ["message_id"] = question.GetProperty("message_id").GetString(),
                    ["payload"] = "Yes, ship it.",
                }, stop.Token);
                JsonElement exchange = await asking;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  orchestrator asks {specialist.Agent,-10}: its long poll woke at {heard,6:F2} ms, the answer \"{exchange.GetProperty("reply").GetProperty("payload").GetString()}\" returned at {clock.Elapsed.TotalMilliseconds,6:F2} ms"));
            }

            Console.WriteLine();
            var roundTrips = new List<double>();
            for (int i = 0; i < 50; i++)
            {
                var clock = Stopwatch.StartNew();
                await CallAsync(orchestrator.Client, "send_message", new()
                {
                    ["from_agent_id"] = orchestrator.Agent,
                    ["to_agent_id"] = "researcher",
                    ["payload"] = $"ping {i}",
                }, stop.Token);
                // The stream also carried the questions above: wait for this very ping.
                while ((await peers[1].Inbox.Reader.ReadAsync(stop.Token)).Payload != $"ping {i}")
                {
                }

                roundTrips.Add(clock.Elapsed.TotalMilliseconds);
            }

            roundTrips.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  50 sends, tools/call -> SSE push across processes: p50 {roundTrips[24]:F2} ms, p99 {roundTrips[49]:F2} ms"));
            JsonElement inbox = await CallAsync(peers[1].Client, "get_inbox", new() { ["agent_id"] = "researcher", ["limit"] = 1000 }, stop.Token);
            Console.WriteLine($"  researcher's durable inbox holds {inbox.GetProperty("messages").GetArrayLength()} messages (get_inbox, polling works too)");
            return 0;
        }
        finally
        {
            await stop.CancelAsync();
            foreach (Peer peer in peers)
            {
                await peer.DisposeAsync();
            }

            TryDelete(directory);
        }
    }

    private static StdioClientTransport SpawnServer(string directory, int port)
    {
        string process = Environment.ProcessPath!;
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
        {
            arguments.Add(Path.Combine(AppContext.BaseDirectory, "meshfleet.dll"));
        }

        return new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = process,
            Arguments = arguments,
            EnvironmentVariables = new Dictionary<string, string?>
            {
                ["MESHFLEET_DB"] = Path.Combine(directory, "mesh.db"),
                ["MESHFLEET_SSE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["MESHFLEET_LOG_LEVEL"] = "error",
            },
        });
    }

    private static async Task<JsonElement> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        CallToolResult result = await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken);
        if (result.IsError == true)
        {
            string text = result.Content.OfType<TextContentBlock>().FirstOrDefault()?.Text ?? "(no text)";
            throw new InvalidOperationException($"{tool} failed: {text}");
        }

        return result.StructuredContent!.Value;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold the file for a moment; the OS temp cleaner takes it.
        }
    }

    private sealed class Peer(string agent, McpClient client) : IAsyncDisposable
    {
        private Task _listening = Task.CompletedTask;

        public string Agent { get; } = agent;

        public McpClient Client { get; } = client;

        public Channel<MeshMessage> Inbox { get; } = Channel.CreateUnbounded<MeshMessage>();

        public TaskCompletionSource Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Listen(HttpClient http, string url, CancellationToken cancellationToken)
        {
            _listening = Task.Run(
                async () =>
                {
                    try
                    {
                        Connected.TrySetResult();
                        await foreach (SseEvent e in SseClient.ReadAsync(http, url, cancellationToken))
                        {
                            MeshMessage message = JsonSerializer.Deserialize(e.Data, MeshfleetJsonContext.Default.MeshMessage)!;
                            await Inbox.Writer.WriteAsync(message, cancellationToken);
                        }
                    }
                    catch (OperationCanceledException)
                    {
                    }
                },
                CancellationToken.None);
        }

        public async ValueTask DisposeAsync()
        {
            await _listening;
            await Client.DisposeAsync();
        }
    }
}
