using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>The real executable over stdio, driven by the C# SDK client.</summary>
public sealed class StdioServerTests
{
    [Fact]
    public async Task Server_reports_identity_instructions_and_small_annotated_tools()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync();

        Assert.Equal("meshfleet", node.Client.ServerInfo!.Name);
        Assert.Matches(@"^\d+\.\d+\.\d+", node.Client.ServerInfo.Version);
        Assert.False(string.IsNullOrWhiteSpace(node.Client.ServerInstructions));

        IList<McpClientTool> tools = await node.Client.ListToolsAsync(cancellationToken: scope.Timeout);
        Assert.Equal(
            ["ack_message", "ask", "broadcast", "create_fleet", "find_agents", "get_inbox", "get_message_status", "heartbeat", "list_agents", "list_fleets", "register_agent", "reply", "send_message", "subscribe_inbox"],
            tools.Select(t => t.Name).Order());
        foreach (McpClientTool tool in tools)
        {
            Tool definition = tool.ProtocolTool;
            Assert.NotNull(definition.Annotations);
            Assert.NotNull(definition.Annotations!.ReadOnlyHint);
            Assert.NotNull(definition.OutputSchema);
            Assert.False(string.IsNullOrWhiteSpace(definition.Description));
        }

        Assert.All(new[] { "send_message", "get_inbox", "subscribe_inbox", "ask", "reply" }, name =>
            Assert.Contains("Example", tools.Single(t => t.Name == name).Description, StringComparison.Ordinal));

        Assert.True(tools.Single(t => t.Name == "get_inbox").ProtocolTool.Annotations!.ReadOnlyHint);
        Assert.False(tools.Single(t => t.Name == "send_message").ProtocolTool.Annotations!.ReadOnlyHint);

