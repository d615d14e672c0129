using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Meshfleet.Http;

/// <summary>
/// In front of POST /mcp: a body over the limit gets 413 JSON, and a body that is not JSON gets a JSON-RPC parse error
/// (-32700, HTTP 400), and a malformed or repeated <c>initialize</c> gets a JSON-RPC error (-32602 / -32600, HTTP 400),
/// before the MCP handler sees any of them.
/// </summary>
/// <remarks>
/// This runs on every MCP call, so it reads the body once with one <see cref="Utf8JsonReader"/> pass, which both
/// validates it and notices an <c>initialize</c>: no document is built unless the request is one. A small body with a
/// Content-Length is only looked at in Kestrel's buffers and left there for the SDK to read (no copy); a larger or
/// chunked one is copied out, capped, as before.
/// </remarks>
internal sealed class McpRequestGuard
{
    /// <summary>
    /// Bodies up to this size stay in Kestrel's request pipe until the SDK reads them. Far below the connection's input
    /// buffer (Kestrel's MaxRequestBufferSize, 1 MiB), so holding the whole body unconsumed cannot stall the read.
    /// </summary>
    private const long InPlaceLimit = 64 * 1024;

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

        if (request.ContentLength is { } length && length <= Math.Min(InPlaceLimit, _limit))
        {
            PipeReader reader = request.BodyReader;
            ReadResult read;
            try
            {
                read = await ReadWholeAsync(reader, context.RequestAborted);
            }
            catch (IOException)
            {
                // Kestrel's BadHttpRequestException (the body ended before its Content-Length) is an IOException too. The
                // answer rarely gets through (Kestrel drops such a connection), but half a body never reaches the SDK.
                await WriteParseErrorAsync(context, "the body ended before its Content-Length");
                return;
            }

            bool passed;
            try
            {
                passed = await CheckAsync(context, read.Buffer);
            }
            finally
            {
                // Nothing consumed or examined: the SDK's read gets the same buffered body at once.
                reader.AdvanceTo(read.Buffer.Start);
            }

            if (passed)
            {
                await _next(context);
            }

            return;
        }

        // Read the body once into memory, capped, and hand that copy on to the MCP handler.
        MemoryStream? body = await CappedBody.ReadAsync(context, _limit);
        if (body is null)
        {
            return;
        }

        if (await CheckAsync(context, new ReadOnlySequence<byte>(body.GetBuffer(), 0, (int)body.Length)))
        {
            body.Position = 0;
            request.Body = body;
            await _next(context);
        }
    }

    /// <summary>Reads until the whole body is buffered (the caller bounded its length).</summary>
    private static async ValueTask<ReadResult> ReadWholeAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult read = await reader.ReadAsync(cancellationToken);
            if (read.IsCompleted || read.IsCanceled)
            {
                return read;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>Writes the JSON-RPC error and returns false when the body must not reach the MCP handler.</summary>
    private static async ValueTask<bool> CheckAsync(HttpContext context, ReadOnlySequence<byte> body)
    {
        if (!Scan(body, out bool initialize, out string? problem))
        {
            await WriteParseErrorAsync(context, problem!);
            return false;
        }

        if (initialize && McpInitializeCheck.Check(body.ToArray(), context.Request.Headers.ContainsKey("Mcp-Session-Id")) is var (code, message, id))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                $$$"""{"jsonrpc":"2.0","id":{{{id}}},"error":{"code":{{{code}}},"message":"{{{JsonEncodedText.Encode(message, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}}}"}}""",
                context.RequestAborted);
            return false;
        }

        return true;
    }

    private static async Task WriteParseErrorAsync(HttpContext context, string problem)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            $$$"""{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the body is not valid JSON ({{{JsonEncodedText.Encode(problem)}}}). Send one JSON-RPC message per POST."}}""",
            context.RequestAborted);
    }

    /// <summary>
    /// One pass over the body: whether it is one valid JSON value (else <paramref name="problem"/> says why), and whether
    /// it is an object whose <c>method</c> is <c>initialize</c>.
    /// </summary>
    internal static bool Scan(ReadOnlySequence<byte> body, out bool initialize, out string? problem)
    {
        initialize = false;
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    initialize = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("initialize"u8);
                }
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
