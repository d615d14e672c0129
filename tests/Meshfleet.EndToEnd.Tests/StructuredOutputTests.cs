using System.Text.Json;
using ModelContextProtocol.Client;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// Every tool's structuredContent conforms to the outputSchema that tools/list declares for it, over the real executable
/// and the SDK's client. The schemas stay open (no additionalProperties: false), so a client that validates keeps working
/// when a later version adds a field; but Meshfleet holds itself to a closed check: every field a tool returns is declared.
/// Each tool is called in the variants that return different optional fields (a warning, a note, a routed send, a reply,
/// a waiting ask, each delivery status, a system notice), so an optional field the schema forgot fails here.
/// </summary>
public sealed class StructuredOutputTests
{
    [Fact]
    public async Task Every_tool_returns_structured_content_that_its_output_schema_declares()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_MAX_WAIT_SECONDS"] = "2" });
        await node.Listening.WaitAsync(scope.Timeout);
        var results = new List<(string Tool, string Variant, JsonElement Result)>();

        async Task<JsonElement> CallAsync(string tool, string variant, Dictionary<string, object?> arguments)
        {
            JsonElement result = await node.CallAsync(tool, arguments);
            results.Add((tool, variant, result));
            return result;
        }

        await CallAsync("create_fleet", "new", new() { ["fleet_id"] = "crew", ["description"] = "the release crew", ["request_timeout_seconds"] = 60 });
        await CallAsync("register_agent", "every field", new() { ["agent_id"] = "lead", ["name"] = "Lead", ["role"] = "orchestrator", ["description"] = "Splits work and hands it out.", ["fleet_id"] = "crew" });
        await CallAsync("register_agent", "in a fleet", new() { ["agent_id"] = "dev", ["role"] = "developer", ["description"] = "Writes and reviews C# code.", ["fleet_id"] = "crew" });
        await CallAsync("register_agent", "bare", new() { ["agent_id"] = "qa" });
        await CallAsync("heartbeat", "registered", new() { ["agent_id"] = "lead" });
        await CallAsync("list_agents", "all", new());
        await CallAsync("list_agents", "one fleet", new() { ["fleet_id"] = "crew" });
        await CallAsync("list_fleets", "one fleet", new());
        await CallAsync("subscribe_inbox", "dev", new() { ["agent_id"] = "dev" });

