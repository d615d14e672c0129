using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Meshfleet.Http;

/// <summary>
/// In front of POST /mcp: a body over the limit gets 413 JSON, and a body that is not JSON gets a JSON-RPC parse error
/// (-32700, HTTP 400), and a malformed or repeated <c>initialize</c> gets a JSON-RPC error (-32602 / -32600, HTTP 400),
/// before the MCP handler sees any of them.
/// </summary>
internal sealed class McpRequestGuard
{
    private readonly RequestDelegate _next;
    private readonly long _limit;

    public McpRequestGuard(RequestDelegate next, long limit)
    {
        _next = next;
        _limit = limit;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            await _next(context);
            return;
        }

        // Read the body once into memory, capped, and hand that copy on to the MCP handler.
        MemoryStream? body = await CappedBody.ReadAsync(context, _limit);
        if (body is null)
        {
            return;
        }

        if (!IsJson(body.GetBuffer().AsSpan(0, (int)body.Length), out string? problem))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                $$$"""{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the body is not valid JSON ({{{JsonEncodedText.Encode(problem!)}}}). Send one JSON-RPC message per POST."}}""",
                context.RequestAborted);
            return;
        }

        if (McpInitializeCheck.Check(body.GetBuffer().AsMemory(0, (int)body.Length), request.Headers.ContainsKey("Mcp-Session-Id")) is var (code, message, id))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                $$$"""{"jsonrpc":"2.0","id":{{{id}}},"error":{"code":{{{code}}},"message":"{{{JsonEncodedText.Encode(message, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}}}"}}""",
                context.RequestAborted);
            return;
        }

        body.Position = 0;
        request.Body = body;
        await _next(context);
    }

    private static bool IsJson(ReadOnlySpan<byte> body, out string? problem)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
            }

            problem = reader.BytesConsumed == 0 ? "empty body" : null;
            return problem is null;
        }
        catch (JsonException ex)
        {
            problem = ex.Message.Split('.')[0];
            return false;
        }
    }
}
