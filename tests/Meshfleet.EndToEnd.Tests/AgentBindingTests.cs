using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>A process started with MESHFLEET_AGENT_ID acts as that agent and wakes its client session with new messages.</summary>
public sealed class AgentBindingTests
{
    private readonly ITestOutputHelper _output;

    public AgentBindingTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private static Dictionary<string, string> Bound(string agent) => new() { ["MESHFLEET_AGENT_ID"] = agent };

    [Fact]
    public async Task Bound_process_fills_in_its_agent_id_and_shows_it_optional()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(Bound("reviewer"));

        Assert.Contains("You are agent 'reviewer'", node.Client.ServerInstructions, StringComparison.Ordinal);
        IList<McpClientTool> tools = await node.Client.ListToolsAsync(cancellationToken: scope.Timeout);
        foreach (McpClientTool tool in tools)
        {
            JsonElement schema = tool.ProtocolTool.InputSchema;
            string[] required = schema.TryGetProperty("required", out JsonElement r) ? r.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];
            Assert.DoesNotContain("agent_id", required);
            Assert.DoesNotContain("from_agent_id", required);
        }

        JsonElement sendSchema = tools.Single(t => t.Name == "send_message").ProtocolTool.InputSchema;
        Assert.Contains("reviewer", sendSchema.GetProperty("properties").GetProperty("from_agent_id").GetProperty("description").GetString(), StringComparison.Ordinal);

        JsonElement sent = await node.CallAsync("send_message", new() { ["to_agent_id"] = "author", ["payload"] = "looks good" });
        JsonElement explicitSend = await node.CallAsync("send_message", new() { ["from_agent_id"] = "author", ["to_agent_id"] = "reviewer", ["payload"] = "thanks" });

        JsonElement authorInbox = await node.CallAsync("get_inbox", new() { ["agent_id"] = "author" });
        JsonElement first = Assert.Single(authorInbox.GetProperty("messages").EnumerateArray());
        Assert.Equal("reviewer", first.GetProperty("from_agent_id").GetString());
        Assert.Equal(sent.GetProperty("message_id").GetString(), first.GetProperty("message_id").GetString());

        JsonElement ownInbox = await node.CallAsync("get_inbox", new());
        JsonElement mine = Assert.Single(ownInbox.GetProperty("messages").EnumerateArray());
        Assert.Equal(explicitSend.GetProperty("message_id").GetString(), mine.GetProperty("message_id").GetString());
        Assert.Equal("author", mine.GetProperty("from_agent_id").GetString());
    }

    [Fact]
    public async Task Unbound_process_still_requires_agent_ids()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync();

        string error = await node.CallExpectingErrorAsync("send_message", new() { ["to_agent_id"] = "author", ["payload"] = "x" });
        Assert.Contains("from_agent_id", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bound_session_is_woken_through_claude_channel_once_in_seq_order()
    {
        await using var scope = new MeshScope();
        MeshNode sender = await scope.StartHubAsync();
        MeshNode bound = await scope.StartNodeAsync(Bound("reviewer"));

        // The handshake fell back to initialize: a 2026-07-28 ("modern") connection would drop the channel.
        Assert.NotEqual("2026-07-28", bound.Client.NegotiatedProtocolVersion);
        Assert.True(bound.Client.ServerCapabilities.Experimental?.ContainsKey("claude/channel"));
        await WaitForBindingAsync(bound, scope);

        var sentIds = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            JsonElement receipt = await sender.CallAsync("send_message", new() { ["from_agent_id"] = "author", ["to_agent_id"] = "reviewer", ["payload"] = $"question {i}", ["thread_id"] = "pr-12" });
            sentIds.Add(receipt.GetProperty("message_id").GetString()!);
        }

        await sender.SendAsync("author", "someone-else", "not for reviewer");

        // The C# client runs notification handlers concurrently, so arrival order here says nothing; the raw stdio test
        // below checks the order on the wire.
        var received = new List<JsonObject>();
        for (int i = 0; i < 3; i++)
        {
            (JsonRpcNotification notification, _) = await bound.ChannelNotifications.Reader.ReadAsync(scope.Timeout);
            received.Add(notification.Params!.AsObject());
        }

        Assert.Equal(sentIds.Order(StringComparer.Ordinal), received.Select(b => b["meta"]!["message_id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        foreach (JsonObject body in received)
        {
            JsonObject meta = body["meta"]!.AsObject();
            int i = sentIds.IndexOf(meta["message_id"]!.GetValue<string>());
            Assert.Equal("author", meta["from_agent_id"]!.GetValue<string>());
            Assert.Equal("pr-12", meta["thread_id"]!.GetValue<string>());
            Assert.All(meta.Select(p => p.Key), key => Assert.Matches("^[A-Za-z0-9_]+$", key));
            string content = body["content"]!.GetValue<string>();
            Assert.Contains($"question {i}", content, StringComparison.Ordinal);
            Assert.Contains(sentIds[i], content, StringComparison.Ordinal);
            Assert.Contains("author", content, StringComparison.Ordinal);
        }

        JsonElement status = await sender.CallAsync("get_message_status", new() { ["message_id"] = sentIds[0] });
        Assert.Equal("notified", status.GetProperty("status").GetString());
        Assert.Equal(1, status.GetProperty("notified_sessions").GetInt32());
        Assert.True(status.GetProperty("notified_at").GetInt64() >= status.GetProperty("stored_at").GetInt64());

        // Nothing else for reviewer: the next notification is the next message, not a repeat.
        JsonElement last = await sender.SendAsync("author", "reviewer", "last");
        (JsonRpcNotification next, _) = await bound.ChannelNotifications.Reader.ReadAsync(scope.Timeout);
        Assert.Equal(last.GetProperty("message_id").GetString(), next.Params!["meta"]!["message_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task New_session_is_woken_with_unseen_backlog_but_not_with_messages_already_read()
    {
        await using var scope = new MeshScope();
        MeshNode sender = await scope.StartHubAsync();
        JsonElement read = await sender.SendAsync("author", "reviewer", "already read");
        await sender.CallAsync("get_inbox", new() { ["agent_id"] = "reviewer" });
        JsonElement unseen = await sender.SendAsync("author", "reviewer", "waiting for you");

        MeshNode bound = await scope.StartNodeAsync(Bound("reviewer"));
        long handshakeDone = Stopwatch.GetTimestamp();
        JsonElement duringGrace = await sender.SendAsync("author", "reviewer", "sent while the client registers its handler");

        // Claude Code drops a channel notification that arrives before its handler is registered (some ms after the
        // handshake), so nothing goes out during the grace; the server got notifications/initialized no earlier than the
        // client sent it, just before StartNodeAsync returned, so the lower bound holds up to a few ms.
        (JsonRpcNotification first, long firstAt) = await bound.ChannelNotifications.Reader.ReadAsync(scope.Timeout);
        TimeSpan held = Stopwatch.GetElapsedTime(handshakeDone, firstAt);
        Assert.True(held >= TimeSpan.FromSeconds(1.9), $"the first channel notification came {held.TotalMilliseconds:0} ms after the handshake");
        (JsonRpcNotification heldLive, _) = await bound.ChannelNotifications.Reader.ReadAsync(scope.Timeout);

        // Both are delivered once: the backlog message and the one held during the grace (the C# client's handlers run
        // concurrently, so arrival order here says nothing).
        string[] firstTwo = [first.Params!["meta"]!["message_id"]!.GetValue<string>(), heldLive.Params!["meta"]!["message_id"]!.GetValue<string>()];
        Assert.Equal(new[] { unseen.GetProperty("message_id").GetString()!, duringGrace.GetProperty("message_id").GetString()! }.Order(StringComparer.Ordinal), firstTwo.Order(StringComparer.Ordinal));

        JsonElement live = await sender.SendAsync("author", "reviewer", "live");
        (JsonRpcNotification second, _) = await bound.ChannelNotifications.Reader.ReadAsync(scope.Timeout);
        Assert.Equal(live.GetProperty("message_id").GetString(), second.Params!["meta"]!["message_id"]!.GetValue<string>());
        Assert.DoesNotContain(read.GetProperty("message_id").GetString(), firstTwo);

        JsonElement status = await sender.CallAsync("get_message_status", new() { ["message_id"] = read.GetProperty("message_id").GetString() });
        Assert.Equal("read", status.GetProperty("status").GetString());
        Assert.Equal(0, status.GetProperty("notified_sessions").GetInt32());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Send_to_notification_latency_from_another_process(bool boundProcessIsHub)
    {
        await using var scope = new MeshScope();
        MeshNode sender;
        MeshNode bound;
        if (boundProcessIsHub)
        {
            bound = await scope.StartNodeAsync(Bound("reviewer"));
            await bound.Listening.WaitAsync(scope.Timeout);
            sender = await scope.StartNodeAsync();
        }
        else
        {
            sender = await scope.StartHubAsync();
            bound = await scope.StartNodeAsync(Bound("reviewer"));
        }

        await WaitForBindingAsync(bound, scope);
        var latencies = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            JsonElement receipt = await sender.SendAsync("author", "reviewer", $"ping {i}");
            (JsonRpcNotification notification, long receivedAt) = await bound.ChannelNotifications.Reader.ReadAsync(scope.Timeout);
            Assert.Equal(receipt.GetProperty("message_id").GetString(), notification.Params!["meta"]!["message_id"]!.GetValue<string>());

            // From the commit (the message's timestamp) to the client holding the notification.
            double committedAgo = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - receipt.GetProperty("timestamp").GetInt64();
            latencies.Add(committedAgo - Stopwatch.GetElapsedTime(receivedAt).TotalMilliseconds);
        }

        latencies.Sort();
        _output.WriteLine($"bound process is {(boundProcessIsHub ? "the hub" : "not the hub")}: commit -> channel notification over 20 sends: p50 {latencies[9]:0} ms, p95 {latencies[18]:0} ms, max {latencies[^1]:0} ms");
        Assert.True(latencies[9] < 1000, $"p50 {latencies[9]} ms");
    }

    [Fact]
    public async Task Raw_stdio_refuses_server_discover_and_streams_channel_notifications_in_seq_order()
    {
        await using var scope = new MeshScope();
        MeshNode sender = await scope.StartHubAsync();
        var environment = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_AGENT_ID"] = "reviewer" };
        using Process process = Process.Start(MeshfleetBinary.StartInfo(environment))!;
        try
        {
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            StreamWriter input = process.StandardInput;
            StreamReader output = process.StandardOutput;

            // What Claude Code sends first: the 2026-07-28 probe. Refused, it falls back to initialize.
            await input.WriteLineAsync("""{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"probe","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}""");
            await input.FlushAsync(scope.Timeout);
            JsonElement discover = JsonElement.Parse((await output.ReadLineAsync(scope.Timeout))!);
            Assert.Equal(-32601, discover.GetProperty("error").GetProperty("code").GetInt32());

            await input.WriteLineAsync("""{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}""");
            await input.FlushAsync(scope.Timeout);
            JsonElement initialized = JsonElement.Parse((await output.ReadLineAsync(scope.Timeout))!);
            Assert.Equal("2025-11-25", initialized.GetProperty("result").GetProperty("protocolVersion").GetString());
            Assert.True(initialized.GetProperty("result").GetProperty("capabilities").GetProperty("experimental").TryGetProperty("claude/channel", out _));
            await input.WriteLineAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
            await input.FlushAsync(scope.Timeout);

            var sent = new List<long>();
            for (int i = 0; i < 5; i++)
            {
                sent.Add((await sender.SendAsync("author", "reviewer", $"m{i}")).GetProperty("seq").GetInt64());
            }

            var seen = new List<long>();
            while (seen.Count < sent.Count)
            {
                JsonElement line = JsonElement.Parse((await output.ReadLineAsync(scope.Timeout))!);
                Assert.Equal("notifications/claude/channel", line.GetProperty("method").GetString());
                seen.Add(long.Parse(line.GetProperty("params").GetProperty("meta").GetProperty("seq").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            }

            Assert.Equal(sent, seen);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>The session is bound once the server logged it (after the client's initialized notification).</summary>
    private static Task WaitForBindingAsync(MeshNode node, MeshScope scope) => node.WaitForStderrAsync("Session bound to agent", scope.Timeout);
}
