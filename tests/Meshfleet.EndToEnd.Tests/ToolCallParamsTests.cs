using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// tools/call params the SDK cannot read (non-object arguments, text that is not valid Unicode) get a JSON-RPC
/// -32602 that names the cause and the fix, over real HTTP against <c>meshfleet serve</c>; before, "An error occurred.".
/// </summary>
public sealed class ToolCallParamsTests
{
    [Theory]
    [InlineData("""{"name":"send_message","arguments":7}""", "'arguments' is a number")]
    [InlineData("""{"name":"send_message","arguments":[1,2]}""", "'arguments' is an array")]
    [InlineData("""{"name":"send_message","arguments":"x"}""", "'arguments' is a string")]
    [InlineData("5", "tools/call needs params as an object")]
    [InlineData("""{"name":"send_message","arguments":{"from_agent_id":"a","to_agent_id":"b","payload":"half \ud83d of a pair"}}""", "'payload' is not valid Unicode text")]
    [InlineData("""{"name":"send_message","arguments":{"from_agent_id":"a\udc00","to_agent_id":"b","payload":"x"}}""", "'from_agent_id' is not valid Unicode text")]
    public async Task Unreadable_tool_call_params_get_a_json_rpc_error_that_says_what_to_fix(string parameters, string hint)
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        // The raw request rides the client's session (2026-07-28 clients have none).
        await using McpClient client = await serve.ConnectAsync(protocolVersion: "2025-11-25");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent($$"""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{{parameters}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        request.Headers.Add("Mcp-Session-Id", client.SessionId);
        request.Headers.Add("MCP-Protocol-Version", client.NegotiatedProtocolVersion);
        using HttpResponseMessage response = await scope.Http.SendAsync(request, scope.Timeout);
        string body = await response.Content.ReadAsStringAsync(scope.Timeout);

        Assert.True((int)response.StatusCode < 500, body);
        string data = body.Split('\n').Select(line => line.Trim()).First(line => line.StartsWith("data:", StringComparison.Ordinal))["data:".Length..];
        JsonElement error = JsonDocument.Parse(data).RootElement.GetProperty("error");
        Assert.Equal(-32602, error.GetProperty("code").GetInt32());
        Assert.Contains(hint, error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Nothing was stored from the rejected call, and the session still works.
        JsonElement inbox = (await client.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "b" }, cancellationToken: scope.Timeout)).StructuredContent!.Value;
        Assert.Equal(0, inbox.GetProperty("messages").GetArrayLength());
    }
}
