using System.Net;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// One /mcp for every MCP revision: 2026-07-28 clients (server/discover, no initialize, no session, no GET stream) and
/// initialize clients (2025-11-25, 2025-06-18, 2024-11-05, with a session) against the same real <c>meshfleet serve</c>,
/// and an unbound stdio process that serves both.
/// </summary>
public sealed class McpRevisionTests
{
    private const string Modern = "2026-07-28";

    [Fact]
    public async Task A_2026_07_28_client_is_served_without_initialize_or_session()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using McpClient client = await serve.ConnectAsync();

        Assert.Equal(Modern, client.NegotiatedProtocolVersion);
        Assert.Null(client.SessionId);
        Assert.Equal("meshfleet", client.ServerInfo?.Name);
        Assert.NotEmpty(await client.ListToolsAsync(cancellationToken: scope.Timeout));

        CallToolResult sent = await client.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "modern", ["to_agent_id"] = "peer", ["payload"] = "no session" }, cancellationToken: scope.Timeout);
        Assert.NotEqual(true, sent.IsError);
        CallToolResult inbox = await client.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "peer" }, cancellationToken: scope.Timeout);
        Assert.Contains("no session", inbox.StructuredContent!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_raw_2026_07_28_discover_gets_no_session_id_and_the_get_stream_is_refused()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);

        using var discover = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent(
                """{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}""",
                Encoding.UTF8,
                "application/json"),
        };
        discover.Headers.Accept.ParseAdd("application/json, text/event-stream");
        discover.Headers.Add("MCP-Protocol-Version", Modern);
        discover.Headers.Add("Mcp-Method", "server/discover");
        using HttpResponseMessage reply = await scope.Http.SendAsync(discover, scope.Timeout);
        string body = await reply.Content.ReadAsStringAsync(scope.Timeout);

        Assert.True(reply.StatusCode == HttpStatusCode.OK, body);
        Assert.False(reply.Headers.Contains("Mcp-Session-Id"));
        Assert.Contains("\"supportedVersions\"", body, StringComparison.Ordinal);
        Assert.Contains(Modern, body, StringComparison.Ordinal);

        using var get = new HttpRequestMessage(HttpMethod.Get, "/mcp");
        get.Headers.Accept.ParseAdd("text/event-stream");
        get.Headers.Add("MCP-Protocol-Version", Modern);
        using HttpResponseMessage stream = await scope.Http.SendAsync(get, HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, stream.StatusCode);
    }

    [Fact]
    public async Task Unreadable_tool_call_params_on_2026_07_28_get_the_same_json_rpc_error()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);

        using var call = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent(
                """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"send_message","arguments":7,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}""",
                Encoding.UTF8,
                "application/json"),
        };
        call.Headers.Accept.ParseAdd("application/json, text/event-stream");
        call.Headers.Add("MCP-Protocol-Version", Modern);
        call.Headers.Add("Mcp-Method", "tools/call");
        call.Headers.Add("Mcp-Name", "send_message");
        using HttpResponseMessage reply = await scope.Http.SendAsync(call, scope.Timeout);
        string body = await reply.Content.ReadAsStringAsync(scope.Timeout);

        Assert.True((int)reply.StatusCode < 500, body);
        string data = body.Split('\n').Select(line => line.Trim()).First(line => line.StartsWith("data:", StringComparison.Ordinal))["data:".Length..];
        JsonElement error = JsonDocument.Parse(data).RootElement.GetProperty("error");
        Assert.Equal(-32602, error.GetProperty("code").GetInt32());
        Assert.Contains("'arguments' is a number", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2025-11-25")]
    [InlineData("2025-06-18")]
    [InlineData("2024-11-05")]
    public async Task An_initialize_client_gets_a_session_and_talks_with_a_2026_07_28_client(string version)
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using McpClient old = await serve.ConnectAsync(protocolVersion: version);
        await using McpClient modern = await serve.ConnectAsync();

        Assert.Equal(version, old.NegotiatedProtocolVersion);
        Assert.False(string.IsNullOrEmpty(old.SessionId));
        Assert.Equal(Modern, modern.NegotiatedProtocolVersion);

        // Same tools in the same order for both revisions.
        IList<McpClientTool> oldTools = await old.ListToolsAsync(cancellationToken: scope.Timeout);
        IList<McpClientTool> modernTools = await modern.ListToolsAsync(cancellationToken: scope.Timeout);
        Assert.Equal(oldTools.Select(t => t.Name), modernTools.Select(t => t.Name));

        CallToolResult sent = await old.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "old", ["to_agent_id"] = "modern", ["payload"] = $"from {version}" }, cancellationToken: scope.Timeout);
        Assert.NotEqual(true, sent.IsError);
        CallToolResult inbox = await modern.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "modern" }, cancellationToken: scope.Timeout);
        Assert.Contains($"from {version}", inbox.StructuredContent!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unbound_stdio_process_answers_server_discover_and_still_accepts_initialize()
    {
        await using var scope = new MeshScope();
        Assert.Contains(Modern, await FirstReplyOverStdioAsync(scope, """{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"modern","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}""", "supportedVersions"), StringComparison.Ordinal);
        Assert.Equal("\"2025-06-18\"", await FirstReplyOverStdioAsync(scope, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"old","version":"1"}}}""", "protocolVersion"));
    }

    /// <summary>Sends one request to a fresh unbound stdio process and returns one property of the result, as JSON.</summary>
    private static async Task<string> FirstReplyOverStdioAsync(MeshScope scope, string request, string property)
    {
        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(MeshfleetBinary.StartInfo(scope.Environment))!;
        try
        {
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            await process.StandardInput.WriteLineAsync(request);
            await process.StandardInput.FlushAsync(scope.Timeout);
            string line = (await process.StandardOutput.ReadLineAsync(scope.Timeout))!;
            Assert.True(JsonElement.Parse(line).TryGetProperty("result", out JsonElement result), line);
            return result.GetProperty(property).GetRawText();
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }
}
