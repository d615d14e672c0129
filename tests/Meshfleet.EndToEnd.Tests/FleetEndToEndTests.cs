using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>Fleets, ask/reply and the long poll between real processes, in real seconds.</summary>
public sealed class FleetEndToEndTests
{
    [Fact]
    public async Task Ask_in_one_process_is_answered_from_another_through_a_long_poll()
    {
        await using var scope = new MeshScope();
        MeshNode orchestrator = await scope.StartHubAsync();
        MeshNode specialist = await scope.StartNodeAsync();
        await orchestrator.CallAsync("create_fleet", new() { ["fleet_id"] = "pr-12", ["request_timeout_seconds"] = 30 });
        await orchestrator.CallAsync("register_agent", new() { ["agent_id"] = "lead", ["role"] = "orchestrator", ["fleet_id"] = "pr-12" });
        await specialist.CallAsync("register_agent", new() { ["agent_id"] = "reviewer", ["role"] = "reviewer", ["description"] = "reviews diffs", ["fleet_id"] = "pr-12" });

        Task<JsonElement> waiting = specialist.CallAsync("get_inbox", new() { ["agent_id"] = "reviewer", ["wait_seconds"] = 30 });
        var clock = Stopwatch.StartNew();
        Task<JsonElement> asking = orchestrator.CallAsync("ask", new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "reviewer", ["payload"] = "Safe to merge?" });

        JsonElement question = (await waiting).GetProperty("messages")[0];
        Assert.Equal("Safe to merge?", question.GetProperty("payload").GetString());
        TimeSpan heard = clock.Elapsed;

        JsonElement inboxWhileAsking = await orchestrator.CallAsync("get_inbox", new() { ["agent_id"] = "lead" });
        Assert.False(asking.IsCompleted, "the ask should still be waiting while other calls go through");
        Assert.Empty(inboxWhileAsking.GetProperty("messages").EnumerateArray());

        await specialist.CallAsync("reply", new() { ["from_agent_id"] = "reviewer", ["message_id"] = question.GetProperty("message_id").GetString(), ["payload"] = "Yes" });
        JsonElement exchange = await asking;
        Assert.Equal("Yes", exchange.GetProperty("reply").GetProperty("payload").GetString());
        Assert.Equal(question.GetProperty("message_id").GetString(), exchange.GetProperty("reply").GetProperty("reply_to").GetString());
        Assert.True(heard < TimeSpan.FromSeconds(5), $"long poll took {heard}");

        JsonElement agents = await orchestrator.CallAsync("list_agents", new() { ["fleet_id"] = "pr-12" });
        Assert.All(agents.GetProperty("agents").EnumerateArray(), a => Assert.Equal("online", a.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Ask_timeout_is_a_tool_error_naming_the_question()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync();
        await node.CallAsync("register_agent", new() { ["agent_id"] = "silent" });
        string error = await node.CallExpectingErrorAsync("ask", new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "silent", ["payload"] = "hello?", ["timeout_seconds"] = 1 });
        Assert.Contains("within 1 s", error, StringComparison.Ordinal);
        JsonElement inbox = await node.CallAsync("get_inbox", new() { ["agent_id"] = "silent" });
        Assert.Contains(inbox.GetProperty("messages")[0].GetProperty("message_id").GetString()!, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broadcast_is_pushed_to_every_members_stream_and_status_shows_the_push()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartHubAsync();
        foreach (string agent in new[] { "lead", "dev", "qa" })
        {
            await node.CallAsync("register_agent", new() { ["agent_id"] = agent, ["fleet_id"] = "crew" });
        }

        await using SseProbe dev = await SseProbe.OpenAsync(scope.Http, "/inbox/dev/stream", scope.Timeout);
        await using SseProbe qa = await SseProbe.OpenAsync(scope.Http, "/inbox/qa/stream", scope.Timeout);
        Assert.Equal("retry: 2000\n\n", await dev.ReadBlockAsync(scope.Timeout));
        Assert.Equal("retry: 2000\n\n", await qa.ReadBlockAsync(scope.Timeout));

        JsonElement receipt = await node.CallAsync("broadcast", new() { ["from_agent_id"] = "lead", ["fleet_id"] = "crew", ["payload"] = "freeze" });
        Assert.Equal(2, receipt.GetProperty("messages").GetArrayLength());
        Assert.Contains("\"payload\":\"freeze\"", await dev.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);
        Assert.Contains("\"payload\":\"freeze\"", await qa.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);

        string toDev = receipt.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("to_agent_id").GetString() == "dev").GetProperty("message_id").GetString()!;
        // The push record is written in batches every 100 ms, and nothing announces a batch: poll the status, bounded.
        JsonElement status = await Poll.UntilAsync(
            _ => node.CallAsync("get_message_status", new() { ["message_id"] = toDev }),
            s => s.GetProperty("status").GetString() != "stored",
            TimeSpan.FromSeconds(10),
            $"the push of {toDev} to dev's stream to show in get_message_status",
            scope.Timeout);

        Assert.Equal("pushed", status.GetProperty("status").GetString());
        Assert.Equal(1, status.GetProperty("pushed_streams").GetInt32());
    }

    [Fact]
    public async Task Unacked_message_is_redelivered_on_the_stream_without_an_id_until_acked()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_ACK_BASE_MS"] = "200" });
        await node.Listening.WaitAsync(scope.Timeout);
        await using SseProbe stream = await SseProbe.OpenAsync(scope.Http, "/inbox/worker/stream", scope.Timeout);
        Assert.Equal("retry: 2000\n\n", await stream.ReadBlockAsync(scope.Timeout));

        JsonElement sent = await node.CallAsync("send_message", new() { ["from_agent_id"] = "boss", ["to_agent_id"] = "worker", ["payload"] = "deploy", ["requires_ack"] = true });
        string id = sent.GetProperty("message_id").GetString()!;
        Assert.StartsWith($"id: {sent.GetProperty("seq").GetInt64()}\n", await stream.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);
        string redelivery = await stream.ReadEventAsync(scope.Timeout);
        Assert.StartsWith("event: message\ndata: ", redelivery, StringComparison.Ordinal);
        Assert.Contains(id, redelivery, StringComparison.Ordinal);

        JsonElement acked = await node.CallAsync("ack_message", new() { ["agent_id"] = "worker", ["message_id"] = id });
        Assert.Equal("acked", acked.GetProperty("status").GetString());
    }
}
