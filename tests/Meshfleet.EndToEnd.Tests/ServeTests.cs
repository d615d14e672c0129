using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary><c>meshfleet serve</c>: MCP over Streamable HTTP, the token, stream capabilities and request limits.</summary>
public sealed class ServeTests
{
    private const string Token = "test-token-0123456789abcdef";

    [Fact]
    public async Task Http_mcp_client_sends_and_polls_through_serve()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using McpClient client = await serve.ConnectAsync();

        Assert.Equal("meshfleet", client.ServerInfo!.Name);
        IList<McpClientTool> tools = await client.ListToolsAsync(cancellationToken: scope.Timeout);
        Assert.Contains(tools, t => t.Name == "send_message");

        CallToolResult sent = await client.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "a", ["to_agent_id"] = "b", ["payload"] = "over http" }, cancellationToken: scope.Timeout);
        long seq = sent.StructuredContent!.Value.GetProperty("seq").GetInt64();
        CallToolResult inbox = await client.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "b" }, cancellationToken: scope.Timeout);
        Assert.Equal(seq, inbox.StructuredContent!.Value.GetProperty("messages")[0].GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Stdio_process_and_serve_are_one_mesh()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        MeshNode stdio = await scope.StartNodeAsync();
        await using SseProbe probe = await SseProbe.OpenAsync(scope.Http, "/inbox/b/stream", scope.Timeout);

        long seq = (await stdio.SendAsync("a", "b", "from stdio")).GetProperty("seq").GetInt64();

        Assert.StartsWith($"id: {seq}\n", await probe.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);
        await using McpClient http = await serve.ConnectAsync();
        CallToolResult inbox = await http.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "b" }, cancellationToken: scope.Timeout);
        Assert.Equal("from stdio", inbox.StructuredContent!.Value.GetProperty("messages")[0].GetProperty("payload").GetString());
    }

    [Fact]
    public async Task Token_guards_every_endpoint_but_healthz()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, Token, ServeProcess.IdentityOff);

        using HttpResponseMessage health = await scope.Http.SendAsync(serve.Request(HttpMethod.Get, "/healthz", withToken: false), scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        foreach (string path in new[] { "/inbox/b/stream", "/mcp", "/anything" })
        {
            using HttpResponseMessage anonymous = await scope.Http.SendAsync(serve.Request(HttpMethod.Get, path, withToken: false), HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
            JsonElement error = await anonymous.Content.ReadFromJsonAsync<JsonElement>(scope.Timeout);
            Assert.Equal("unauthorized", error.GetProperty("error").GetString());
        }

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/inbox/b/stream");
        wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token + "x");
        using HttpResponseMessage wrongToken = await scope.Http.SendAsync(wrong, HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.StatusCode);

        await Assert.ThrowsAnyAsync<Exception>(() => serve.ConnectAsync(token: "not-the-token-at-all"));

        using HttpResponseMessage authorised = await scope.Http.SendAsync(serve.Request(HttpMethod.Get, "/inbox/b/stream"), HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, authorised.StatusCode);
    }

    [Fact]
    public async Task Stream_url_capability_opens_that_agents_stream_only()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, Token, ServeProcess.IdentityOff);
        await using McpClient client = await serve.ConnectAsync();
        CallToolResult ticket = await client.CallToolAsync("subscribe_inbox", new Dictionary<string, object?> { ["agent_id"] = "alice" }, cancellationToken: scope.Timeout);
        string url = ticket.StructuredContent!.Value.GetProperty("stream_url").GetString()!;
        Assert.Contains("?cap=", url, StringComparison.Ordinal);

        await using SseProbe own = await SseProbe.OpenAsync(scope.Http, url, scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, own.Response.StatusCode);
        Assert.Equal("retry: 2000\n\n", await own.ReadBlockAsync(scope.Timeout));

        string stolen = url.Replace("/inbox/alice/", "/inbox/mallory/", StringComparison.Ordinal);
        using HttpResponseMessage refused = await scope.Http.GetAsync(stolen, HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using HttpResponseMessage forged = await scope.Http.GetAsync($"/inbox/alice/stream?cap=AAAA", HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task Oversized_body_gets_413_and_malformed_json_gets_a_parse_error()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, extra: new Dictionary<string, string> { ["MESHFLEET_MAX_REQUEST_BYTES"] = "300000" });

        HttpRequestMessage big = serve.Request(HttpMethod.Post, "/mcp");
        big.Content = new StringContent("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"" + new string('a', 400_000) + "\"}}", Encoding.UTF8, "application/json");
        big.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using HttpResponseMessage tooLarge = await scope.Http.SendAsync(big, scope.Timeout);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("payload_too_large", (await tooLarge.Content.ReadFromJsonAsync<JsonElement>(scope.Timeout)).GetProperty("error").GetString());

        HttpRequestMessage broken = serve.Request(HttpMethod.Post, "/mcp");
        broken.Content = new StringContent("{\"jsonrpc\":\"2.0\",", Encoding.UTF8, "application/json");
        broken.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using HttpResponseMessage parseError = await scope.Http.SendAsync(broken, scope.Timeout);
        Assert.Equal(HttpStatusCode.BadRequest, parseError.StatusCode);
        JsonElement body = await parseError.Content.ReadFromJsonAsync<JsonElement>(scope.Timeout);
        Assert.Equal(-32700, body.GetProperty("error").GetProperty("code").GetInt32());

        using HttpResponseMessage health = await scope.Http.GetAsync("/healthz", scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Dashboard_page_and_overview_show_agents_and_fleets()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using McpClient client = await serve.ConnectAsync();
        await client.CallToolAsync("register_agent", new Dictionary<string, object?> { ["agent_id"] = "reviewer", ["role"] = "reviewer", ["fleet_id"] = "pr-12", ["description"] = "<b>not html</b>" }, cancellationToken: scope.Timeout);

        using HttpResponseMessage page = await scope.Http.GetAsync("/", scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("/api/overview", await page.Content.ReadAsStringAsync(scope.Timeout), StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        JsonElement overview = await scope.Http.GetFromJsonAsync<JsonElement>("/api/overview", scope.Timeout);
        JsonElement agent = Assert.Single(overview.GetProperty("agents").EnumerateArray());
        Assert.Equal("reviewer", agent.GetProperty("agent_id").GetString());
        Assert.Equal("online", agent.GetProperty("status").GetString());
        Assert.Equal("pr-12", Assert.Single(overview.GetProperty("fleets").EnumerateArray()).GetProperty("fleet_id").GetString());
    }

    [Fact]
    public async Task Dashboard_needs_the_token_when_one_is_set()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, Token);
        using HttpResponseMessage anonymous = await scope.Http.GetAsync("/api/overview", scope.Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using HttpResponseMessage authorised = await scope.Http.SendAsync(serve.Request(HttpMethod.Get, "/api/overview"), scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, authorised.StatusCode);
    }

    [Fact]
    public async Task Non_loopback_bind_without_token_is_refused_with_how_to_set_one()
    {
        await using var scope = new MeshScope();
        CliRun run = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "serve", "--sse-host", "0.0.0.0");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("MESHFLEET_TOKEN", run.Stderr, StringComparison.Ordinal);
    }
}
