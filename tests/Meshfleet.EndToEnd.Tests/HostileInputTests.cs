using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// Random and hostile tool arguments and HTTP requests against a real <c>meshfleet serve</c>: no crash, no 5xx, no
/// stack trace to the client, and what was stored before is intact after.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly string[] ToolNames = ["send_message", "get_inbox", "subscribe_inbox", "Send_Message", "", "../etc/passwd"];
    private static readonly string[] ArgumentNames = ["from_agent_id", "to_agent_id", "payload", "agent_id", "since", "limit", "thread_id", "reply_to", "idempotency_key", "agentId", "__proto__", ""];

    private static readonly Gen<object?> HostileValue = Gen.OneOf<object?>(
        Gen.Bool.Select(_ => (object?)null),
        Gen.String.Select(s => (object?)s),
        Gen.Const<object?>(""),
        Gen.Const<object?>("../x"),
        Gen.Const<object?>(".."),
        Gen.Const<object?>("a b"),
        Gen.Const<object?>(new string('z', 70)),
        Gen.Const<object?>("\u0000\u202e\ud83d"),
        Gen.Long.Select(l => (object?)l),
        Gen.Double.Select(d => (object?)d),
        Gen.Bool.Select(b => (object?)b),
        Gen.Const<object?>(new[] { 1, 2, 3 }),
        Gen.Const<object?>(new Dictionary<string, object?> { ["nested"] = "object" }),
        Gen.Char['a', 'e'].Array[1, 8].Select(c => (object?)new string(c)));

    private static readonly Gen<(string Tool, Dictionary<string, object?> Arguments)> HostileCall =
        Gen.Select(
            Gen.OneOfConst(ToolNames),
            Gen.Select(Gen.OneOfConst(ArgumentNames), HostileValue).Array[0, 6])
        .Select((tool, pairs) =>
        {
            var arguments = new Dictionary<string, object?>();
            foreach ((string name, object? value) in pairs)
            {
                arguments[name] = value;
            }

            return (tool, arguments);
        });

    [Fact]
    public async Task Random_tool_calls_never_break_the_server_or_its_data()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using McpClient client = await serve.ConnectAsync();
        CallToolResult kept = await client.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "keeper", ["to_agent_id"] = "vault", ["payload"] = "precious" }, cancellationToken: scope.Timeout);
        Assert.True(kept.IsError != true);

        await HostileCall.SampleAsync(
            async call =>
            {
                try
                {
                    CallToolResult result = await client.CallToolAsync(call.Tool, call.Arguments, cancellationToken: scope.Timeout);
                    string text = string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));
                    Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
                    if (result.IsError == true)
                    {
                        Assert.False(string.IsNullOrWhiteSpace(text));
                    }
                }
                catch (McpProtocolException ex)
                {
                    Assert.Contains("Unknown tool", ex.Message, StringComparison.Ordinal);
                    Assert.DoesNotContain(call.Tool, ToolNames[..3]);
                }
            },
            iter: 150,
            threads: 1);

        CallToolResult vault = await client.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "vault" }, cancellationToken: scope.Timeout);
        JsonElement first = vault.StructuredContent!.Value.GetProperty("messages")[0];
        Assert.Equal("precious", first.GetProperty("payload").GetString());
        Assert.Equal(kept.StructuredContent!.Value.GetProperty("seq").GetInt64(), first.GetProperty("seq").GetInt64());
    }

    private static readonly Gen<string> HostilePath = Gen.OneOf(
        Gen.OneOfConst("/inbox/", "/inbox/%2e%2e/stream", "/inbox/a/stream/../../healthz", "/inbox/%00/stream", "/inbox/a%2Fb/stream", "/mcp", "/healthz", "/", "/inbox/a/stream?since=99999999999999999999999"),
        Gen.Char['!', '~'].Array[0, 40].Select(c => "/" + new string(c).Replace("#", "", StringComparison.Ordinal).Replace("?", "", StringComparison.Ordinal).TrimStart('/')),
        Gen.Char['a', 'z'].Array[1, 70].Select(c => $"/inbox/{new string(c)}/stream?since={c.Length - 5}"));

    [Fact]
    public async Task Random_http_requests_never_get_a_5xx_or_a_stack_trace()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        string[] methods = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];
        string[] bodies = ["", "{}", "[]", "null", "{\"jsonrpc\":\"2.0\"}", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"send_message\",\"arguments\":7}}", "\u0000\u0001", "{\"a\":" + new string('[', 500)];

        await Gen.Select(Gen.OneOfConst(methods), HostilePath, Gen.OneOfConst(bodies), Gen.Bool).SampleAsync(
            async (method, path, body, lastEventId) =>
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is not ("GET" or "OPTIONS"))
                {
                    request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }

                request.Headers.Accept.ParseAdd("application/json, text/event-stream");
                if (lastEventId)
                {
                    request.Headers.TryAddWithoutValidation("Last-Event-ID", "-1; DROP TABLE messages");
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(scope.Timeout);
                using HttpResponseMessage response = await scope.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                Assert.True((int)response.StatusCode < 500, $"{method} {path} -> {(int)response.StatusCode}");
                if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
                {
                    return;
                }

                string text = await response.Content.ReadAsStringAsync(timeout.Token);
                Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
            },
            iter: 200,
            threads: 1);

        using HttpResponseMessage health = await scope.Http.GetAsync("/healthz", scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
