using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>What a model reads: plain text, notes that tell empty from unknown, and waits that fit a client's timeout.</summary>
public sealed class ReachTheModelTests
{
    private const string Plain = "日本語 <b>&</b> 'q'";

    [Fact]
    public async Task Non_ascii_and_html_characters_arrive_unescaped_in_tool_results_sse_and_exports()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartHubAsync();
        JsonElement ticket = await node.CallAsync("subscribe_inbox", new() { ["agent_id"] = "coder" });
        await using SseProbe probe = await SseProbe.OpenAsync(scope.Http, ticket.GetProperty("stream_url").GetString()!, scope.Timeout);
        await probe.ReadBlockAsync(scope.Timeout);

        await node.SendAsync("planner", "coder", Plain);

        CallToolResult result = await node.Client.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "coder" }, cancellationToken: scope.Timeout);
        string text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Contains($"\"payload\":\"{Plain}\"", text, StringComparison.Ordinal);
        Assert.Equal(Plain, result.StructuredContent!.Value.GetProperty("messages")[0].GetProperty("payload").GetString());

        string block = await probe.ReadEventAsync(scope.Timeout);
        Assert.Contains($"\"payload\":\"{Plain}\"", block, StringComparison.Ordinal);

        string exportFile = Path.Combine(scope.Directory, "ledger.jsonl");
        CliRun export = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "export", "--out", exportFile);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Contains($"\"payload\":\"{Plain}\"", await File.ReadAllTextAsync(exportFile, scope.Timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_inbox_tells_nothing_new_apart_from_an_unknown_agent_and_send_warns_with_the_closest_id()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync();
        await node.CallAsync("register_agent", new() { ["agent_id"] = "reviewer" });

        JsonElement empty = await node.CallAsync("get_inbox", new() { ["agent_id"] = "reviewer" });
        Assert.Empty(empty.GetProperty("messages").EnumerateArray());
        Assert.Equal(0, empty.GetProperty("next_since").GetInt64());
        Assert.StartsWith("No new messages", empty.GetProperty("note").GetString(), StringComparison.Ordinal);

        JsonElement unknown = await node.CallAsync("get_inbox", new() { ["agent_id"] = "reveiwer" });
        Assert.Empty(unknown.GetProperty("messages").EnumerateArray());
        Assert.Contains("No agent 'reveiwer' is known", unknown.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Contains("Did you mean 'reviewer'?", unknown.GetProperty("note").GetString(), StringComparison.Ordinal);

        JsonElement typo = await node.SendAsync("lead", "reveiwer", "stored anyway");
        Assert.Contains("Did you mean 'reviewer'?", typo.GetProperty("warning").GetString(), StringComparison.Ordinal);
        JsonElement fine = await node.SendAsync("lead", "reviewer", "no warning");
        Assert.False(fine.TryGetProperty("warning", out _));

        // The typo'd inbox now holds mail, so it is an agent with messages, not an unknown one.
        JsonElement typoInbox = await node.CallAsync("get_inbox", new() { ["agent_id"] = "reveiwer" });
        Assert.Single(typoInbox.GetProperty("messages").EnumerateArray());
        Assert.False(typoInbox.TryGetProperty("note", out _));
    }

    [Fact]
    public async Task Ask_longer_than_the_call_limit_sends_progress_returns_waiting_and_resumes_by_message_id()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_MAX_WAIT_SECONDS"] = "6" });
        await node.CallAsync("register_agent", new() { ["agent_id"] = "dev" });

        var progress = new List<ProgressNotificationValue>();
        CallToolResult result = await node.Client.CallToolAsync(
            "ask",
            new Dictionary<string, object?> { ["from_agent_id"] = "lead", ["to_agent_id"] = "dev", ["payload"] = "ready?", ["timeout_seconds"] = 600 },
            new SynchronousProgress(progress),
            cancellationToken: scope.Timeout);
        Assert.True(result.IsError != true);
        JsonElement waiting = result.StructuredContent!.Value;
        Assert.Equal("waiting", waiting.GetProperty("status").GetString());
        string questionId = waiting.GetProperty("question").GetProperty("message_id").GetString()!;
        Assert.Contains($"{{\"message_id\":\"{questionId}\"}}", waiting.GetProperty("note").GetString(), StringComparison.Ordinal);
        lock (progress)
        {
            Assert.NotEmpty(progress);
        }

        await node.CallAsync("reply", new() { ["from_agent_id"] = "dev", ["message_id"] = questionId, ["payload"] = "yes" });
        JsonElement answered = await node.CallAsync("ask", new() { ["from_agent_id"] = "lead", ["message_id"] = questionId });
        Assert.Equal("answered", answered.GetProperty("status").GetString());
        Assert.Equal("yes", answered.GetProperty("reply").GetProperty("payload").GetString());
        JsonElement devInbox = await node.CallAsync("get_inbox", new() { ["agent_id"] = "dev" });
        Assert.Single(devInbox.GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Get_inbox_wait_is_capped_and_says_how_to_keep_waiting()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_MAX_WAIT_SECONDS"] = "1" });
        await node.CallAsync("register_agent", new() { ["agent_id"] = "dev" });

        JsonElement page = await node.CallAsync("get_inbox", new() { ["agent_id"] = "dev", ["wait_seconds"] = 300 });
        Assert.Empty(page.GetProperty("messages").EnumerateArray());
        Assert.Contains("one call waits at most 1 s", page.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Contains("get_inbox {\"agent_id\":\"dev\",\"since\":0,\"wait_seconds\":1}", page.GetProperty("note").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_schemas_list_every_field_the_new_results_carry()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_MAX_WAIT_SECONDS"] = "1" });
        await node.CallAsync("register_agent", new() { ["agent_id"] = "dev" });
        Dictionary<string, JsonElement> schemas = (await node.Client.ListToolsAsync(cancellationToken: scope.Timeout))
            .ToDictionary(t => t.Name, t => t.ProtocolTool.OutputSchema!.Value);

        JsonElement sent = await node.SendAsync("lead", "dve", "typo");
        JsonElement message = (await node.CallAsync("get_inbox", new() { ["agent_id"] = "dve" })).GetProperty("messages")[0];
        await node.CallAsync("ack_message", new() { ["agent_id"] = "dve", ["message_id"] = message.GetProperty("message_id").GetString() });
        JsonElement status = await node.CallAsync("get_message_status", new() { ["message_id"] = sent.GetProperty("message_id").GetString() });
        JsonElement empty = await node.CallAsync("get_inbox", new() { ["agent_id"] = "nobody" });
        JsonElement waiting = await node.CallAsync("ask", new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "dev", ["payload"] = "?", ["timeout_seconds"] = 60 });

        AssertCovered(schemas["send_message"], sent, "warning");
        AssertCovered(schemas["get_message_status"], status, "read_at", "notified_sessions");
        AssertCovered(schemas["get_inbox"], empty, "note");
        AssertCovered(schemas["ask"], waiting, "status", "note");
    }

    private static void AssertCovered(JsonElement schema, JsonElement result, params string[] mustAppear)
    {
        JsonElement properties = schema.GetProperty("properties");
        foreach (JsonProperty field in result.EnumerateObject())
        {
            Assert.True(properties.TryGetProperty(field.Name, out _), $"outputSchema lacks '{field.Name}' of {result.GetRawText()}");
        }

        foreach (string name in mustAppear)
        {
            Assert.True(result.TryGetProperty(name, out _), $"result lacks '{name}': {result.GetRawText()}");
        }

        foreach (JsonElement required in schema.GetProperty("required").EnumerateArray())
        {
            Assert.True(result.TryGetProperty(required.GetString()!, out _), $"result lacks required '{required}': {result.GetRawText()}");
        }
    }

    /// <summary>Records progress as it is reported (Progress&lt;T&gt; would post it to the thread pool later).</summary>
    private sealed class SynchronousProgress(List<ProgressNotificationValue> values) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value)
        {
            lock (values)
            {
                values.Add(value);
            }
        }
    }
}
