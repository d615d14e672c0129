using System.Collections.Concurrent;
using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// Several meshfleet processes on one store and one port, as when several MCP clients each spawn their own:
/// they must behave as one mesh.
/// </summary>
public sealed class OneMeshTests
{
    private const string Final = "end of test";

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Processes_on_one_store_share_one_mesh_and_the_hub_pushes_each_inbox_in_seq_order(int processes)
    {
        const int perPeer = 10;
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        MeshNode[] others = await Task.WhenAll(Enumerable.Range(1, processes - 1).Select(_ => scope.StartNodeAsync()));
        MeshNode[] nodes = [hub, .. others];
        Assert.Equal(hub.Pid, await scope.HubPidAsync());
        string[] agents = [.. Enumerable.Range(0, processes).Select(i => $"agent-{i}")];

        var readers = new List<Task<List<JsonElement>>>();
        var probes = new List<SseProbe>();
        try
        {
            for (int i = 0; i < processes; i++)
            {
                // Asked of a process that is not the hub: it must hand out the hub's URL, not one of its own.
                MeshNode asked = others[i % others.Length];
                JsonElement ticket = await asked.CallAsync("subscribe_inbox", new() { ["agent_id"] = agents[i] });
                string url = ticket.GetProperty("stream_url").GetString()!;
                Assert.Equal($"http://127.0.0.1:{scope.Port}/inbox/{agents[i]}/stream", url);

                SseProbe probe = await SseProbe.OpenAsync(scope.Http, url, scope.Timeout);
                probes.Add(probe);
                Assert.Equal("retry: 2000\n\n", await probe.ReadBlockAsync(scope.Timeout));
                readers.Add(ReadUntilFinalAsync(probe, scope.Timeout));
            }

            // Every process sends to every other agent at once; each process's own sends are sequential.
            var receipts = new ConcurrentBag<(string From, string To, string Payload, long Seq, string Id)>();
            await Task.WhenAll(nodes.Select(async (node, i) =>
            {
                for (int round = 0; round < perPeer; round++)
                {
                    foreach (string to in agents.Where(a => a != agents[i]))
                    {
                        string payload = $"{agents[i]}->{to} #{round}";
                        JsonElement receipt = await node.SendAsync(agents[i], to, payload);
                        receipts.Add((agents[i], to, payload, receipt.GetProperty("seq").GetInt64(), receipt.GetProperty("message_id").GetString()!));
                    }
                }
            }));

            int total = processes * (processes - 1) * perPeer;
            Assert.Equal(total, receipts.Count);
            Assert.Equal(total, receipts.Select(r => r.Seq).Distinct().Count());

            // A last message to each inbox, sent after every other one was acknowledged: reading up to it proves that
            // nothing is missing and nothing extra (a duplicate, another agent's message) came before it.
            foreach (string agent in agents)
            {
                await others[0].SendAsync("closer", agent, Final);
            }

            for (int i = 0; i < processes; i++)
            {
                List<JsonElement> received = await readers[i].WaitAsync(scope.Timeout);
                var expected = receipts.Where(r => r.To == agents[i]).OrderBy(r => r.Seq).ToList();
                Assert.Equal(
                    expected.Select(r => (r.Seq, r.Id, r.From, r.Payload)),
                    received.SkipLast(1).Select(m => (
                        m.GetProperty("seq").GetInt64(),
                        m.GetProperty("message_id").GetString()!,
                        m.GetProperty("from_agent_id").GetString()!,
                        m.GetProperty("payload").GetString()!)));
                Assert.All(received, m => Assert.Equal(agents[i], m.GetProperty("to_agent_id").GetString()));
                foreach (var fromOneSender in expected.GroupBy(r => r.From))
                {
                    Assert.Equal(
                        Enumerable.Range(0, perPeer).Select(round => $"{fromOneSender.Key}->{agents[i]} #{round}"),
                        fromOneSender.Select(r => r.Payload));
                }
            }

            // The port stayed with the first process: the others served MCP and fed the hub through the shared store.
            Assert.All(others, node => Assert.False(node.Listening.IsCompleted));
            Assert.Equal(hub.Pid, await scope.HubPidAsync());
        }
        finally
        {
            foreach (SseProbe probe in probes)
            {
                await probe.DisposeAsync();
            }
        }
    }

    private static async Task<List<JsonElement>> ReadUntilFinalAsync(SseProbe probe, CancellationToken cancellationToken)
    {
        var received = new List<JsonElement>();
        while (true)
        {
            JsonElement message = await probe.ReadMessageAsync(cancellationToken);
            received.Add(message);
            if (message.GetProperty("payload").GetString() == Final)
            {
                return received;
            }
        }
    }
}
