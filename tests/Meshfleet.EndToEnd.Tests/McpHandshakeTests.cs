using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// <c>initialize</c> over HTTP against a real <c>meshfleet serve</c>: malformed params get a JSON-RPC error with a
/// message (never a 5xx), and a second <c>initialize</c> cannot renegotiate a live session.
/// </summary>
public sealed class McpHandshakeTests
{
    [Theory]
    [InlineData("{}", "'protocolVersion'")]
    [InlineData("[]", "'params' as an object")]
    [InlineData("\"x\"", "'params' as an object")]
    [InlineData("5", "'params' as an object")]
    [InlineData("null", "'params' as an object")]
    [InlineData("{\"protocolVersion\":7}", "'protocolVersion' has the wrong type")]
    [InlineData("{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{}}", "'clientInfo' lacks 'name'")]
    public async Task Initialize_with_malformed_params_gets_a_json_rpc_error_not_a_5xx(string parameters, string hint)
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);

        using HttpResponseMessage response = await PostAsync(scope, $$"""{"jsonrpc":"2.0","id":41,"method":"initialize","params":{{parameters}}}""", sessionId: null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = await ErrorAsync(response, scope, expectedId: 41);
        Assert.Equal(-32602, error.GetProperty("code").GetInt32());
        Assert.Contains(hint, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"clientInfo\":{\"name\"", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        await using McpClient client = await serve.ConnectAsync();
        Assert.NotEmpty(await client.ListToolsAsync(cancellationToken: scope.Timeout));
    }

    [Theory]
    [InlineData("{\"protocolVersion\":7}", "'protocolVersion' has the wrong type")]
    [InlineData("[]", "'params' as an object")]
    public async Task Initialize_over_stdio_with_malformed_params_gets_a_json_rpc_error_that_says_why(string parameters, string hint)
    {
        await using var scope = new MeshScope();
        using Process process = Process.Start(MeshfleetBinary.StartInfo(scope.Environment))!;
        process.BeginErrorReadLine();
        try
        {
            await process.StandardInput.WriteLineAsync($$"""{"jsonrpc":"2.0","id":41,"method":"initialize","params":{{parameters}}}""");
            await process.StandardInput.FlushAsync(scope.Timeout);
            string line = (await process.StandardOutput.ReadLineAsync(scope.Timeout))!;

            JsonElement reply = JsonDocument.Parse(line).RootElement;
            Assert.Equal(41, reply.GetProperty("id").GetInt32());
            JsonElement error = reply.GetProperty("error");
            Assert.Equal(-32602, error.GetProperty("code").GetInt32());
            Assert.Contains(hint, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            process.StandardInput.Close();
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(scope.Timeout);
            grace.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task Second_initialize_on_a_live_session_is_refused_and_the_session_keeps_working()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        // A session exists only for initialize clients (2025-11-25 and older); 2026-07-28 has none to re-initialize.
        await using McpClient client = await serve.ConnectAsync(protocolVersion: "2025-11-25");
        string negotiated = client.NegotiatedProtocolVersion!;
        Assert.NotEqual("2024-11-05", negotiated);

        using HttpResponseMessage response = await PostAsync(
            scope,
            """{"jsonrpc":"2.0","id":"again","method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"intruder","version":"1"}}}""",
            client.SessionId);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = await ErrorAsync(response, scope, expectedId: "again");
        Assert.Equal(-32600, error.GetProperty("code").GetInt32());
        Assert.Contains("without the Mcp-Session-Id header", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        CallToolResult sent = await client.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "owner", ["to_agent_id"] = "peer", ["payload"] = "still mine" }, cancellationToken: scope.Timeout);
        Assert.NotEqual(true, sent.IsError);
    }

    private static async Task<HttpResponseMessage> PostAsync(MeshScope scope, string body, string? sessionId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        if (sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionId);
        }

        return await scope.Http.SendAsync(request, scope.Timeout);
    }

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, MeshScope scope, object expectedId)
    {
        JsonElement reply = JsonDocument.Parse(await response.Content.ReadAsStringAsync(scope.Timeout)).RootElement;
        Assert.Equal("2.0", reply.GetProperty("jsonrpc").GetString());
        Assert.Equal(expectedId.ToString(), reply.GetProperty("id").ToString());
        return reply.GetProperty("error");
    }
}
