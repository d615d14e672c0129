using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Meshfleet.Http;

/// <summary>
/// Checks an <c>initialize</c> before the SDK reads it: POSTed to /mcp here, and its params on every transport through
/// <c>McpParamsCheck</c>. The SDK's HTTP transport reads the params outside any JSON-RPC error handling (malformed
/// params became an HTTP 500 with an empty body), and an <c>initialize</c> on a live session renegotiates it under
/// the client that owns it.
/// </summary>
internal static class McpInitializeCheck
{
    private const string Example = """{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"my-client","version":"1.0"}}""";

    /// <summary>The JSON-RPC error for a bad <c>initialize</c> (code, message, the request's id as JSON), or null to pass it on.</summary>
    public static (int Code, string Message, string Id)? Check(ReadOnlyMemory<byte> body, bool onSession)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("method", out JsonElement method)
            || method.ValueKind != JsonValueKind.String
            || !method.ValueEquals("initialize"))
        {
            return null;
        }

        string id = root.TryGetProperty("id", out JsonElement value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number ? value.GetRawText() : "null";
        if (onSession)
        {
            return (-32600, "Invalid Request: this session is already initialized and its protocol cannot change. To start over, send initialize without the Mcp-Session-Id header; that opens a new session.", id);
        }

        return ParamsProblem(root.TryGetProperty("params", out JsonElement parameters) ? JsonNode.Parse(parameters.GetRawText()) : null) is { } problem
            ? (-32602, problem, id)
            : null;
    }

    /// <summary>What is wrong with an <c>initialize</c>'s params, or null when the SDK can read them (any transport).</summary>
    public static string? ParamsProblem(JsonNode? parameters)
    {
        if (parameters is not JsonObject)
        {
            return $"Invalid params: initialize needs 'params' as an object, like {Example}.";
        }

        try
        {
            // The same contract the SDK reads it with, so anything accepted here is accepted there.
            var contract = (JsonTypeInfo<InitializeRequestParams>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(InitializeRequestParams));
            _ = parameters.Deserialize(contract);
            return null;
        }
        catch (JsonException ex)
        {
            return $"Invalid params for initialize: {Describe(ex)}. Send params like {Example}.";
        }
        catch (InvalidOperationException)
        {
            return $"Invalid params for initialize: a text is not valid Unicode (it holds an unpaired UTF-16 surrogate). Send params like {Example}.";
        }
    }

    private static string Describe(JsonException ex)
    {
        const string Missing = "missing required properties including: ";
        int at = ex.Message.IndexOf(Missing, StringComparison.Ordinal);
        string where = ex.Path is { Length: > 2 } path ? $"'{path[2..]}'" : "params";
        return at >= 0
            ? $"{where} lacks {ex.Message[(at + Missing.Length)..].TrimEnd('.')}"
            : $"{where} has the wrong type";
    }
}