        await using SseProbe devStream = await SseProbe.OpenAsync(scope.Http, "/inbox/dev/stream", scope.Timeout);
        await devStream.ReadBlockAsync(scope.Timeout);
        JsonElement plain = await CallAsync("send_message", "plain", new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "dev", ["payload"] = "build it" });
        await devStream.ReadMessageAsync(scope.Timeout);
        JsonElement toNobody = await CallAsync("send_message", "unknown recipient (warning)", new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "nobody", ["payload"] = "hello?" });
        Assert.True(toNobody.TryGetProperty("warning", out _), "the warning variant did not warn");
        JsonElement acked = await CallAsync("send_message", "every option", new()
        {
            ["from_agent_id"] = "lead",
            ["to_agent_id"] = "dev",
            ["payload"] = "deploy",
            ["thread_id"] = "release",
            ["reply_to"] = plain.GetProperty("message_id").GetString(),
            ["idempotency_key"] = "deploy-1",
            ["requires_ack"] = true,
        });
        await CallAsync("send_message", "routed by fleet", new() { ["from_agent_id"] = "lead", ["fleet_id"] = "crew", ["payload"] = "Review the C# pull request" });
        await CallAsync("find_agents", "fleet", new() { ["task"] = "Review the C# pull request", ["fleet_id"] = "crew", ["limit"] = 3 });
        await CallAsync("find_agents", "no fit (note)", new() { ["task"] = "Bake a chocolate cake", ["online_only"] = true });

        await CallAsync("get_inbox", "messages", new() { ["agent_id"] = "dev" });
        await CallAsync("get_inbox", "empty (note)", new() { ["agent_id"] = "qa" });
        await CallAsync("get_inbox", "waited, capped (note)", new() { ["agent_id"] = "qa", ["wait_seconds"] = 3 });
        await CallAsync("reply", "in a thread", new() { ["from_agent_id"] = "dev", ["message_id"] = acked.GetProperty("message_id").GetString(), ["payload"] = "deploying" });
        await CallAsync("ack_message", "acked", new() { ["agent_id"] = "dev", ["message_id"] = acked.GetProperty("message_id").GetString() });

        JsonElement waiting = await CallAsync("ask", "waiting (note)", new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "qa", ["payload"] = "tests green?", ["timeout_seconds"] = 600 });
        Assert.Equal("waiting", waiting.GetProperty("status").GetString());

        // A session bound to qa is woken with the question through claude/channel, which get_message_status reports.
        MeshNode qaSession = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_AGENT_ID"] = "qa" });
        await qaSession.ChannelNotifications.Reader.ReadAsync(scope.Timeout);
        string questionToQa = waiting.GetProperty("question").GetProperty("message_id").GetString()!;
        JsonElement notified = await Poll.UntilAsync(
            _ => node.CallAsync("get_message_status", new() { ["message_id"] = questionToQa }),
            status => status.TryGetProperty("notified_at", out _),
            TimeSpan.FromSeconds(10),
            "the wake of qa's session to show in get_message_status",
            scope.Timeout);
        results.Add(("get_message_status", "notified", notified));
        await AskAnsweredAsync(node, scope, CallAsync);

        // Pushes are recorded in 100 ms batches: wait until the push to dev's stream shows, so its fields are checked too.
        JsonElement pushed = await Poll.UntilAsync(
            _ => node.CallAsync("get_message_status", new() { ["message_id"] = plain.GetProperty("message_id").GetString() }),
            status => status.TryGetProperty("last_pushed_at", out _),
            TimeSpan.FromSeconds(10),
            "the push to dev's stream to show in get_message_status",
            scope.Timeout);
        results.Add(("get_message_status", "pushed, then read", pushed));
        await CallAsync("get_message_status", "acked", new() { ["message_id"] = acked.GetProperty("message_id").GetString() });
        await CallAsync("get_message_status", "stored", new() { ["message_id"] = toNobody.GetProperty("message_id").GetString() });
        await CallAsync("broadcast", "fleet", new() { ["from_agent_id"] = "lead", ["fleet_id"] = "crew", ["payload"] = "freeze" });

        // With a token, agent identity is on and a new agent's register_agent reply carries its key. Its own store: a process
        // with the token protects the store it opens, and the first node would leave the port.
        await using var guardedScope = new MeshScope();
        MeshNode guarded = await guardedScope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_TOKEN"] = "structured-output-test-token" });
        JsonElement keyed = await guarded.CallAsync("register_agent", new() { ["agent_id"] = "keyed" });
        Assert.True(keyed.TryGetProperty("agent_key", out _), "a new agent under identity got no agent_key");
        results.Add(("register_agent", "new agent with identity on (agent_key)", keyed));

        results.AddRange(await DeadLetteredAsync());

        IList<McpClientTool> tools = await node.Client.ListToolsAsync(cancellationToken: scope.Timeout);
        Assert.Equal(tools.Select(t => t.Name).Order(), results.Select(r => r.Tool).Distinct().Order());
        var violations = new List<string>();
        foreach ((string tool, string variant, JsonElement result) in results)
        {
            JsonElement schema = tools.Single(t => t.Name == tool).ProtocolTool.OutputSchema!.Value;
            violations.AddRange(JsonSchemaCheck.Violations(schema, result, closed: true).Select(v => $"{tool} ({variant}): {v}"));
        }

        Assert.True(violations.Count == 0, "structuredContent differs from the declared outputSchema:\n" + string.Join("\n", violations));
    }

    /// <summary>
    /// A requires_ack message nobody acks, on a mesh that gives up after one quick redelivery: its status once
    /// dead-lettered, and the sender's inbox with the system notice about it.
    /// </summary>
    private static async Task<List<(string Tool, string Variant, JsonElement Result)>> DeadLetteredAsync()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_ACK_BASE_MS"] = "10", ["MESHFLEET_ACK_MAX_ATTEMPTS"] = "1" });
        JsonElement sent = await node.CallAsync("send_message", new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "idle", ["payload"] = "ack me", ["requires_ack"] = true });
        JsonElement status = await Poll.UntilAsync(
            _ => node.CallAsync("get_message_status", new() { ["message_id"] = sent.GetProperty("message_id").GetString() }),
            s => s.GetProperty("status").GetString() == "dead_lettered",
            TimeSpan.FromSeconds(20),
            "the unacked message to be dead-lettered after one redelivery",
            scope.Timeout);
        JsonElement notice = await node.CallAsync("get_inbox", new() { ["agent_id"] = "lead" });
        Assert.Equal("meshfleet", notice.GetProperty("messages")[0].GetProperty("from_agent_id").GetString());
        return [("get_message_status", "dead_lettered", status), ("get_inbox", "system notice", notice)];
    }

    /// <summary>lead asks dev; dev reads the question with a long poll and replies, and the ask ends with that reply.</summary>
    private static async Task AskAnsweredAsync(MeshNode node, MeshScope scope, Func<string, string, Dictionary<string, object?>, Task<JsonElement>> callAsync)
    {
        long since = (await node.CallAsync("get_inbox", new() { ["agent_id"] = "dev" })).GetProperty("next_since").GetInt64();
        Task<JsonElement> asking = callAsync("ask", "answered", new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "dev", ["payload"] = "ready to ship?", ["timeout_seconds"] = 600 });
        JsonElement question = await Poll.UntilAsync(
            _ => node.CallAsync("get_inbox", new() { ["agent_id"] = "dev", ["since"] = since, ["wait_seconds"] = 2 }),
            page => page.GetProperty("messages").GetArrayLength() > 0,
            TimeSpan.FromSeconds(30),
            "the question to reach dev's inbox",
            scope.Timeout);
        string questionId = question.GetProperty("messages")[0].GetProperty("message_id").GetString()!;
        await node.CallAsync("reply", new() { ["from_agent_id"] = "dev", ["message_id"] = questionId, ["payload"] = "ship it" });

        // The ask's call waits at most 2 s here: on a slow machine it may return "waiting" first; resuming by id then gets the reply.
        JsonElement exchange = await asking;
        while (exchange.GetProperty("status").GetString() == "waiting")
        {
            exchange = await callAsync("ask", "resumed", new() { ["from_agent_id"] = "lead", ["message_id"] = questionId });
        }

        Assert.Equal("ship it", exchange.GetProperty("reply").GetProperty("payload").GetString());
    }
}
