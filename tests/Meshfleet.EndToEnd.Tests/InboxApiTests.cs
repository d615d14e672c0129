using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// The plain HTTP API beside /mcp (docs/api.md): <c>POST /inbox/{agent_id}/messages</c> and <c>GET /inbox/{agent_id}/messages</c>
/// on a real <c>meshfleet serve</c>, against the same store, streams and tools as the agents.
/// </summary>
public sealed class InboxApiTests
{
    private const string Token = "api-test-token-0123456789";
    private const string KeyHeader = "X-Meshfleet-Agent-Key";

    [Fact]
    public async Task Post_is_stored_pushed_to_the_stream_and_read_back_over_http_and_get_inbox()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using SseProbe stream = await SseProbe.OpenAsync(scope.Http, "/inbox/bob/stream", scope.Timeout);
        Assert.Equal("retry: 2000\n\n", await stream.ReadBlockAsync(scope.Timeout));

        ApiResponse sent = await PostAsync(scope, "/inbox/bob/messages", """{"from_agent_id":"ci","payload":"build 12 passed ✓ <ok> & 'done'","thread_id":"builds","requires_ack":true}""");
        Assert.Equal(HttpStatusCode.Created, sent.Status);
        long seq = sent.Body.GetProperty("seq").GetInt64();
        string id = sent.Body.GetProperty("message_id").GetString()!;
        Assert.StartsWith("msg_", id, StringComparison.Ordinal);
        Assert.Contains("No agent 'bob' is known", sent.Body.GetProperty("warning").GetString(), StringComparison.Ordinal);
        Assert.Equal($"/inbox/bob/messages?since={seq - 1}&limit=1", sent.Location);

        // Pushed to the subscriber as it is pushed for send_message, with the text as it was sent (not \u-escaped).
        string pushed = await stream.ReadEventAsync(scope.Timeout);
        Assert.Contains("\"payload\":\"build 12 passed ✓ <ok> & 'done'\"", pushed, StringComparison.Ordinal);
        Assert.Contains($"\"message_id\":\"{id}\"", pushed, StringComparison.Ordinal);

        // The Location reads back exactly this message; the raw page keeps the text unescaped too.
        using HttpResponseMessage located = await scope.Http.GetAsync(sent.Location, scope.Timeout);
        string raw = await located.Content.ReadAsStringAsync(scope.Timeout);
        Assert.Contains("build 12 passed ✓ <ok> & 'done'", raw, StringComparison.Ordinal);
        JsonElement page = JsonDocument.Parse(raw).RootElement;
        Assert.Equal(id, Assert.Single(page.GetProperty("messages").EnumerateArray()).GetProperty("message_id").GetString());
        Assert.Equal(seq, page.GetProperty("next_since").GetInt64());