        // Every tool definition costs each agent context on every turn: ~4 characters per token, budget 4,500 tokens
        // (raised from 4,000 when find_agents, agent keys and resumable ask landed together: 14 tools, 17,487 characters).
        int size = JsonSerializer.Serialize(tools.Select(t => t.ProtocolTool).ToList(), McpJsonUtilities.DefaultOptions).Length;
        Assert.True(size < 18_000, $"tools/list is {size} characters");
    }

    [Fact]
    public async Task Send_then_poll_returns_message_once_with_exclusive_cursor()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync();

        JsonElement receipt = await node.CallAsync("send_message", new()
        {
            ["from_agent_id"] = "planner",
            ["to_agent_id"] = "coder",
            ["payload"] = "{\"task\":\"write tests\"}",
            ["thread_id"] = "t-1",
        });
        long seq = receipt.GetProperty("seq").GetInt64();
        string id = receipt.GetProperty("message_id").GetString()!;
        long timestamp = receipt.GetProperty("timestamp").GetInt64();
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        JsonElement page = await node.CallAsync("get_inbox", new() { ["agent_id"] = "coder" });
        JsonElement message = Assert.Single(page.GetProperty("messages").EnumerateArray());
        Assert.Equal(id, message.GetProperty("message_id").GetString());
        Assert.Equal(seq, message.GetProperty("seq").GetInt64());
        Assert.Equal("planner", message.GetProperty("from_agent_id").GetString());
        Assert.Equal("coder", message.GetProperty("to_agent_id").GetString());
        Assert.Equal("{\"task\":\"write tests\"}", message.GetProperty("payload").GetString());
        Assert.Equal(timestamp, message.GetProperty("timestamp").GetInt64());
        Assert.Equal("t-1", message.GetProperty("thread_id").GetString());
        Assert.False(message.TryGetProperty("reply_to", out _));
        Assert.Equal(seq, page.GetProperty("next_since").GetInt64());

        JsonElement empty = await node.CallAsync("get_inbox", new() { ["agent_id"] = "coder", ["since"] = seq });
        Assert.Empty(empty.GetProperty("messages").EnumerateArray());
        Assert.Equal(seq, empty.GetProperty("next_since").GetInt64());

        JsonElement others = await node.CallAsync("get_inbox", new() { ["agent_id"] = "planner" });
        Assert.Empty(others.GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Paging_with_limit_and_next_since_visits_every_message_once()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync();
        var sent = new List<long>();
        for (int i = 0; i < 7; i++)
        {
            sent.Add((await node.SendAsync("a", "b", $"m{i}")).GetProperty("seq").GetInt64());
        }

        var seen = new List<long>();
        long since = 0;
        while (true)
        {
            JsonElement page = await node.CallAsync("get_inbox", new() { ["agent_id"] = "b", ["since"] = since, ["limit"] = 3 });
            var seqs = page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()).ToList();
            if (seqs.Count == 0)
            {
                break;
            }

            seen.AddRange(seqs);
            since = page.GetProperty("next_since").GetInt64();
        }

        Assert.Equal(sent, seen);
    }

    [Fact]
    public async Task Bad_input_gets_tool_errors_that_explain_and_the_server_keeps_its_data()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_MAX_PAYLOAD_BYTES"] = "1024" });
        long kept = (await node.SendAsync("a", "b", "kept")).GetProperty("seq").GetInt64();

        Assert.Contains("to_agent_id", await node.CallExpectingErrorAsync("send_message", new() { ["from_agent_id"] = "a", ["to_agent_id"] = "../x", ["payload"] = "p" }), StringComparison.Ordinal);
        Assert.Contains("at most 64", await node.CallExpectingErrorAsync("send_message", new() { ["from_agent_id"] = new string('a', 65), ["to_agent_id"] = "b", ["payload"] = "p" }), StringComparison.Ordinal);
        Assert.Contains("a space", await node.CallExpectingErrorAsync("get_inbox", new() { ["agent_id"] = "has space" }), StringComparison.Ordinal);
        Assert.Contains("1024 bytes", await node.CallExpectingErrorAsync("send_message", new() { ["from_agent_id"] = "a", ["to_agent_id"] = "b", ["payload"] = new string('x', 2000) }), StringComparison.Ordinal);
        Assert.Contains("must be a string", await node.CallExpectingErrorAsync("send_message", new() { ["from_agent_id"] = "a", ["to_agent_id"] = "b", ["payload"] = 42 }), StringComparison.Ordinal);
        Assert.Contains("'payload' is required", await node.CallExpectingErrorAsync("send_message", new() { ["from_agent_id"] = "a", ["to_agent_id"] = "b" }), StringComparison.Ordinal);
        Assert.Contains("whole number", await node.CallExpectingErrorAsync("get_inbox", new() { ["agent_id"] = "b", ["since"] = "yesterday" }), StringComparison.Ordinal);
        Assert.Contains("between 1 and 1000", await node.CallExpectingErrorAsync("get_inbox", new() { ["agent_id"] = "b", ["limit"] = 0 }), StringComparison.Ordinal);
        Assert.Contains("whole number", await node.CallExpectingErrorAsync("get_inbox", new() { ["agent_id"] = "b", ["limit"] = 2.5 }), StringComparison.Ordinal);
        Assert.Contains("no argument 'agentId'", await node.CallExpectingErrorAsync("get_inbox", new() { ["agentId"] = "b" }), StringComparison.Ordinal);

        McpProtocolException unknown = await Assert.ThrowsAsync<McpProtocolException>(
            () => node.Client.CallToolAsync("delete_everything", new Dictionary<string, object?>(), cancellationToken: scope.Timeout).AsTask());
        Assert.Contains("send_message", unknown.Message, StringComparison.Ordinal);

        JsonElement inbox = await node.CallAsync("get_inbox", new() { ["agent_id"] = "b" });
        Assert.Equal([kept], inbox.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task Taken_port_keeps_mcp_working_and_subscribe_says_why_there_is_no_stream()
    {
        await using var scope = new MeshScope();
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, scope.Port);
        squatter.Start();
        MeshNode node = await scope.StartNodeAsync();

        await node.SendAsync("a", "b", "still works");
        JsonElement inbox = await node.CallAsync("get_inbox", new() { ["agent_id"] = "b" });
        Assert.Single(inbox.GetProperty("messages").EnumerateArray());

        Task<System.Net.Sockets.TcpClient> accepted = squatter.AcceptTcpClientAsync(scope.Timeout).AsTask();
        string error = await node.CallExpectingErrorAsync("subscribe_inbox", new() { ["agent_id"] = "b" });
        Assert.Contains("get_inbox", error, StringComparison.Ordinal);
        Assert.Contains(scope.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), error, StringComparison.Ordinal);
        Assert.Contains(node.Stderr, line => line.Contains($"Port {scope.Port} is taken", StringComparison.Ordinal));
        (await accepted).Dispose();
    }
}
