using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// The /mcp guard reads a small body with a Content-Length in place (left in Kestrel's buffers for the SDK) and copies
/// a large or chunked one out: both ways must check the JSON the same and hand the SDK the body unchanged.
/// </summary>
public sealed class McpRequestGuardTests
{
    [Fact]
    public async Task A_large_tool_call_reaches_the_tool_whole_and_bad_json_gets_a_parse_error_whether_read_in_place_or_copied()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, extra: new Dictionary<string, string>
        {
            ["MESHFLEET_MAX_PAYLOAD_BYTES"] = "200000",
            ["MESHFLEET_MAX_REQUEST_BYTES"] = "300000",
        });
        await using McpClient client = await serve.ConnectAsync();

        // Past the in-place size (64 KiB): copied out, checked, and handed on; the escapes must arrive decoded.
        string payload = string.Concat(Enumerable.Repeat("große \"Nachricht\" 😀 ", 5_000));
        Assert.True(Encoding.UTF8.GetByteCount(payload) is > 70_000 and < 200_000);
        CallToolResult sent = await client.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "ci", ["to_agent_id"] = "big", ["payload"] = payload }, cancellationToken: scope.Timeout);
        Assert.NotEqual(true, sent.IsError);
        CallToolResult inbox = await client.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "big" }, cancellationToken: scope.Timeout);
        Assert.Equal(payload, inbox.StructuredContent!.Value.GetProperty("messages")[0].GetProperty("payload").GetString());

        // Malformed JSON: a small body read in place, a large one copied out, and a chunked one (no Content-Length).
        await AssertParseErrorAsync(scope, serve, new StringContent("{\"jsonrpc\":\"2.0\",", Encoding.UTF8, "application/json"));
        await AssertParseErrorAsync(scope, serve, new StringContent("{\"jsonrpc\":\"2.0\",\"x\":\"" + new string('a', 100_000) + "\"", Encoding.UTF8, "application/json"));
        await AssertParseErrorAsync(scope, serve, new ChunkedContent("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"} trailing"u8.ToArray()));
        await AssertParseErrorAsync(scope, serve, new ByteArrayContent([]) { Headers = { ContentType = new("application/json") } });

        // The server is still there and serves the next call.
        Assert.NotEmpty(await client.ListToolsAsync(cancellationToken: scope.Timeout));
    }

    [Fact]
    public async Task A_body_cut_short_of_its_content_length_ends_that_connection_and_the_server_carries_on()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, scope.Port, scope.Timeout);
        byte[] request = Encoding.ASCII.GetBytes(
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
            "Content-Length: 100\r\n\r\n{\"jsonrpc\":\"2.0\"");
        await socket.SendAsync(request, SocketFlags.None, scope.Timeout);
        socket.Shutdown(SocketShutdown.Send);

        var response = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, scope.Timeout)) > 0)
            {
                response.Write(buffer, 0, read);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Kestrel may end the connection with a reset rather than a FIN: either way it ended.
        }

        // Kestrel drops a connection whose body ends early (the client sent FIN), so no answer reaches it; what matters is
        // that the guard does not hand the SDK half a body, the connection ends (closed or reset) instead of hanging, and
        // the server goes on.
        Assert.DoesNotContain("HTTP/1.1 200", Encoding.UTF8.GetString(response.ToArray()), StringComparison.Ordinal);
        await using McpClient client = await serve.ConnectAsync();
        Assert.NotEmpty(await client.ListToolsAsync(cancellationToken: scope.Timeout));

        using HttpResponseMessage health = await scope.Http.GetAsync("/healthz", scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static async Task AssertParseErrorAsync(MeshScope scope, ServeProcess serve, HttpContent content)
    {
        HttpRequestMessage request = serve.Request(HttpMethod.Post, "/mcp");
        request.Content = content;
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using HttpResponseMessage response = await scope.Http.SendAsync(request, scope.Timeout);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>(scope.Timeout);
        Assert.Equal(-32700, body.GetProperty("error").GetProperty("code").GetInt32());
        Assert.StartsWith("Parse error: the body is not valid JSON", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A body sent without a Content-Length (chunked).</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