        // An agent on MCP sees the same message, and the page after it is empty and says how to wait.
        await using McpClient mcp = await serve.ConnectAsync();
        CallToolResult inbox = await mcp.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "bob" }, cancellationToken: scope.Timeout);
        JsonElement viaMcp = Assert.Single(inbox.StructuredContent!.Value.GetProperty("messages").EnumerateArray());
        Assert.Equal(id, viaMcp.GetProperty("message_id").GetString());
        Assert.Equal("builds", viaMcp.GetProperty("thread_id").GetString());
        ApiResponse after = await GetAsync(scope, $"/inbox/bob/messages?since={seq}");
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Empty(after.Body.GetProperty("messages").EnumerateArray());
        Assert.Contains($"GET /inbox/bob/messages?since={seq}&wait_seconds=", after.Body.GetProperty("note").GetString(), StringComparison.Ordinal);
        CallToolResult status = await mcp.CallToolAsync("get_message_status", new Dictionary<string, object?> { ["message_id"] = id }, cancellationToken: scope.Timeout);
        Assert.True(status.StructuredContent!.Value.GetProperty("requires_ack").GetBoolean());
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_message_with_200_and_stores_it_once()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        const string body = """{"from_agent_id":"webhook","payload":"deploy 7","idempotency_key":"delivery-7"}""";
        ApiResponse first = await PostAsync(scope, "/inbox/ops/messages", body);
        ApiResponse again = await PostAsync(scope, "/inbox/ops/messages", body);
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(first.Body.GetProperty("message_id").GetString(), again.Body.GetProperty("message_id").GetString());
        Assert.Equal(first.Body.GetProperty("seq").GetInt64(), again.Body.GetProperty("seq").GetInt64());
        ApiResponse page = await GetAsync(scope, "/inbox/ops/messages");
        Assert.Single(page.Body.GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Bad_input_gets_its_status_and_says_what_was_wrong_and_the_server_keeps_its_messages()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, extra: new Dictionary<string, string>
        {
            ["MESHFLEET_MAX_PAYLOAD_BYTES"] = "1000",
            ["MESHFLEET_MAX_REQUEST_BYTES"] = "4096",
        });
        ApiResponse kept = await PostAsync(scope, "/inbox/bob/messages", """{"from_agent_id":"ci","payload":"kept"}""");
        Assert.Equal(HttpStatusCode.Created, kept.Status);

        var cases = new (string Name, HttpMethod Method, string Path, string? Body, string? ContentType, HttpStatusCode Status, string Code, string Says)[]
        {
            ("no content type", HttpMethod.Post, "/inbox/bob/messages", "from_agent_id=ci", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", "Content-Type: application/json"),
            ("not JSON", HttpMethod.Post, "/inbox/bob/messages", """{"from_agent_id":"ci",""", "application/json", HttpStatusCode.BadRequest, "invalid_json", "not valid JSON"),
            ("empty body", HttpMethod.Post, "/inbox/bob/messages", "", "application/json", HttpStatusCode.BadRequest, "invalid_json", "The body is empty"),
            ("not an object", HttpMethod.Post, "/inbox/bob/messages", "[\"hi\"]", "application/json", HttpStatusCode.BadRequest, "invalid_json", "it must be one object"),
            ("unknown field", HttpMethod.Post, "/inbox/bob/messages", """{"from_agent_id":"ci","body":"hi"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request", "no argument 'body'. It takes: from_agent_id, payload"),
            ("wrong type", HttpMethod.Post, "/inbox/bob/messages", """{"from_agent_id":"ci","payload":42}""", "application/json", HttpStatusCode.BadRequest, "invalid_request", "'payload' must be a string"),
            ("recipient in the body", HttpMethod.Post, "/inbox/bob/messages", """{"from_agent_id":"ci","to_agent_id":"eve","payload":"hi"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request", "the recipient is the agent in the path"),
            ("missing sender", HttpMethod.Post, "/inbox/bob/messages", """{"payload":"hi"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request", "'from_agent_id' is required"),
            ("missing payload", HttpMethod.Post, "/inbox/bob/messages", """{"from_agent_id":"ci"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request", "'payload' is required"),
            ("empty payload", HttpMethod.Post, "/inbox/bob/messages", """{"from_agent_id":"ci","payload":""}""", "application/json", HttpStatusCode.BadRequest, "invalid_request", "'payload' is empty"),
            ("bad agent id", HttpMethod.Post, "/inbox/b@d/messages", """{"from_agent_id":"ci","payload":"hi"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request", "'agent_id (in the path)' contains '@'"),
            ("system sender", HttpMethod.Post, "/inbox/bob/messages", """{"from_agent_id":"meshfleet","payload":"hi"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request", "reserved for Meshfleet's own notices"),
            ("payload too large", HttpMethod.Post, "/inbox/bob/messages", $$"""{"from_agent_id":"ci","payload":"{{new string('x', 1001)}}"}""", "application/json", HttpStatusCode.RequestEntityTooLarge, "payload_too_large", "the limit is 1000 bytes"),
            ("body too large", HttpMethod.Post, "/inbox/bob/messages", $$"""{"from_agent_id":"ci","payload":"{{new string('x', 5000)}}"}""", "application/json", HttpStatusCode.RequestEntityTooLarge, "payload_too_large", "over 4096 bytes (MESHFLEET_MAX_REQUEST_BYTES)"),
            ("bad since", HttpMethod.Get, "/inbox/bob/messages?since=yesterday", null, null, HttpStatusCode.BadRequest, "invalid_request", "'since' must be a whole number"),
            ("negative since", HttpMethod.Get, "/inbox/bob/messages?since=-1", null, null, HttpStatusCode.BadRequest, "invalid_request", "'since' is -1; it takes a seq"),
            ("unknown query", HttpMethod.Get, "/inbox/bob/messages?wait=5", null, null, HttpStatusCode.BadRequest, "invalid_request", "no argument 'wait'. It takes: since, limit, wait_seconds"),
            ("repeated query", HttpMethod.Get, "/inbox/bob/messages?since=1&since=2", null, null, HttpStatusCode.BadRequest, "invalid_request", "'since' is given 2 times"),
            ("bad limit", HttpMethod.Get, "/inbox/bob/messages?limit=0", null, null, HttpStatusCode.BadRequest, "invalid_request", "'limit' is 0; it must be between 1"),
            ("unknown route", HttpMethod.Get, "/inbox/bob/mesages", null, null, HttpStatusCode.NotFound, "not_found", "/inbox/{agent_id}/messages"),
        };
        foreach ((string name, HttpMethod method, string path, string? body, string? contentType, HttpStatusCode expected, string code, string says) in cases)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType!);
            }

            ApiResponse response = await SendAsync(scope, request);
            Assert.True(expected == response.Status, $"{name}: {(int)response.Status} {response.Raw}");
            Assert.Equal(code, response.Body.GetProperty("error").GetString());
            string detail = response.Body.GetProperty("detail").GetString()!;
            Assert.True(detail.Contains(says, StringComparison.Ordinal), $"{name}: {detail}");
        }

        // Nothing stored was lost, nothing bad was stored, and the server still serves.
        ApiResponse page = await GetAsync(scope, "/inbox/bob/messages");
        Assert.Equal("kept", Assert.Single(page.Body.GetProperty("messages").EnumerateArray()).GetProperty("payload").GetString());
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(scope, "/inbox/bob/messages", """{"from_agent_id":"ci","payload":"still up"}""")).Status);
    }

    [Fact]
    public async Task Token_and_agent_keys_decide_who_sends_and_who_reads_as_the_tools_do()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, Token);
        string ciKey = await RotateKeyAsync(scope, "ci");
        string bobKey = await RotateKeyAsync(scope, "bob");
        const string fromCi = """{"from_agent_id":"ci","payload":"hi bob"}""";

        ApiResponse noToken = await PostAsync(scope, "/inbox/bob/messages", fromCi);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.Status);
        Assert.Contains("Authorization: Bearer", noToken.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(scope, "/inbox/bob/messages")).Status);

        // The token alone is the operator, who may not act as an agent while identity is on (as with send_message).
        ApiResponse tokenOnly = await PostAsync(scope, "/inbox/bob/messages", fromCi, Token);
        Assert.Equal(HttpStatusCode.Forbidden, tokenOnly.Status);
        Assert.Contains(KeyHeader, tokenOnly.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        ApiResponse asSomeoneElse = await PostAsync(scope, "/inbox/bob/messages", fromCi, Token, bobKey);
        Assert.Equal(HttpStatusCode.Forbidden, asSomeoneElse.Status);
        Assert.Contains("you are agent 'bob'", asSomeoneElse.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        ApiResponse unknownKey = await PostAsync(scope, "/inbox/bob/messages", fromCi, Token, "mfk_" + new string('0', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, unknownKey.Status);
        Assert.Equal("unknown_agent_key", unknownKey.Body.GetProperty("error").GetString());

        Assert.Equal(HttpStatusCode.Created, (await PostAsync(scope, "/inbox/bob/messages", fromCi, Token, ciKey)).Status);
        ApiResponse defaulted = await PostAsync(scope, "/inbox/bob/messages", """{"payload":"from whoever the key says"}""", Token, ciKey);
        Assert.Equal(HttpStatusCode.Created, defaulted.Status);

        // Only bob reads bob's inbox: with his key, or with the capability subscribe_inbox hands him.
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(scope, "/inbox/bob/messages", Token)).Status);
        ApiResponse wrongReader = await GetAsync(scope, "/inbox/bob/messages", Token, ciKey);
        Assert.Equal(HttpStatusCode.Forbidden, wrongReader.Status);
        Assert.Equal("not_this_agent", wrongReader.Body.GetProperty("error").GetString());
        ApiResponse own = await GetAsync(scope, "/inbox/bob/messages", Token, bobKey);
        Assert.Equal(HttpStatusCode.OK, own.Status);
        JsonElement[] messages = own.Body.GetProperty("messages").EnumerateArray().ToArray();
        Assert.Equal(["ci", "ci"], messages.Select(m => m.GetProperty("from_agent_id").GetString()));

        string streamUrl = await SubscribeAsBobAsync(serve, bobKey, scope);
        string capability = new Uri(streamUrl).Query;
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(scope, "/inbox/bob/messages" + capability)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(scope, "/inbox/ci/messages" + capability)).Status);
    }

    [Fact]
    public async Task A_long_poll_returns_when_a_message_arrives()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        Task<ApiResponse> waiting = GetAsync(scope, "/inbox/dev/messages?since=0&wait_seconds=50");
        Assert.False(waiting.IsCompleted, "an empty inbox must wait, not answer at once");
        ApiResponse sent = await PostAsync(scope, "/inbox/dev/messages", """{"from_agent_id":"ci","payload":"wake up"}""");
        ApiResponse page = await waiting;
        Assert.Equal(HttpStatusCode.OK, page.Status);
        JsonElement message = Assert.Single(page.Body.GetProperty("messages").EnumerateArray());
        Assert.Equal(sent.Body.GetProperty("message_id").GetString(), message.GetProperty("message_id").GetString());
    }

    [Fact]
    public async Task A_wait_over_the_limit_is_capped_and_says_how_to_keep_waiting()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, extra: new Dictionary<string, string> { ["MESHFLEET_MAX_WAIT_SECONDS"] = "1" });
        long seq = (await PostAsync(scope, "/inbox/dev/messages", """{"from_agent_id":"ci","payload":"known now"}""")).Body.GetProperty("seq").GetInt64();
        ApiResponse capped = await GetAsync(scope, $"/inbox/dev/messages?since={seq}&wait_seconds=300");
        Assert.Equal(HttpStatusCode.OK, capped.Status);
        Assert.Empty(capped.Body.GetProperty("messages").EnumerateArray());
        string note = capped.Body.GetProperty("note").GetString()!;
        Assert.Contains("one request waits at most 1 s", note, StringComparison.Ordinal);
        Assert.Contains($"GET /inbox/dev/messages?since={seq}&wait_seconds=1", note, StringComparison.Ordinal);
    }

    private static async Task<string> RotateKeyAsync(MeshScope scope, string agent)
    {
        CliRun rotate = await MeshfleetBinary.RunAsync(new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_TOKEN"] = Token }, scope.Timeout, "agent-key", "rotate", agent);
        Assert.True(rotate.ExitCode == 0, rotate.Stderr);
        return rotate.Stdout.Trim();
    }

    private static async Task<string> SubscribeAsBobAsync(ServeProcess serve, string key, MeshScope scope)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(serve.McpUrl),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {Token}", [KeyHeader] = key },
        });
        await using McpClient client = await McpClient.CreateAsync(transport, cancellationToken: scope.Timeout);
        CallToolResult ticket = await client.CallToolAsync("subscribe_inbox", new Dictionary<string, object?> { ["agent_id"] = "bob" }, cancellationToken: scope.Timeout);
        return ticket.StructuredContent!.Value.GetProperty("stream_url").GetString()!;
    }

    private static Task<ApiResponse> PostAsync(MeshScope scope, string path, string json, string? token = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return SendAsync(scope, request, token, key);
    }

    private static Task<ApiResponse> GetAsync(MeshScope scope, string path, string? token = null, string? key = null) =>
        SendAsync(scope, new HttpRequestMessage(HttpMethod.Get, path), token, key);

    private static async Task<ApiResponse> SendAsync(MeshScope scope, HttpRequestMessage request, string? token = null, string? key = null)
    {
        using (request)
        {
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (key is not null)
            {
                request.Headers.Add(KeyHeader, key);
            }

            using HttpResponseMessage response = await scope.Http.SendAsync(request, scope.Timeout);
            string raw = await response.Content.ReadAsStringAsync(scope.Timeout);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            return new ApiResponse(response.StatusCode, JsonDocument.Parse(raw).RootElement.Clone(), raw, response.Headers.Location?.OriginalString);
        }
    }

    private sealed record ApiResponse(HttpStatusCode Status, JsonElement Body, string Raw, string? Location);
}
