using System.Net;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>Agent identity (on by default with a token): an agent's key is the only way to act as it or read its mail.</summary>
public sealed class AgentIdentityTests
{
    private const string Token = "identity-test-token-0123456789";
    private const string KeyHeader = "X-Meshfleet-Agent-Key";

    [Fact]
    public async Task Every_agent_scoped_tool_and_the_stream_refuse_the_wrong_agent_and_accept_the_right_one()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, Token);
        await using McpClient anonymous = await serve.ConnectAsync();

        // A new agent's key is in the register_agent reply, once.
        string aliceKey = await RegisterAsync(anonymous, "alice", scope);
        string bobKey = await RegisterAsync(anonymous, "bob", scope);
        string carolKey = await RegisterAsync(anonymous, "carol", scope);
        Assert.StartsWith("mfk_", aliceKey, StringComparison.Ordinal);
        Assert.NotEqual(aliceKey, bobKey);
        string again = await ErrorAsync(anonymous, "register_agent", new() { ["agent_id"] = "alice" }, scope);
        Assert.Contains("needs that key", again, StringComparison.Ordinal);
        CallToolResult list = await anonymous.CallToolAsync("list_agents", new Dictionary<string, object?>(), cancellationToken: scope.Timeout);
        Assert.DoesNotContain("agent_key", list.StructuredContent!.Value.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(aliceKey, await File.ReadAllTextAsync(scope.DatabasePath, scope.Timeout), StringComparison.Ordinal);

        await using McpClient alice = await ConnectAsync(serve, aliceKey, scope);
        await using McpClient bob = await ConnectAsync(serve, bobKey, scope);
        await using McpClient carol = await ConnectAsync(serve, carolKey, scope);

        // Mail for alice (needing an ack), and a message between alice and carol for the status check.
        string toAlice = (await CallAsync(carol, "send_message", new() { ["from_agent_id"] = "carol", ["to_agent_id"] = "alice", ["payload"] = "secret for alice", ["requires_ack"] = true }, scope)).GetProperty("message_id").GetString()!;
        await CallAsync(alice, "create_fleet", new() { ["fleet_id"] = "f" }, scope);

        // Each agent-scoped action, acting as alice.
        var asAlice = new (string Tool, Dictionary<string, object?> Arguments)[]
        {
            ("send_message", new() { ["from_agent_id"] = "alice", ["to_agent_id"] = "carol", ["payload"] = "hi" }),
            ("reply", new() { ["from_agent_id"] = "alice", ["message_id"] = toAlice, ["payload"] = "re" }),
            ("broadcast", new() { ["from_agent_id"] = "alice", ["fleet_id"] = "f", ["payload"] = "all" }),
            ("ask", new() { ["from_agent_id"] = "alice", ["to_agent_id"] = "carol", ["payload"] = "?", ["timeout_seconds"] = 1 }),
            ("get_inbox", new() { ["agent_id"] = "alice" }),
            ("subscribe_inbox", new() { ["agent_id"] = "alice" }),
            ("ack_message", new() { ["agent_id"] = "alice", ["message_id"] = toAlice }),
            ("heartbeat", new() { ["agent_id"] = "alice" }),
            ("get_message_status", new() { ["message_id"] = toAlice }),
            ("register_agent", new() { ["agent_id"] = "alice", ["role"] = "taken over" }),
        };
        foreach ((string tool, Dictionary<string, object?> arguments) in asAlice)
        {
            string wrong = await ErrorAsync(bob, tool, arguments, scope);
            Assert.True(wrong.StartsWith("Refused", StringComparison.Ordinal) && wrong.Contains("bob", StringComparison.Ordinal), $"{tool} as bob: {wrong}");
            string keyless = await ErrorAsync(anonymous, tool, arguments, scope);
            Assert.True(keyless.StartsWith("Refused", StringComparison.Ordinal) && keyless.Contains(KeyHeader, StringComparison.Ordinal), $"{tool} without a key: {keyless}");
        }

        foreach ((string tool, Dictionary<string, object?> arguments) in asAlice)
        {
            CallToolResult right = await alice.CallToolAsync(tool, arguments, cancellationToken: scope.Timeout);
            Assert.DoesNotContain("Refused", Text(right), StringComparison.Ordinal);
        }

        // Omitted ids default to the agent the key proves.
        JsonElement inbox = await CallAsync(alice, "get_inbox", [], scope);
        Assert.Equal("secret for alice", inbox.GetProperty("messages")[0].GetProperty("payload").GetString());

        // The stream: the token alone, or another agent's key, does not open it; alice's key and alice's URL do.
        Assert.Equal(HttpStatusCode.Forbidden, await StreamStatusAsync(scope, serve.Request(HttpMethod.Get, "/inbox/alice/stream"), null));
        Assert.Equal(HttpStatusCode.Forbidden, await StreamStatusAsync(scope, serve.Request(HttpMethod.Get, "/inbox/alice/stream"), bobKey));
        Assert.Equal(HttpStatusCode.OK, await StreamStatusAsync(scope, serve.Request(HttpMethod.Get, "/inbox/alice/stream"), aliceKey));
        string url = (await CallAsync(alice, "subscribe_inbox", [], scope)).GetProperty("stream_url").GetString()!;
        await using (SseProbe own = await SseProbe.OpenAsync(scope.Http, url, scope.Timeout))
        {
            Assert.Equal(HttpStatusCode.OK, own.Response.StatusCode);
            Assert.Equal("retry: 2000\n\n", await own.ReadBlockAsync(scope.Timeout));
            Assert.Contains("secret for alice", await own.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StreamStatusAsync(scope, new HttpRequestMessage(HttpMethod.Get, url.Replace("/inbox/alice/", "/inbox/bob/", StringComparison.Ordinal)), null));

        // The dashboard's API shows no payloads.
        using HttpResponseMessage overview = await scope.Http.SendAsync(serve.Request(HttpMethod.Get, "/api/overview"), scope.Timeout);
        Assert.DoesNotContain("secret for alice", await overview.Content.ReadAsStringAsync(scope.Timeout), StringComparison.Ordinal);

        // Rotation: the old key and the stream URL issued under it stop working, the new key works.
        string rotated = await RotateAsync(alice, "alice", scope);
        Assert.NotEqual(aliceKey, rotated);
        using (HttpRequestMessage old = serve.Request(HttpMethod.Get, "/api/overview"))
        {
            old.Headers.Add(KeyHeader, aliceKey);
            using HttpResponseMessage refused = await scope.Http.SendAsync(old, scope.Timeout);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("unknown_agent_key", await refused.Content.ReadAsStringAsync(scope.Timeout), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StreamStatusAsync(scope, new HttpRequestMessage(HttpMethod.Get, url), null));
        await using (McpClient renewed = await ConnectAsync(serve, rotated, scope))
        {
            await CallAsync(renewed, "get_inbox", [], scope);
        }

        // Revocation by the operator: bob's key stops working, and registering bob anew issues a new key.
        var operatorEnvironment = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_TOKEN"] = Token };
        CliRun revoke = await MeshfleetBinary.RunAsync(operatorEnvironment, scope.Timeout, "agent-key", "revoke", "bob");
        Assert.True(revoke.ExitCode == 0, revoke.Stderr);
        Assert.Equal(HttpStatusCode.Forbidden, await StreamStatusAsync(scope, serve.Request(HttpMethod.Get, "/inbox/bob/stream"), null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StreamStatusAsync(scope, serve.Request(HttpMethod.Get, "/inbox/bob/stream"), bobKey));
        string bobAgain = await RegisterAsync(anonymous, "bob", scope);
        Assert.NotEqual(bobKey, bobAgain);
    }

    [Fact]
    public async Task A_bound_stdio_process_acts_as_its_agent_with_its_key_and_says_how_to_fix_a_missing_key()
    {
        await using var scope = new MeshScope();
        var withToken = new Dictionary<string, string> { ["MESHFLEET_TOKEN"] = Token };
        await using MeshNode unbound = await scope.StartNodeAsync(withToken);
        string key = (await unbound.CallAsync("register_agent", new() { ["agent_id"] = "dana" })).GetProperty("agent_key").GetString()!;
        await unbound.CallAsync("register_agent", new() { ["agent_id"] = "erin" });
        string refused = await unbound.CallExpectingErrorAsync("send_message", new() { ["from_agent_id"] = "dana", ["to_agent_id"] = "erin", ["payload"] = "x" });
        Assert.Contains("MESHFLEET_AGENT_KEY", refused, StringComparison.Ordinal);

        await using MeshNode keyless = await scope.StartNodeAsync(new Dictionary<string, string>(withToken) { ["MESHFLEET_AGENT_ID"] = "dana" });
        string missing = await keyless.CallExpectingErrorAsync("get_inbox", []);
        Assert.Contains("has no key: set MESHFLEET_AGENT_KEY", missing, StringComparison.Ordinal);

        await using MeshNode bound = await scope.StartNodeAsync(new Dictionary<string, string>(withToken) { ["MESHFLEET_AGENT_ID"] = "dana", ["MESHFLEET_AGENT_KEY"] = key });
        await bound.CallAsync("send_message", new() { ["to_agent_id"] = "erin", ["payload"] = "from dana" });
        await bound.CallAsync("get_inbox", []);
        string other = await bound.CallExpectingErrorAsync("get_inbox", new() { ["agent_id"] = "erin" });
        Assert.Contains("you are agent 'dana'", other, StringComparison.Ordinal);

        CliRun revoke = await MeshfleetBinary.RunAsync(new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_TOKEN"] = Token }, scope.Timeout, "agent-key", "revoke", "dana");
        Assert.True(revoke.ExitCode == 0, revoke.Stderr);
        string revoked = await bound.CallExpectingErrorAsync("get_inbox", []);
        Assert.Contains("not the current key of 'dana'", revoked, StringComparison.Ordinal);

        // The operator hands out a new key; it is printed once, on stdout, and a process bound with it works.
        CliRun rotate = await MeshfleetBinary.RunAsync(new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_TOKEN"] = Token }, scope.Timeout, "agent-key", "rotate", "dana");
        Assert.True(rotate.ExitCode == 0, rotate.Stderr);
        string newKey = rotate.Stdout.Trim();
        Assert.StartsWith("mfk_", newKey, StringComparison.Ordinal);
        Assert.DoesNotContain(newKey, rotate.Stderr, StringComparison.Ordinal);
        await using MeshNode renewed = await scope.StartNodeAsync(new Dictionary<string, string>(withToken) { ["MESHFLEET_AGENT_ID"] = "dana", ["MESHFLEET_AGENT_KEY"] = newKey });
        await renewed.CallAsync("get_inbox", []);
    }

    [Fact]
    public async Task Identity_off_keeps_agents_unauthenticated_to_each_other()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, Token, ServeProcess.IdentityOff);
        await using McpClient client = await serve.ConnectAsync();
        JsonElement registered = await CallAsync(client, "register_agent", new() { ["agent_id"] = "alice" }, scope);
        Assert.False(registered.TryGetProperty("agent_key", out _));
        await CallAsync(client, "send_message", new() { ["from_agent_id"] = "alice", ["to_agent_id"] = "bob", ["payload"] = "anyone may send as alice" }, scope);
        await CallAsync(client, "get_inbox", new() { ["agent_id"] = "bob" }, scope);
    }

    private static async Task<string> RegisterAsync(McpClient client, string agent, MeshScope scope) =>
        (await CallAsync(client, "register_agent", new() { ["agent_id"] = agent }, scope)).GetProperty("agent_key").GetString()!;

    private static async Task<string> RotateAsync(McpClient client, string agent, MeshScope scope) =>
        (await CallAsync(client, "register_agent", new() { ["agent_id"] = agent, ["rotate_key"] = true }, scope)).GetProperty("agent_key").GetString()!;

    private static async Task<McpClient> ConnectAsync(ServeProcess serve, string key, MeshScope scope)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(serve.McpUrl),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {Token}", [KeyHeader] = key },
        });
        return await McpClient.CreateAsync(transport, cancellationToken: scope.Timeout);
    }

    private static async Task<JsonElement> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments, MeshScope scope)
    {
        CallToolResult result = await client.CallToolAsync(tool, arguments, cancellationToken: scope.Timeout);
        Assert.True(result.IsError != true, $"{tool} failed: {Text(result)}");
        return result.StructuredContent!.Value;
    }

    private static async Task<string> ErrorAsync(McpClient client, string tool, Dictionary<string, object?> arguments, MeshScope scope)
    {
        CallToolResult result = await client.CallToolAsync(tool, arguments, cancellationToken: scope.Timeout);
        Assert.True(result.IsError == true, $"{tool} should have been refused but returned {Text(result)}");
        return Text(result);
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));

    private static async Task<HttpStatusCode> StreamStatusAsync(MeshScope scope, HttpRequestMessage request, string? key)
    {
        using (request)
        {
            if (key is not null)
            {
                request.Headers.Add(KeyHeader, key);
            }

            using HttpResponseMessage response = await scope.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
            return response.StatusCode;
        }
    }
}
