using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// <c>meshfleet bridge opencode|codex</c> as real processes against stand-ins for the clients' servers (a Kestrel fake of
/// OpenCode's HTTP API, a node fake of Codex's app-server): each message becomes one turn, in seq order, carrying who
/// wrote, the ids and how to answer; a refused delivery is retried, and a restarted bridge repeats nothing.
/// The real clients are exercised by tests/clients.
/// </summary>
public sealed class BridgeTests
{
    [Fact]
    public async Task OpenCode_bridge_prompts_the_latest_top_level_session_once_per_message_in_order()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        await using FakeOpenCodeServer opencode = await FakeOpenCodeServer.StartAsync();
        var environment = new Dictionary<string, string>(scope.Environment) { ["OPENCODE_SERVER_PASSWORD"] = FakeOpenCodeServer.Password };
        string[] bridgeArgs = ["bridge", "opencode", "--agent", "reviewer", "--url", opencode.Url];

        List<JsonElement> sent = [];
        await using (FollowerProcess bridge = await FollowerProcess.StartAsync(environment, scope.Timeout, bridgeArgs))
        {
            sent.Add(await SendAsync(hub, "Is PR 12 safe?\nAnswer yes or no.", "pr-12"));
            sent.Add(await SendAsync(hub, "日本語 <b>&</b>", null));
            sent.Add(await SendAsync(hub, "third, right behind", "pr-12"));
            foreach (JsonElement receipt in sent)
            {
                (string session, string text) = await opencode.NextPromptAsync(scope.Timeout);
                Assert.Equal("ses_main", session);
                AssertPromptCarries(text, receipt);
            }

            Assert.Equal(0, await bridge.StopAsync(scope.Timeout));
        }

        Assert.Equal(4, opencode.Posts);
        Assert.Equal(0, opencode.PostsBeforeListed);
        Assert.Equal(0, opencode.PostsWhileBusy);
        Assert.All(opencode.MessageIds, id => Assert.Matches("^msg_[0-9a-f]{12}[0-9A-Za-z]{14}$", id));
        Assert.Equal(opencode.MessageIds.Order(StringComparer.Ordinal), opencode.MessageIds);
        JsonElement whileDown = await SendAsync(hub, "sent while the bridge was down", "pr-12");
        await using FollowerProcess restarted = await FollowerProcess.StartAsync(environment, scope.Timeout, bridgeArgs);
        (string _, string resumed) = await opencode.NextPromptAsync(scope.Timeout);
        AssertPromptCarries(resumed, whileDown);
        Assert.Equal(0, await restarted.StopAsync(scope.Timeout));
        Assert.False(opencode.HasPendingPrompt, "a message was delivered twice");
    }

    [Fact]
    public async Task OpenCode_bridge_holds_a_message_while_the_session_is_busy_stops_at_once_and_delivers_it_after_restart()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        await using FakeOpenCodeServer opencode = await FakeOpenCodeServer.StartAsync();
        opencode.StayBusy = true;
        var environment = new Dictionary<string, string>(scope.Environment) { ["OPENCODE_SERVER_PASSWORD"] = FakeOpenCodeServer.Password };
        string[] bridgeArgs = ["bridge", "opencode", "--agent", "reviewer", "--url", opencode.Url];

        JsonElement held;
        await using (FollowerProcess bridge = await FollowerProcess.StartAsync(environment, scope.Timeout, bridgeArgs))
        {
            held = await SendAsync(hub, "arrives during a long turn", "pr-7");
            await bridge.ReadStderrAsync("is busy", scope.Timeout);
            Assert.Equal(0, await bridge.StopAsync(scope.Timeout));
        }

        Assert.Equal(0, opencode.Posts);
        opencode.StayBusy = false;
        await using FollowerProcess restarted = await FollowerProcess.StartAsync(environment, scope.Timeout, bridgeArgs);
        (string _, string text) = await opencode.NextPromptAsync(scope.Timeout);
        AssertPromptCarries(text, held);
        Assert.Equal(0, opencode.PostsWhileBusy);
    }

    // "proxy" makes the fake play `codex app-server proxy`, which only answers WebSocket frames after an HTTP upgrade
    // (JSON lines through it go unanswered, the bug this covers); without it, plain `codex app-server` and its JSON lines.
    [Theory]
    [InlineData("")]
    [InlineData(" proxy")]
    public async Task Codex_bridge_starts_one_turn_per_message_on_the_loaded_thread_and_retries_a_refused_turn(string proxy)
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        string fake = Path.Combine(AppContext.BaseDirectory, "fakes", "fake-codex-app-server.mjs");
        var environment = new Dictionary<string, string>(scope.Environment) { ["FAKE_CODEX_FAIL_FIRST"] = "1" };
        await using FollowerProcess bridge = await FollowerProcess.StartAsync(environment, scope.Timeout,
            "bridge", "codex", "--agent", "reviewer", "--app-server", $"node {fake}{proxy}");

        JsonElement first = await SendAsync(hub, "first question", "t-1");
        JsonElement second = await SendAsync(hub, "second\nquestion", null);
        foreach (JsonElement receipt in new[] { first, second })
        {
            string line = await bridge.ReadStderrAsync("FAKE-CODEX turn/start ", scope.Timeout);
            using JsonDocument turn = JsonDocument.Parse(line[(line.IndexOf('{', StringComparison.Ordinal))..]);
            Assert.Equal("019a0000-0000-7000-8000-000000000001", turn.RootElement.GetProperty("threadId").GetString());
            JsonElement input = Assert.Single(turn.RootElement.GetProperty("input").EnumerateArray());
            Assert.Equal("text", input.GetProperty("type").GetString());
            AssertPromptCarries(input.GetProperty("text").GetString()!, receipt);
        }

        Assert.Contains(bridge.Stderr, l => l.Contains("turn already in progress", StringComparison.Ordinal));
        Assert.Equal(proxy.Length > 0, bridge.Stderr.Any(l => l.Contains("FAKE-CODEX upgraded to WebSocket", StringComparison.Ordinal)));
        Assert.Equal(0, await bridge.StopAsync(scope.Timeout));
    }

    private static async Task<JsonElement> SendAsync(MeshNode node, string payload, string? thread)
    {
        Dictionary<string, object?> arguments = new() { ["from_agent_id"] = "lead", ["to_agent_id"] = "reviewer", ["payload"] = payload };
        if (thread is not null)
        {
            arguments["thread_id"] = thread;
        }

        JsonElement receipt = await node.CallAsync("send_message", arguments);
        return JsonSerializer.SerializeToElement(new Dictionary<string, string?>
        {
            ["message_id"] = receipt.GetProperty("message_id").GetString(),
            ["payload"] = payload,
            ["thread_id"] = thread,
        });
    }

    private static void AssertPromptCarries(string text, JsonElement sent)
    {
        string id = sent.GetProperty("message_id").GetString()!;
        Assert.Contains("from 'lead'", text, StringComparison.Ordinal);
        Assert.Contains($"message_id {id}", text, StringComparison.Ordinal);
        Assert.Contains(sent.GetProperty("payload").GetString()!, text, StringComparison.Ordinal);
        if (sent.GetProperty("thread_id").GetString() is { } thread)
        {
            Assert.Contains($"thread {thread}", text, StringComparison.Ordinal);
        }

        Assert.Contains($"reply with message_id \"{id}\"", text, StringComparison.Ordinal);
    }
}
