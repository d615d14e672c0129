using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshfleet.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Meshfleet.Mcp;

/// <summary>
/// Checks the params of tools/call and initialize before the SDK reads them, on every transport. The SDK reads them
/// outside any error handling that explains, so params that are not an object, non-object <c>arguments</c> or text
/// that is not valid Unicode came back as "An error occurred."; here they get -32602 saying what was wrong and how to
/// send it.
/// </summary>
internal static class McpParamsCheck
{
    public static IMcpServerBuilder WithParamsCheck(this IMcpServerBuilder builder) =>
        builder.WithMessageFilters(filters => filters.AddIncomingFilter(next => async (context, cancellationToken) =>
        {
            string? problem = context.JsonRpcMessage switch
            {
                JsonRpcRequest { Method: RequestMethods.ToolsCall } call => Problem(call.Params),
                JsonRpcRequest { Method: RequestMethods.Initialize } initialize => McpInitializeCheck.ParamsProblem(initialize.Params),
                _ => null,
            };
            if (problem is not null)
            {
                throw new McpProtocolException(problem, McpErrorCode.InvalidParams);
            }

            await next(context, cancellationToken).ConfigureAwait(false);
        }));

    /// <summary>What is wrong with a tools/call's params, or null when the SDK can read them.</summary>
    public static string? Problem(JsonNode? parameters)
    {
        if (parameters is not JsonObject call)
        {
            return """Invalid params: tools/call needs params as an object, like {"name":"send_message","arguments":{"from_agent_id":"a","to_agent_id":"b","payload":"hi"}}.""";
        }

        try
        {
            if (call["arguments"] is { } arguments && arguments is not JsonObject)
            {
                return $$"""Invalid params: 'arguments' is {{Describe(arguments.GetValueKind())}}; it must be an object of argument names and values, like {"agent_id":"reviewer"}. Send {} when a tool needs none.""";
            }

            return UnpairedSurrogate(call);
        }
        catch (InvalidOperationException)
        {
            // A property name that is not valid Unicode fails as soon as the object is enumerated.
            return "Invalid params: an argument name is not valid Unicode text (it holds an unpaired UTF-16 surrogate). Use plain argument names as tools/list shows them.";
        }
    }

    private static string? UnpairedSurrogate(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject values:
                foreach (KeyValuePair<string, JsonNode?> pair in values)
                {
                    if (UnpairedSurrogate(pair.Value) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonArray items:
                foreach (JsonNode? item in items)
                {
                    if (UnpairedSurrogate(item) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                // The reader already checked the UTF-8, so only an escape can hide a lone surrogate: a string read from
                // the request without a backslash is fine as it is, and checking it need not copy it (it may be a large payload).
                if (value.TryGetValue(out JsonElement element) && !JsonMarshal.GetRawUtf8Value(element).Contains((byte)'\\'))
                {
                    return null;
                }

                try
                {
                    _ = value.GetValue<string>();
                    return null;
                }
                catch (InvalidOperationException)
                {
                    string name = value.GetPath().Replace("$.arguments.", string.Empty, StringComparison.Ordinal);
                    return $"Invalid params: '{name}' is not valid Unicode text: it holds an unpaired UTF-16 surrogate (a \\uD800-\\uDFFF escape without its partner), " +
                        "which cannot be stored as UTF-8. Send such a character as its full pair (for example \\ud83d\\ude00 for one emoji), or leave it out.";
                }

            default:
                return null;
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "not an object",
    };
}
