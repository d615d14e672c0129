using System.Collections.Concurrent;
using System.Text.Json;
using Meshfleet.Storage.Nats.Tests;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Xunit;

namespace Meshfleet.EndToEnd.Tests.Nats;

/// <summary>
/// A 3-node JetStream cluster on loopback with the mesh at three replicas, two meshfleet serve processes on it: SIGKILL
/// of the stream's leader in the middle of a burst loses no acknowledged send and duplicates none, subscribers on both
/// processes carry on, and after every process restarts everything acknowledged is still there.
/// </summary>
public sealed class NatsClusterTests
{
    private const int Burst = 120;
    private const string Final = "end of burst";

    [Fact]
    public async Task Killing_the_stream_leader_mid_burst_loses_no_acknowledged_send_and_duplicates_none()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        CancellationToken timeout = deadline.Token;
        NatsServer[] cluster = await NatsServer.StartClusterAsync(3, timeout);
        try
        {
            var mesh = new Dictionary<string, string>
            {
                ["MESHFLEET_NATS_URL"] = string.Join(',', cluster.Select(s => s.Url)),
                ["MESHFLEET_NATS_MESH"] = "r3" + Guid.NewGuid().ToString("N")[..8],
                ["MESHFLEET_NATS_REPLICAS"] = "3",
            };
            var acknowledged = new ConcurrentDictionary<string, long>();
            await using (var scopeA = new MeshScope())
            await using (var scopeB = new MeshScope())
            {
                await using ServeProcess a = await ServeProcess.StartAsync(scopeA, extra: mesh);
                await using ServeProcess b = await ServeProcess.StartAsync(scopeB, extra: mesh);
                await using McpClient clientA = await a.ConnectAsync();
                await using McpClient clientB = await b.ConnectAsync();
                await using SseProbe streamA = await SseProbe.OpenAsync(scopeA.Http, "/inbox/bob/stream", timeout);
                await using SseProbe streamB = await SseProbe.OpenAsync(scopeB.Http, "/inbox/bob/stream", timeout);
                Task<List<JsonElement>> readA = ReadUntilFinalAsync(streamA, timeout);
                Task<List<JsonElement>> readB = ReadUntilFinalAsync(streamB, timeout);

                // Two senders, one per process; the stream's leader is killed once a third of the burst is acknowledged.
                var leaderKilled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                Task killer = Task.Run(async () =>
                {
                    while (acknowledged.Count < Burst / 3)
                    {
                        await Task.Delay(5, timeout);
                    }

                    NatsServer leader = await StreamLeaderAsync(cluster, mesh["MESHFLEET_NATS_MESH"], timeout);
                    await leader.KillAsync();
                    leaderKilled.SetResult(leader.Name);
                }, timeout);
                await Task.WhenAll(
                    SendBurstAsync(clientA, "a", acknowledged, timeout),
                    SendBurstAsync(clientB, "b", acknowledged, timeout),
                    killer);
                Assert.True(leaderKilled.Task.IsCompleted);

                // Sent after the burst's sends were acknowledged: reading up to it proves nothing is missing or extra.
                await CallAsync(clientA, "send_message", new() { ["from_agent_id"] = "closer", ["to_agent_id"] = "bob", ["payload"] = Final }, timeout);
                foreach (List<JsonElement> received in new[] { await readA, await readB })
                {
                    List<string> ids = received.SkipLast(1).Select(m => m.GetProperty("message_id").GetString()!).ToList();
                    Assert.Equal(ids.Count, ids.Distinct().Count());
                    Assert.Superset(acknowledged.Keys.ToHashSet(), ids.ToHashSet());
                    long[] seqs = received.Select(m => m.GetProperty("seq").GetInt64()).ToArray();
                    Assert.Equal(seqs.Order(), seqs);
                }

                AssertAllAcknowledgedOnceInOrder(acknowledged, await ReadInboxAsync(clientB, skipFinal: true, timeout));
            }

            // Restart every process: the three servers and a meshfleet (on a new port): all acknowledged sends are there.
            foreach (NatsServer server in cluster)
            {
                await server.KillAsync();
            }

            await Task.WhenAll(cluster.Select(s => s.RestartAsync(timeout)));
            await using var scopeC = new MeshScope();
            await using ServeProcess c = await ServeProcess.StartAsync(scopeC, extra: mesh);
            await using McpClient clientC = await c.ConnectAsync();
            AssertAllAcknowledgedOnceInOrder(acknowledged, await ReadInboxAsync(clientC, skipFinal: true, timeout));
        }
        finally
        {
            foreach (NatsServer server in cluster)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Every acknowledged send is in the inbox once, in seq order. A send whose ack was lost to the failover may be
    /// stored too (its caller saw an error and would retry); that is allowed, a duplicate is not.
    /// </summary>
    private static void AssertAllAcknowledgedOnceInOrder(ConcurrentDictionary<string, long> acknowledged, List<string> inbox)
    {
        Assert.Equal(inbox.Count, inbox.Distinct().Count());
        Assert.Equal(acknowledged.OrderBy(p => p.Value).Select(p => p.Key), inbox.Where(acknowledged.ContainsKey));
    }

    private static async Task SendBurstAsync(McpClient client, string sender, ConcurrentDictionary<string, long> acknowledged, CancellationToken timeout)
    {
        for (int i = 0; i < Burst / 2; i++)
        {
            // A send that fails while the cluster elects a new leader was not acknowledged: the caller would retry it.
            CallToolResult result = await client.CallToolAsync(
                "send_message",
                new Dictionary<string, object?> { ["from_agent_id"] = sender, ["to_agent_id"] = "bob", ["payload"] = $"{sender} #{i}" },
                cancellationToken: timeout);
            if (result.IsError != true)
            {
                JsonElement receipt = JsonElement.Parse(Text(result));
                Assert.True(acknowledged.TryAdd(receipt.GetProperty("message_id").GetString()!, receipt.GetProperty("seq").GetInt64()));
            }
        }
    }

    private static async Task<NatsServer> StreamLeaderAsync(NatsServer[] cluster, string mesh, CancellationToken timeout)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = string.Join(',', cluster.Select(s => s.Url)) });
        INatsJSStream stream = await new NatsJSContext(connection).GetStreamAsync("MESHFLEET_" + mesh, cancellationToken: timeout);
        string leader = stream.Info.Cluster?.Leader ?? throw new InvalidOperationException("the stream reports no leader");
        return cluster.Single(s => s.Name == leader);
    }

    private static async Task<List<string>> ReadInboxAsync(McpClient client, bool skipFinal, CancellationToken timeout)
    {
        var ids = new List<string>();
        long since = 0;
        while (true)
        {
            JsonElement page = await CallAsync(client, "get_inbox", new() { ["agent_id"] = "bob", ["since"] = since, ["limit"] = 1000 }, timeout);
            JsonElement[] messages = [.. page.GetProperty("messages").EnumerateArray()];
            if (messages.Length == 0)
            {
                return ids;
            }

            ids.AddRange(messages.Where(m => !skipFinal || m.GetProperty("payload").GetString() != Final).Select(m => m.GetProperty("message_id").GetString()!));
            since = page.GetProperty("next_since").GetInt64();
        }
    }

    private static async Task<List<JsonElement>> ReadUntilFinalAsync(SseProbe probe, CancellationToken timeout)
    {
        var received = new List<JsonElement>();
        while (true)
        {
            JsonElement message = await probe.ReadMessageAsync(timeout);
            received.Add(message);
            if (message.GetProperty("payload").GetString() == Final)
            {
                return received;
            }
        }
    }

    private static async Task<JsonElement> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments, CancellationToken timeout)
    {
        CallToolResult result = await client.CallToolAsync(tool, arguments, cancellationToken: timeout);
        Assert.True(result.IsError != true, $"{tool} failed: {Text(result)}");
        return JsonElement.Parse(Text(result));
    }

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
}
